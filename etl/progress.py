"""A run of the command line (a build, a load, a refresh, a recommendation run): its id, and its
progress lines. Below every package, so that each command reports the same way."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime


class Reporter:
    """Progress lines with elapsed time; silent with ``quiet``."""

    def __init__(self, quiet: bool = False, out: Callable[[str], None] = print) -> None:
        self.quiet, self.out, self.t0 = quiet, out, time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            self.out(f"[{time.monotonic() - self.t0:6.1f} s] {message}")


def new_run_id() -> str:
    """Unique per run: UTC time to the microsecond, process and a random suffix."""
    return (datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + f"-{os.getpid()}-"
            + secrets.token_hex(3))

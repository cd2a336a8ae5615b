"""Time to make the préfet's brief as a PDF (« Fiche préfet »), département 35 by default.

Run: `.venv/bin/python benchmarks/brief_pdf.py [--departement 35] [--runs 5] [--out FILE]`
against the published warehouse of `$PRESENCE_DATA_DIR` (default data/, the demo warehouse of
`make run`; `--warehouse PATH` for another). The DCAS work list is read from a fresh, empty
operational store made in a temporary folder (the demo's consultations are in the warehouse).
It prints the first (cold: the warehouse opened, the shapes read) and the warm times, split into
the reads and their shaping, the two pictures (matplotlib) and the document (fpdf2), the PDF's
size and its pages. Target: a département's PDF in under 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.core.reference import data_months  # noqa: E402
from dashboard.core.scope import Period, Scope  # noqa: E402
from dashboard.core.warehouse import Warehouse  # noqa: E402
from dashboard.pages import _fiche  # noqa: E402
from dashboard.views import fiche_pdf  # noqa: E402
from etl import clock  # noqa: E402
from etl.ops import migrate  # noqa: E402
from etl.ops.store import get_engine  # noqa: E402
from etl.settings import get_settings  # noqa: E402


def one(warehouse: Warehouse, engine, scope: Scope, period: Period, now: datetime
        ) -> tuple[dict[str, float], bytes]:
    times: dict[str, float] = {}
    start = time.perf_counter()
    brief, shapes = _fiche.make(warehouse, engine, scope, period, now)
    times["lectures et mise en forme"] = time.perf_counter() - start
    mark = time.perf_counter()
    pictures = _fiche.pictures(brief, shapes)
    times["graphique et carte"] = time.perf_counter() - mark
    mark = time.perf_counter()
    data = fiche_pdf.document(brief, pictures.trend, pictures.map)
    times["document PDF"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    return times, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departement", default="35")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the last PDF here")
    args = parser.parse_args()
    path = args.warehouse or get_settings().warehouse_path
    if not path.exists():
        sys.exit(f"Entrepôt absent : {path} (make run, ou python -m etl build --demo)")
    warehouse = Warehouse(path)
    _first, last, _has_facts = data_months(warehouse)
    period = Period.parse(None, None, last)
    scope = Scope("departement", args.departement)
    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(f"sqlite:///{Path(tmp) / 'operations.sqlite'}")
        migrate.upgrade(engine)
        runs = [one(warehouse, engine, scope, period, clock.now())
                for _ in range(args.runs + 1)]
        engine.dispose()
    data = runs[-1][1]
    from pypdf import PdfReader  # a dev dependency: the count of pages only

    pages = len(PdfReader(io.BytesIO(data)).pages)
    print(f"Fiche préfet, département {args.departement}, {period.label()} ({path})")
    print(f"PDF : {len(data) / 1e6:.2f} Mo, {pages} pages")
    cold, warm = runs[0][0], [r[0] for r in runs[1:]]
    for part in cold:
        values = [w[part] for w in warm]
        print(f"  {part:28s} froid {cold[part]:6.2f} s | chaud médiane "
              f"{statistics.median(values):6.2f} s, max {max(values):6.2f} s")
    if args.out:
        args.out.write_bytes(data)
        print(f"écrit : {args.out}")
    warehouse.close()


if __name__ == "__main__":
    main()

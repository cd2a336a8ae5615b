"""Time until the « Fiche préfet » page of a département has drawn its communes' table, in
headless Chromium.

Run: `.venv/bin/python benchmarks/fiche_render.py [--runs 3] [--departement 35]
[--warehouse PATH]` against a published warehouse (default `$PRESENCE_DATA_DIR`'s, the national
demo of `make run`). The warehouse is linked into a throw-away folder (never written), with its
own operational store holding a temporary commandant of the département; `python -m dashboard`
serves it on a free port (PRESENCE_WORKERS as set, by default one process per core). After one
sign-in, each run opens the home page, then navigates to `/fiche?perimetre=departement:NN` and
prints the time from navigation to the communes' table holding every commune, and to the page's
main thread being free again (the next animation frame's task).

Target (issue #19): ≤ 5 s for a département.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.settings import get_settings  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, serve, sign_in  # noqa: E402
from tests.support.dashboard_fixture import add_account  # noqa: E402
from tests.support.published import link_published  # noqa: E402

LOGIN = "benchmark.fiche"
ROWS = "() => document.querySelectorAll('#fiche-communes-tableau tbody tr').length"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--departement", default="35")
    parser.add_argument("--warehouse", type=Path,
                        default=get_settings().data_dir / "warehouse.duckdb")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from etl.warehouse import parts

    with parts.connect(str(args.warehouse)) as con:
        [(communes,)] = con.execute("SELECT count(*) FROM communes WHERE departement = $d",
                                    {"d": args.departement}).fetchall()
    with tempfile.TemporaryDirectory(prefix="fiche-render-") as folder:
        data = Path(folder)
        link_published(args.warehouse, data)
        add_account(data, LOGIN, "commandant", args.departement)
        with serve(data, PRESENCE_REFRESH_SECONDS="0", PRESENCE_ALERTS_WORKER_SECONDS="0") \
                as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
            sign_in(page, base + "/", LOGIN)
            page.wait_for_load_state("networkidle", timeout=120_000)
            drawn, free = [], []
            for run in range(args.runs):
                page.goto(base + "/", timeout=120_000)
                page.wait_for_load_state("networkidle", timeout=120_000)
                start = time.monotonic()
                page.goto(f"{base}/fiche?perimetre=departement:{args.departement}",
                          timeout=600_000)
                page.wait_for_function(f"{ROWS} === {communes}", timeout=600_000, polling=50)
                drawn.append(time.monotonic() - start)
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                              "setTimeout(r, 0)))")
                free.append(time.monotonic() - start)
                print(f"run {run + 1}: table of {communes} communes drawn in {drawn[-1]:.2f} s, "
                      f"main thread free after {free[-1]:.2f} s", flush=True)
            browser.close()
    print(f"dép. {args.departement}: median {statistics.median(drawn):.2f} s "
          f"(min {min(drawn):.2f}, max {max(drawn):.2f}); main thread free "
          f"{statistics.median(free):.2f} s")


if __name__ == "__main__":
    main()

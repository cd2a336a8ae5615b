"""Server time of the dashboard's callbacks, p50 and p95, at département and national scope.

Run: `.venv/bin/python benchmarks/callbacks.py [--runs 15]` against the published warehouse of
`$PRESENCE_DATA_DIR` (default data/, the demo warehouse of `make run`). It signs in through the
real form with a temporary account in a copy of the operational store, then posts the same
requests the browser would to /_dash-update-component through Flask's test client (in process:
no network, so the figures are the server's time plus JSON encoding), and prints the first
(cold) time, p50 and p95. Targets (issue #4): p95 ≤ 300 ms at département scope, ≤ 1 s
national.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.settings import get_settings  # noqa: E402
from tests.support.dash_callbacks import callback_body  # noqa: E402

DEP = "35"


def page_body(path: str, search: str = "") -> dict:
    """The page router's callback (Dash pages): the page at ``path`` + ``search`` rendered on
    the server, as a browser asks for it when the address changes."""
    return callback_body([("_pages_content", "children"), ("_pages_store", "data")],
                         [("_pages_location", "pathname", path),
                          ("_pages_location", "search", search)])


def cases(app) -> list[tuple[str, str, dict]]:
    """(name, scope label, request body) for every callback we time, built from the callbacks
    the pages registered (so a renamed id fails loudly here)."""
    out = []
    org_kpis = [("organisation-perimetre", "children"), ("organisation-kpis", "children")]
    for label, dep in (("national", None), ("département", DEP)):
        state = {"departement": dep, "indicateur": None}
        # the map, its caption and its table come with the page
        out.append(("organisation: page (carte comprise)", label,
                    page_body("/", f"?departement={dep}" if dep else "")))
        out.append(("organisation: chiffres clés", label,
                    callback_body(org_kpis, [("organisation-vue", "data", state)])))
    try:
        from benchmarks import callbacks_pages  # optional: pages added later register theirs
    except ImportError:
        return out
    return out + callbacks_pages.cases(callback_body, page_body, DEP)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    settings = get_settings()
    if not settings.warehouse_path.exists():
        raise SystemExit(f"Entrepôt introuvable : {settings.warehouse_path} (make run d'abord)")
    with tempfile.TemporaryDirectory() as tmp:
        # the real warehouse, a throw-away operational store: the benchmark leaves no account
        ops = Path(tmp) / "operations.sqlite"
        src = settings.data_dir / "operations.sqlite"
        if src.exists():
            shutil.copy(src, ops)
        settings = replace(settings, ops_url=f"sqlite:///{ops}")
        from dashboard.app import create_app
        from tests.support.dashboard_fixture import add_account, sign_in

        app = create_app(settings)
        add_account(settings, "bench.analyste", "analyste")
        client = app.server.test_client()
        sign_in(client, "bench.analyste")
        print(f"warehouse: {settings.warehouse_path}; {args.runs} runs per callback")
        print(f"{'callback':<42} {'scope':<12} {'1er ms':>7} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'KB':>8} {'KB gz':>7}")
        for name, label, body in cases(app):
            times = []
            size = gz = 0
            for _ in range(args.runs):
                t0 = time.perf_counter()
                r = client.post("/_dash-update-component", json=body)
                times.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {r.status_code} {r.data[:300]!r}")
                size = len(r.data)
                gz = len(gzip.compress(r.data))
            first = times[0]  # cold: the Carte page keeps its last maps in memory
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"{name:<42} {label:<12} {first:7.0f} {statistics.median(times):8.0f} "
                  f"{p95:8.0f} {size / 1024:8.0f} {gz / 1024:7.0f}")


if __name__ == "__main__":
    main()

"""Benchmark of the recommendation engine on the published demo warehouse (`make run`'s).

Run: `.venv/bin/python benchmarks/recommend.py [--departement 35] [--runs 20]`. Prints:
- forecast training time (one national fit, the model the backtest refits every 3 months);
- solve time for one brigade (p50 / p95 over every brigade of the département), one
  département (inputs read + every brigade solved; target ≤ 5 s) and all of France (target
  ≤ 30 s on this 2-core machine);
- the peak memory (RSS) of the process.
The what-if round trip in Chromium (click → table redrawn) is `benchmarks/recommend_whatif.py`.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from etl.analytics.allocation import BrigadeProblem, minimum_hours, solve_brigade  # noqa: E402
from etl.analytics.forecast import fit_forecaster  # noqa: E402
from etl.analytics.inputs import Territory, current_matrix, load_inputs  # noqa: E402
from etl.analytics.need import need_scores  # noqa: E402
from etl.analytics.panel import load_panel  # noqa: E402
from etl.analytics.recommend import Options, recommend, reference_allocation  # noqa: E402
from etl.settings import get_settings  # noqa: E402
from etl.warehouse import parts  # noqa: E402


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--departement", default="35")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    path = get_settings().warehouse_path
    con = parts.connect(path)
    print(f"warehouse {path}")

    t = time.perf_counter()
    panel = load_panel(con)
    t_panel = time.perf_counter() - t
    t = time.perf_counter()
    fit_forecaster(panel, panel.n_months)
    print(f"forecast: national panel read {t_panel:.1f} s ({len(panel.communes)} communes × "
          f"{panel.n_months} months × {len(panel.categories)} categories), one fit "
          f"{time.perf_counter() - t:.1f} s")

    inputs = load_inputs(con, Territory(departement=args.departement))
    options = Options()
    times = []
    for b in inputs.brigades.itertuples(index=False):
        part = inputs.communes[inputs.communes["brigade_id"] == b.brigade_id]
        codes = part["code"].tolist()
        w = inputs.weekly[inputs.weekly["code_commune"].isin(codes)]
        e = inputs.expectations[inputs.expectations["code_commune"].isin(codes)]
        need = need_scores(codes, w, e, inputs.complaints.reindex(codes).fillna(0),
                           inputs.days_since.reindex(codes).to_numpy(float))
        cur = current_matrix(inputs.current[inputs.current["code_commune"].isin(codes)], codes)
        problem = BrigadeProblem(b.brigade_id, tuple(codes), need.score,
                                 reference_allocation(cur, b.capacite),
                                 minimum_hours(np.zeros(len(codes), bool), options.allocation),
                                 float(b.capacite))
        t = time.perf_counter()
        solve_brigade(problem, options.allocation)
        times.append((time.perf_counter() - t) * 1000)
    print(f"one brigade (dép. {args.departement}, {len(times)} brigades, "
          f"{len(inputs.communes) / max(len(times), 1):.1f} communes on average): solve p50 "
          f"{np.percentile(times, 50):.1f} ms, p95 {np.percentile(times, 95):.1f} ms")

    dep = []
    for _ in range(args.runs):
        t = time.perf_counter()
        recommend(load_inputs(con, Territory(departement=args.departement)), options)
        dep.append(time.perf_counter() - t)
    cached = []
    for _ in range(args.runs):
        t = time.perf_counter()
        recommend(inputs, Options(capacity_pct=90))
        cached.append(time.perf_counter() - t)
    print(f"one département ({args.departement}): inputs + solve p50 {np.median(dep):.2f} s, "
          f"max {max(dep):.2f} s; solve only (what-if, inputs kept) p50 "
          f"{np.median(cached):.2f} s (target ≤ 5 s)")

    t = time.perf_counter()
    national = load_inputs(con, Territory())
    t_in = time.perf_counter() - t
    t = time.perf_counter()
    result = recommend(national, options)
    t_solve = time.perf_counter() - t
    print(f"France: inputs {t_in:.1f} s, {len(national.brigades)} brigades solved in "
          f"{t_solve:.1f} s (total {t_in + t_solve:.1f} s, target ≤ 30 s), "
          f"{len(result.errors)} without solution")
    print(f"peak RSS {_peak_gb():.2f} GB")
    con.close()


if __name__ == "__main__":
    main()

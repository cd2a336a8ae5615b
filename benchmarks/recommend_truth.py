"""The plan against the demo's truth and the simple rules, per département (issue #17).

Run: `.venv/bin/python benchmarks/recommend_truth.py [35 23 59 …]` on the published demo
warehouse of `$PRESENCE_DATA_DIR` (default data/, `make run`'s), which is only read. For each
département, with default parameters and the default week, prints:

- the overlap with the true need (the generator's expected facts of the planned month,
  severity-weighted: ``1 − total-variation distance`` within each brigade, hours-weighted) of
  the weekly plan, its target, the current allocation, hours ∝ population and hours ∝ forecast;
- the communes whose true need share is above their brigade's average and whose share of the
  week's hours is under a quarter of it (plan, and current allocation);
- the capture replay of the national run stored in the warehouse (`reco_audit`), the same five
  rules (written by `python -m etl recommend build`, also part of `build --demo`);
- the total weekly hours, recorded presence, capacity effect, reallocation and hours moved by
  the élus' expectations.
A Markdown table at the end is what the README shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.analytics.inputs import Territory, load_inputs  # noqa: E402
from etl.analytics.panel import TARGET_CATEGORIES  # noqa: E402
from etl.analytics.recommend import recommend  # noqa: E402
from etl.analytics.replay import RULES  # noqa: E402
from etl.analytics.truth import overlaps, true_need, under_served  # noqa: E402
from etl.settings import get_settings  # noqa: E402
from etl.warehouse import parts  # noqa: E402


def _capture(con, departement: str) -> dict[str, float]:
    rows = con.execute("SELECT indicateur, valeur FROM reco_audit WHERE perimetre = ? AND "
                       "indicateur LIKE 'rejeu_capture_%'", [departement]).fetchall()
    return {k.removeprefix("rejeu_capture_"): v for k, v in rows}


def main() -> None:
    departements = sys.argv[1:] or ["35", "23", "59"]
    con = parts.connect(str(get_settings().warehouse_path))
    table = []
    for dep in departements:
        inputs = load_inputs(con, Territory(departement=dep))
        rec = recommend(inputs)
        c, b = rec.communes, rec.brigades
        truth = true_need(con, c["code_commune"].tolist(),
                          pd.Period(inputs.forecast_month, "M"), TARGET_CATEGORIES,
                          rec.options.weights.severity)
        if truth is None:
            sys.exit("Cet entrepôt n'a pas d'oracle : construisez-le avec --demo.")
        score = overlaps(c, truth)
        capture = _capture(con, dep)
        print(f"dép. {dep}, semaine {inputs.semaine}, {len(c)} communes, {len(b)} brigades")
        print(f"  heures : capacité {b['capacite'].sum():.1f}, présence enregistrée "
              f"{b['actuel'].sum():.1f} (effet de capacité "
              f"{100 * (b['capacite'].sum() / b['actuel'].sum() - 1):+.1f} %), "
              f"réallocation {b['reallocation'].sum():.1f}, "
              f"cible {b['reallocation_cible'].sum():.1f}, "
              f"attentes des élus {b['heures_elus'].sum():.1f}")
        print(f"  communes sous-servies (part du vrai besoin > moyenne, < 25 % de cette part) : "
              f"plan {len(under_served(c, truth))}, actuel {len(under_served(c, truth, 'actuel'))}")
        for rule in RULES:
            cap = capture.get(rule)
            print(f"  {rule:<11} recouvrement du vrai besoin {score[rule]:.3f}   capture "
                  + ("—" if cap is None else f"{cap:.2f}"))
        table.append((dep, score, capture))
    print()
    print("| rule | " + " | ".join(f"dép. {d}: true-need overlap / capture" for d, *_ in table)
          + " |")
    print("|---|" + "---|" * len(table))
    for rule in RULES:
        cells = []
        for _d, score, capture in table:
            cap = capture.get(rule)
            cells.append(f"{score[rule]:.3f} / " + ("—" if cap is None else f"{cap:.2f}"))
        print(f"| {rule} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

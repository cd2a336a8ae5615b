"""Small-area rates against the demo's truth (issue #20): raw 12-month rates and the
empirical-Bayes smoothed rates (:mod:`etl.analytics.small_area`) of every commune of a
département, scored against the true rates the demo drew its facts from (``demo_oracle_taux``).

Run: `.venv/bin/python benchmarks/small_area_rates.py [--warehouse PATH] [--departement 35]
[--categorie cambriolages_logement --categorie violences_sexuelles] [--mois-fin 2026-10]`
(default warehouse: the published one, PRESENCE_DATA_DIR; it must be a demo build).

For each category and prior: the mean squared error (per 1,000, squared) of the raw and smoothed
rates against the truth; among the 15 communes ranked highest, the share truly in the
département's top 10 %; the share of communes whose true rate lies inside the 90 % interval;
the prior's shape α and covariate weights. The integration test
(tests/integration/test_small_area_demo.py) asserts the issue's thresholds for the default prior.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.analytics import small_area  # noqa: E402
from etl.settings import get_settings  # noqa: E402
from etl.warehouse import parts  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", type=Path, help="entrepôt publié (défaut : PRESENCE_DATA_DIR)")
    p.add_argument("--departement", default="35")
    p.add_argument("--categorie", action="append")
    p.add_argument("--mois-fin")
    args = p.parse_args()
    path = args.warehouse or get_settings().warehouse_path
    categories = args.categorie or ["cambriolages_logement", "violences_sexuelles"]
    con = parts.connect(path)
    try:
        for categorie in categories:
            frame, info = small_area.read_inputs(con, args.departement, categorie, args.mois_fin)
            truth = small_area.true_rates(con, frame, info)
            if truth is None:
                print("Pas de vérité : l'entrepôt n'est pas une démonstration.", file=sys.stderr)
                return 2
            print(f"{categorie}, dép. {args.departement}, {info['debut']} à {info['fin']}, "
                  f"pour 1 000 {info['denominateur']}, {len(frame)} communes")
            for prior in small_area.PRIORS:
                t0 = time.perf_counter()
                rates, fitted = small_area.rates_table(frame, prior)
                seconds = time.perf_counter() - t0
                a = small_area.audit(rates, truth)
                weights = ", ".join(f"{k} {v:+.2f}" for k, v in fitted.coefficients.items()
                                    if k != "constante")
                print(f"  {prior:<12} EQM brut {a['mse_brut']:.2f} lissé {a['mse_lisse']:.2f} "
                      f"(× {a['mse_lisse'] / a['mse_brut']:.2f}) ; tête des 15 : brut "
                      f"{a['tete_brut']:.2f}, lissé {a['tete_lisse']:.2f} ; couverture 90 % "
                      f"{a['couverture']:.2f} ; incertaines {int(rates['incertain'].sum())} ; "
                      f"α {fitted.alpha:.1f}{' ; ' + weights if weights else ''} "
                      f"({seconds * 1000:.0f} ms)")
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

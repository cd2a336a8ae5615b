"""`python -m etl taux`: the communes' raw and smoothed rates of a département
(:mod:`etl.analytics.small_area`), read from the published warehouse. Apart from the module, so
that the dashboard's views, which import the pure functions, never import the warehouse's
connection (duckdb)."""

from __future__ import annotations

import sys

from etl.analytics.small_area import (
    DEFAULT_PRIOR,
    RateInputError,
    rates_table,
    rates_text,
    read_inputs,
)


def run_rates(path, departement: str, categorie: str, mois_fin: str | None,
              prior: str = DEFAULT_PRIOR, fmt: str = "csv") -> int:
    """`python -m etl taux`: the table on stdout, French errors on stderr (exit code 2)."""
    from etl.warehouse import parts

    try:
        con = parts.connect(path)
    except FileNotFoundError:
        print(f"Erreur : aucun entrepôt publié à {path} : lancez d'abord `python -m etl build`.",
              file=sys.stderr)
        return 2
    try:
        frame, info = read_inputs(con, departement, categorie, mois_fin)
    except RateInputError as exc:
        print(f"Erreur : {exc}.", file=sys.stderr)
        return 2
    finally:
        con.close()
    table, _fitted = rates_table(frame, prior)
    sys.stdout.write(rates_text(table, fmt))
    print(f"{len(table)} communes, faits de {info['debut']} à {info['fin']}, taux pour 1 000 "
          f"{info['denominateur']} ; a priori « {prior} ».", file=sys.stderr)
    return 0

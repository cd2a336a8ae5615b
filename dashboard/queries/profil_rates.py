"""The commune profile's smoothed rates: its département's facts per commune and category
(:mod:`etl.analytics.small_area`; read by :class:`dashboard.queries.profils.ProfileReader`)."""

from __future__ import annotations

import pandas as pd

from dashboard.core.scope import Period, Scope, add_months
from dashboard.core.warehouse import Warehouse
from dashboard.queries.carte import BURGLARY_INDICATOR
from dashboard.queries.scoping import run
from etl.analytics.small_area import HISTORY_MONTHS


def departement_rates(warehouse: Warehouse, scope: Scope, period: Period | None
                      ) -> pd.DataFrame:
    """For a commune's smoothed rates (:mod:`etl.analytics.small_area`): every commune of its
    département (police zone included, FACTS_RULE), one row per commune and category with
    facts in the period or the 24 months before (``faits``, ``faits_historique``; a commune
    without any has one row whose category is null), with its population and dwellings."""
    if scope.level != "commune" or period is None:
        return pd.DataFrame(columns=["commune", "population", "logements", "categorie",
                                     "faits", "faits_historique"])
    return run(warehouse, """
        WITH c AS (
            SELECT code, population FROM communes
            WHERE departement = (SELECT departement FROM communes WHERE code = $code)
        ),
        f AS (
            SELECT code_commune, categorie,
                   sum(nombre) FILTER (WHERE mois BETWEEN $debut AND $fin) AS faits,
                   sum(nombre) FILTER (WHERE mois BETWEEN $hist_debut AND $hist_fin)
                       AS faits_historique
            FROM facts_monthly
            WHERE code_commune IN (SELECT code FROM c) AND mois BETWEEN $hist_debut AND $fin
            GROUP BY code_commune, categorie
        ),
        l AS (
            SELECT code_commune, arg_max(insee_log, annee) AS logements
            FROM crime_annual
            WHERE indicateur = $cambriolages AND insee_log IS NOT NULL
              AND code_commune IN (SELECT code FROM c)
            GROUP BY code_commune
        )
        SELECT c.code AS commune, c.population, l.logements, f.categorie,
               CAST(coalesce(f.faits, 0) AS BIGINT) AS faits,
               CAST(coalesce(f.faits_historique, 0) AS BIGINT) AS faits_historique
        FROM c
        LEFT JOIN f ON f.code_commune = c.code
        LEFT JOIN l ON l.code_commune = c.code
        ORDER BY c.code, f.categorie
    """, {"code": scope.code, "debut": period.start, "fin": period.end,
          "hist_debut": add_months(period.start, -HISTORY_MONTHS),
          "hist_fin": add_months(period.start, -1),
          "cambriolages": BURGLARY_INDICATOR})

"""The « Carte » page's SSMSI queries: one indicator and year of the communal base for every
commune of a territory, and the departmental base (apart from :mod:`dashboard.queries.carte`,
which reads them through :func:`~dashboard.queries.carte.map_frames`)."""

from __future__ import annotations

import pandas as pd

from dashboard.core.scope import Scope
from dashboard.core.warehouse import Warehouse
from dashboard.queries.scoping import run, scoped


def ssmsi_communes(warehouse: Warehouse, scope: Scope, maille: str, indicateur: str,
                   annee: int) -> pd.DataFrame:
    """The SSMSI figures of one indicator and year for every commune of the territory, with the
    unit it belongs to (``code``). 'ndiff' rows keep their null count and rate."""
    sql, params = scoped(
        """
        SELECT c.code AS commune, /*key*/ AS code, k.est_diffuse, k.nombre, k.taux_pour_mille,
               k.insee_pop, k.insee_log
        FROM communes AS c
        LEFT JOIN crime_annual AS k
               ON k.code_commune = c.code AND k.annee = $annee AND k.indicateur = $indicateur
        WHERE /*scope*/
        """, scope, maille=maille)
    return run(warehouse, sql, params | {"annee": annee, "indicateur": indicateur})


def ssmsi_departements(warehouse: Warehouse, scope: Scope, indicateur: str, annee: int
                       ) -> pd.DataFrame:
    """The SSMSI departmental base for the départements of the territory (may be empty)."""
    sql, params = scoped(
        """
        SELECT k.departement AS code, k.nombre, k.taux_pour_mille
        FROM crime_departemental AS k
        WHERE k.annee = $annee AND k.indicateur = $indicateur
          AND k.departement IN (SELECT c.departement FROM communes AS c WHERE /*scope*/)
        """, scope)
    return run(warehouse, sql, params | {"annee": annee, "indicateur": indicateur})

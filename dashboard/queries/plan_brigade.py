"""Queries of the « Plan de la brigade » page: the brigades of a territory, a brigade's communes,
and the plans applied to them (the operational store's decisions, through
:mod:`etl.ops.plans`)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from dashboard.core.scope import Scope
from dashboard.core.warehouse import Warehouse
from dashboard.queries.scoping import run, scoped
from etl.ops import plans

#: decisions read for a territory's list (its latest per brigade is kept)
DECISIONS_LIMIT = 2000

BRIGADES_SQL = """
SELECT b.brigade_id, b.nom, b.departement
FROM brigades AS b
WHERE b.brigade_id IN (SELECT c.brigade_id FROM communes AS c
                       WHERE /*scope*/ AND c.zone = 'ZGN' AND c.brigade_id IS NOT NULL)
ORDER BY b.nom, b.brigade_id
"""

COMMUNES_SQL = """
SELECT c.code, c.nom, c.population
FROM communes AS c
WHERE /*scope*/ AND c.zone = 'ZGN'
ORDER BY c.nom, c.code
"""


def brigades(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """The brigades serving the territory's communes: brigade_id, nom, departement."""
    sql, params = scoped(BRIGADES_SQL, scope)
    return run(warehouse, sql, params)


def communes(warehouse: Warehouse, brigade_id: str) -> pd.DataFrame:
    """The brigade's communes (gendarmerie zone): code, nom, population."""
    sql, params = scoped(COMMUNES_SQL, Scope("brigade", brigade_id))
    return run(warehouse, sql, params)


def last_plan(engine: Engine, brigade_id: str) -> dict | None:
    """The plan applied last to the brigade, or None."""
    return plans.last_decision(engine, brigade_id)


def decisions(engine: Engine, brigade_ids: list[str]) -> pd.DataFrame:
    """The latest decisions of the brigades (newest first)."""
    return plans.decisions(engine, brigade_ids, limit=DECISIONS_LIMIT)

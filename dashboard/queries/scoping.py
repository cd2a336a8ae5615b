"""Putting a territory's filter into a query: the one place where SQL text is assembled, and
the runner every page query goes through."""

from __future__ import annotations

import re

import pandas as pd

from dashboard.core.scope import Period, Scope
from dashboard.core.warehouse import Warehouse, plain  # noqa: F401  (plain: re-exported)

MARKER = "/*scope*/"
KEY_MARKER = "/*key*/"
#: map unit -> column of ``communes`` (alias c) holding the unit's code
UNIT_KEYS: dict[str, str] = {"commune": "c.code", "brigade": "c.brigade_id",
                             "departement": "c.departement"}
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def scoped(sql: str, scope: Scope, *, alias: str = "c", maille: str | None = None
           ) -> tuple[str, dict]:
    """``sql`` with its ``/*scope*/`` marker replaced by the territory's predicate over the
    ``communes`` table (alias ``alias``), and that predicate's parameters; with ``maille``,
    its ``/*key*/`` markers become the map unit's key column (:data:`UNIT_KEYS`).

    The predicate's text comes from :meth:`Scope.commune_filter`: a column name from a fixed
    table and a ``$scope_code`` parameter, never a value from the browser.
    """
    if MARKER not in sql:
        raise ValueError("query without a /*scope*/ marker")
    predicate, params = scope.commune_filter(alias)
    sql = sql.replace(MARKER, predicate)
    if maille is not None:
        sql = sql.replace(KEY_MARKER, UNIT_KEYS[maille])
    return sql, params


def run(warehouse: Warehouse, sql: str, params: dict) -> pd.DataFrame:
    """``sql`` with only the parameters it names (DuckDB refuses extra ones)."""
    used = set(_PARAM.findall(sql))
    return warehouse.query(sql, {k: v for k, v in params.items() if k in used})


def period_params(period: Period) -> dict:
    """``$debut``, ``$fin`` (first days of the first and last months) and ``$fin_excl``."""
    return {"debut": period.start, "fin": period.end, "fin_excl": period.end_exclusive}

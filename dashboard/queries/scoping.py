"""Putting a territory's filter into a query: the one place where SQL text is assembled."""

from __future__ import annotations

from dashboard.core.scope import Scope
from dashboard.core.warehouse import plain  # noqa: F401  (re-exported for the queries)

MARKER = "/*scope*/"


def scoped(sql: str, scope: Scope, alias: str = "c") -> tuple[str, dict]:
    """``sql`` with its ``/*scope*/`` marker replaced by the territory's predicate over the
    ``communes`` table (alias ``alias``), and that predicate's parameters.

    The predicate's text comes from :meth:`Scope.commune_filter`: a column name from a fixed
    table and a ``$scope_code`` parameter, never a value from the browser.
    """
    if MARKER not in sql:
        raise ValueError("query without a /*scope*/ marker")
    predicate, params = scope.commune_filter(alias)
    return sql.replace(MARKER, predicate), params

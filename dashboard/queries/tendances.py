"""Queries of the trends page: monthly and daily counts of one territory, summed in DuckDB."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.core.categories import Category
from dashboard.core.reference import data_months, scope_label
from dashboard.core.scope import Scope
from dashboard.queries.scoping import plain, scoped
from dashboard.queries.vue_ensemble import monthly_facts, scope_figures

FACT_SERIES_SQL = """
SELECT f.mois, sum(f.nombre) AS nombre
FROM facts_monthly AS f
JOIN communes AS c ON c.code = f.code_commune
WHERE /*scope*/ AND f.categorie IN (SELECT unnest($categories)) AND f.mois < $fin
GROUP BY f.mois
ORDER BY f.mois
"""

# a complaint is dated by its facts, by its filing when the facts' date is unknown
COMPLAINT_MONTHS_SQL = """
SELECT date_trunc('month', coalesce(t.date_faits, CAST(t.date_depot AS DATE))) AS mois,
       count(*) AS nombre
FROM complaints AS t
JOIN communes AS c ON c.code = t.code_commune
WHERE /*scope*/ AND coalesce(t.date_faits, CAST(t.date_depot AS DATE)) < $fin
GROUP BY 1
ORDER BY 1
"""

COMPLAINT_DAYS_SQL = """
SELECT coalesce(t.date_faits, CAST(t.date_depot AS DATE)) AS jour, count(*) AS nombre
FROM complaints AS t
JOIN communes AS c ON c.code = t.code_commune
WHERE /*scope*/
  AND coalesce(t.date_faits, CAST(t.date_depot AS DATE)) >= $debut
  AND coalesce(t.date_faits, CAST(t.date_depot AS DATE)) < $fin
GROUP BY 1
ORDER BY 1
"""

COMPLAINT_SPAN_SQL = """
SELECT min(coalesce(t.date_faits, CAST(t.date_depot AS DATE))) AS first,
       max(coalesce(t.date_faits, CAST(t.date_depot AS DATE))) AS last
FROM complaints AS t
"""


def monthly_series(warehouse, scope: Scope, category: Category, end_exclusive: date
                   ) -> pd.DataFrame:
    """Monthly counts (columns mois, nombre) of ``category`` in the territory, every month
    before ``end_exclusive``; months without any have no row."""
    if category.is_complaints:
        sql, params = scoped(COMPLAINT_MONTHS_SQL, scope)
        return warehouse.query(sql, params | {"fin": end_exclusive})
    sql, params = scoped(FACT_SERIES_SQL, scope)
    return warehouse.query(sql, params | {"categories": list(category.facts),
                                          "fin": end_exclusive})


def category_months(warehouse, scope: Scope, start: date, end_exclusive: date) -> pd.DataFrame:
    """Facts of the territory per month and category (for the CompStat table)."""
    return monthly_facts(warehouse, scope, start, end_exclusive)


def complaint_days(warehouse, scope: Scope, start: date, end_exclusive: date) -> pd.DataFrame:
    """Complaints from élus of the territory per day (columns jour, nombre)."""
    sql, params = scoped(COMPLAINT_DAYS_SQL, scope)
    return warehouse.query(sql, params | {"debut": start, "fin": end_exclusive})


def complaint_span(warehouse) -> tuple[date | None, date | None]:
    """First and last dates of the complaints loaded (whole warehouse)."""
    frame = warehouse.query(COMPLAINT_SPAN_SQL)
    first, last = plain(frame["first"].iloc[0]), plain(frame["last"].iloc[0])
    return (None if first is None else pd.Timestamp(first).date(),
            None if last is None else pd.Timestamp(last).date())


class TrendReader:
    """The trends view's reads for one warehouse (see :mod:`dashboard.views.tendances`)."""

    def __init__(self, warehouse) -> None:
        self.warehouse = warehouse

    def span(self) -> tuple[date, date, date | None, date | None]:
        """Months with facts (without any: the three years up to last month) and the first
        and last complaint dates."""
        first, last, _has_facts = data_months(self.warehouse)
        return (first, last, *complaint_span(self.warehouse))

    def monthly_series(self, scope: Scope, category: Category, end_exclusive: date
                       ) -> pd.DataFrame:
        return monthly_series(self.warehouse, scope, category, end_exclusive)

    def category_months(self, scope: Scope, start: date, end_exclusive: date) -> pd.DataFrame:
        return category_months(self.warehouse, scope, start, end_exclusive)

    def complaint_days(self, scope: Scope, start: date, end_exclusive: date) -> pd.DataFrame:
        return complaint_days(self.warehouse, scope, start, end_exclusive)

    def scope_label(self, scope: Scope) -> str:
        return scope_label(self.warehouse, scope)

    def population(self, scope: Scope) -> int | None:
        return scope_figures(self.warehouse, scope).get("population")

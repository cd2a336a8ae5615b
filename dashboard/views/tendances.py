"""What the trends page shows for a territory, a period and a category (pure: the figures come
from a reader, :class:`dashboard.queries.tendances.TrendReader`, that the page hands in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from dashboard.core import categories
from dashboard.core.categories import Category
from dashboard.core.formatting import format_number
from dashboard.core.scope import Period, Scope, add_months, month_start
from dashboard.views import trends
from dashboard.views.measures import format_change, per_1000

NO_SERIES = "Aucun fait de cette catégorie n'est enregistré pour ce territoire sur la période."
NO_COMPLAINTS = "Aucune plainte d'élu n'est enregistrée pour ce territoire sur la période."

SERIES_COLUMNS = {"libelle": "Mois", "nombre": "Nombre",
                  "moyenne_12_mois": "Moyenne mensuelle sur 12 mois glissants"}
FLAG_COLUMNS = {"libelle": "Mois", "observe": "Observé", "attendu": "Attendu",
                "annees": "Années de référence", "z": "Score z", "signal": "Signal"}
COMPSTAT_COLUMNS = {"categorie": "Catégorie", "fenetre": "Fenêtre courte",
                    "nombre": "Nombre", "nombre_n1": "Un an plus tôt",
                    "evolution": "Évolution (%)", "cumul": "Depuis le 1er janvier",
                    "cumul_n1": "Un an plus tôt (cumul)",
                    "evolution_cumul": "Évolution du cumul (%)"}


@dataclass(frozen=True)
class Span:
    """The months (and complaint dates) the warehouse holds."""

    first_month: date
    last_month: date
    complaints_first: date | None
    complaints_last: date | None

    def last_of(self, category: Category) -> date:
        """The last month known: later months are missing data, not zeros."""
        if category.is_complaints and self.complaints_last:
            return max(self.last_month, month_start(self.complaints_last))
        return self.last_month

    def first_of(self, category: Category) -> date:
        if category.is_complaints:
            return month_start(self.complaints_first) if self.complaints_first else \
                self.first_month
        return self.first_month


@dataclass
class TrendView:
    """The figures of one territory and category over a period."""

    scope: Scope
    label: str
    category: Category
    period: Period
    population: int | None
    months: pd.Series  # every month with data up to the period's end
    series: pd.DataFrame  # the months of the period, with the rolling mean
    scores: pd.DataFrame  # z-scores of every month
    flags: pd.DataFrame  # flagged months of the period
    heatmap: pd.DataFrame
    compstat: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def empty(self) -> bool:
        return int(self.series["nombre"].sum()) == 0 if len(self.series) else True

    @property
    def empty_message(self) -> str:
        return NO_COMPLAINTS if self.category.is_complaints else NO_SERIES

    def description(self) -> str:
        """A text alternative of the series chart: what it would tell a sighted reader."""
        if self.empty:
            return self.empty_message
        total = int(self.series["nombre"].sum())
        last = self.series.iloc[-1]
        rolling = last["moyenne_12_mois"]
        text = (f"{self.category.label}, {self.label}, {self.period.label()} : "
                f"{_n(total)} au total ; {_n(last['nombre'])} en {last['libelle']}")
        if not pd.isna(rolling):
            text += f" (moyenne mensuelle sur 12 mois : {_n(rolling, 1)})"
        peak = self.series.loc[self.series["nombre"].idxmax()]
        text += f" ; maximum {_n(peak['nombre'])} en {peak['libelle']}. "
        n = len(self.flags)
        text += ("Aucun mois inhabituel." if n == 0 else
                 f"{n} mois inhabituel{'s' if n > 1 else ''} : "
                 + ", ".join(f"{r.libelle} ({r.signal})" for r in self.flags.itertuples()) + ".")
        return text


def _n(value, decimals: int = 0) -> str:
    return format_number(float(value), decimals)


def trend_view(reader, scope: Scope, period: Period, category: Category, span: Span,
               *, with_compstat: bool = True) -> TrendView:
    """Read the series of ``category`` in ``scope`` and shape everything the page shows."""
    raw = reader.monthly_series(scope, category, period.end_exclusive)
    months = trends.fill_months(raw, span.first_of(category),
                                min(period.end, span.last_of(category)))
    scores = trends.poisson_scores(months)
    view = TrendView(
        scope=scope, label=reader.scope_label(scope), category=category,
        period=period, population=reader.population(scope),
        months=months, series=trends.series_frame(months, period), scores=scores,
        flags=trends.flagged_months(scores, period),
        heatmap=trends.heatmap_frame(months, period),
    )
    if with_compstat:
        view.compstat = compstat(reader, scope, period.end, span)
    return view


def compstat(reader, scope: Scope, end: date, span: Span) -> pd.DataFrame:
    """Short window and year to date of every category against a year earlier: facts by month
    (their finest grain), complaints from élus by day (28 days)."""
    end = min(month_start(end), span.last_month)  # after the last month: no data yet
    start = date(end.year - 1, 1, 1)
    monthly = reader.category_months(scope, start, add_months(end, 1))
    first = max(start, span.first_month)
    grid = trends.category_grid(monthly, first, end)
    rows = []
    for category in categories.CHOICES:
        if category.is_complaints:
            continue
        short, ytd = trends.month_windows(trends.group_series(grid, category.facts), end)
        rows.append((category.key, category.label, short, ytd))
    rows.append((categories.COMPLAINTS, categories.ATTEINTES_ELUS.label,
                 *complaint_windows(reader, scope, end, span)))
    return trends.compstat_frame(rows)


def complaint_windows(reader, scope: Scope, end_month: date, span: Span):
    """28 days and year to date of complaints, ending on the last day of ``end_month`` or on
    the last complaint loaded, whichever is earlier."""
    end = add_months(end_month, 1) - timedelta(days=1)
    if span.complaints_last is not None:
        end = min(end, span.complaints_last)
    start = min(date(end.year - 1, 1, 1),
                end - timedelta(days=trends.YEAR_DAYS + trends.SHORT_DAYS))
    days = reader.complaint_days(scope, start, end + timedelta(days=1))
    return trends.day_windows(days, end, span.complaints_first)


@dataclass(frozen=True)
class Comparison:
    first: TrendView
    second: TrendView
    frame: pd.DataFrame  # month by month: counts and rates per 10,000
    summary: pd.DataFrame  # side by side: one row per figure, one column per territory

    @property
    def columns(self) -> dict[str, str]:
        return {"libelle": "Mois", "nombre_1": f"Nombre — {self.first.label}",
                "taux_1": f"Pour 10 000 hab. — {self.first.label}",
                "nombre_2": f"Nombre — {self.second.label}",
                "taux_2": f"Pour 10 000 hab. — {self.second.label}"}


def summary_frame(first: TrendView, second: TrendView) -> pd.DataFrame:
    """The two territories side by side (text cells, French formatting)."""

    def figures(view: TrendView) -> list[str]:
        total = trends.period_total(view.months, view.period)
        last, ytd = trends.month_windows(view.months, view.period.end)
        return [format_number(view.population), format_number(total),
                format_number(per_1000(total, view.population), 2),
                format_change(last.change, "percent"), format_change(ytd.change, "percent"),
                format_number(len(view.flags))]

    end = first.period.end
    labels = ["Population", "Nombre sur la période", "Pour 1 000 habitants sur la période",
              f"Évolution {trends.month_label(end)} / un an plus tôt",
              "Évolution depuis le 1er janvier / un an plus tôt", "Mois inhabituels"]
    return pd.DataFrame({"indicateur": labels, "premier": figures(first),
                         "second": figures(second)})


def comparison(reader, first_scope: Scope, second_scope: Scope, period: Period,
               category: Category, span: Span) -> Comparison:
    first = trend_view(reader, first_scope, period, category, span, with_compstat=False)
    second = trend_view(reader, second_scope, period, category, span, with_compstat=False)
    frame = trends.comparison_frame(first.months, first.population, second.months,
                                    second.population, period)
    return Comparison(first, second, frame, summary_frame(first, second))

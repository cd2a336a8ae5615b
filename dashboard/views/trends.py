"""Time series of the trends page: monthly series, rolling line, month × year grid, CompStat-style
windows and unusual months (Poisson z-scores). Pure functions: frames in, frames out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dashboard.core.scope import MONTHS_FR, Period, add_months, month_start
from dashboard.views.measures import relative_change

#: thresholds of the unusual-month flags (see :func:`poisson_scores`)
Z_THRESHOLD = 3.0
MIN_EXPECTED = 5.0
YEARS_BACK = 3
MIN_YEARS = 2
#: the complaints' short window, and the shift that keeps the same weekdays a year earlier
SHORT_DAYS = 28
YEAR_DAYS = 364


def month_label(d: date | pd.Timestamp) -> str:
    """« oct. 2026 » style short label (full month names are long in tables)."""
    return f"{MONTHS_FR[d.month - 1]} {d.year}"


def _month_index(first: date, last: date) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(month_start(first)), pd.Timestamp(month_start(last)),
                         freq="MS")


def fill_months(frame: pd.DataFrame, first: date, last: date, value: str = "nombre"
                ) -> pd.Series:
    """Monthly counts from ``first`` to ``last`` (first days of months) with 0 for the months
    without a row (the warehouse stores no row for a month without facts). ``frame`` has the
    columns ``mois`` and ``value``; rows outside the range are dropped."""
    index = _month_index(first, last)
    if frame.empty:
        return pd.Series(0, index=index, dtype="int64", name=value)
    months = pd.to_datetime(frame["mois"]).dt.to_period("M").dt.to_timestamp()
    sums = frame.assign(mois=months).groupby("mois")[value].sum()
    return sums.reindex(index, fill_value=0).astype("int64").rename(value)


def category_grid(frame: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    """Months (rows, ``first``..``last``, zeros filled) × categories (columns) from rows
    ``mois``, ``categorie``, ``nombre``."""
    index = _month_index(first, last)
    if frame.empty:
        return pd.DataFrame(index=index)
    months = pd.to_datetime(frame["mois"]).dt.to_period("M").dt.to_timestamp()
    grid = frame.assign(mois=months).pivot_table(index="mois", columns="categorie",
                                                 values="nombre", aggfunc="sum")
    return grid.reindex(index).fillna(0).astype("int64")


def group_series(grid: pd.DataFrame, facts: Sequence[str]) -> pd.Series:
    """The monthly sum of some categories of a :func:`category_grid` (0 for absent ones)."""
    present = [c for c in facts if c in grid.columns]
    if not present:
        return pd.Series(0, index=grid.index, dtype="int64")
    return grid[present].sum(axis=1).astype("int64")


def rolling_mean(series: pd.Series, months: int = 12) -> pd.Series:
    """Mean of the last ``months`` months (NaN until that many months are known)."""
    return series.rolling(months, min_periods=months).mean()


def series_frame(series: pd.Series, period: Period) -> pd.DataFrame:
    """The months of ``period``: count and 12-month rolling mean (computed on the whole series,
    so that the first months of the period have theirs)."""
    rolled = rolling_mean(series)
    inside = (series.index >= pd.Timestamp(period.start)) & (
        series.index <= pd.Timestamp(period.end))
    frame = pd.DataFrame({"mois": series.index[inside], "nombre": series[inside].to_numpy(),
                          "moyenne_12_mois": rolled[inside].round(1).to_numpy()})
    frame.insert(1, "libelle", [month_label(m) for m in frame["mois"]])
    return frame.reset_index(drop=True)


def heatmap_frame(series: pd.Series, period: Period) -> pd.DataFrame:
    """Months (rows, janvier…décembre) × years (columns) of the period; NaN where a month lies
    outside the period or before the data."""
    inside = series[(series.index >= pd.Timestamp(period.start))
                    & (series.index <= pd.Timestamp(period.end))]
    years = list(range(period.start.year, period.end.year + 1))
    grid = pd.DataFrame({"mois": list(MONTHS_FR)})
    for year in years:
        values = [inside.get(pd.Timestamp(year, m, 1), math.nan) for m in range(1, 13)]
        grid[str(year)] = pd.Series(values, dtype="float64")
    return grid


# --- unusual months --------------------------------------------------------------------------

def poisson_scores(series: pd.Series, *, years_back: int = YEARS_BACK,
                   min_years: int = MIN_YEARS, min_expected: float = MIN_EXPECTED,
                   threshold: float = Z_THRESHOLD) -> pd.DataFrame:
    """Each month against the same calendar month of the previous years.

    ``attendu`` is the mean of that month in up to ``years_back`` earlier years present in the
    series (at least ``min_years``). Counts are taken as Poisson: the observed count has
    variance λ and the mean of k earlier years λ/k, so
    ``z = (observed − expected) / sqrt(expected · (1 + 1/k))``. A month is flagged when
    ``|z| ≥ threshold`` and ``expected ≥ min_expected`` (below that, a handful of facts would
    make any month "unusual"). Columns: mois, observe, attendu, annees, z, signal ('hausse',
    'baisse' or '').
    """
    rows = []
    values = {(m.year, m.month): int(v) for m, v in series.items()}
    for month, observed in series.items():
        past = [values[key] for k in range(1, years_back + 1)
                if (key := (month.year - k, month.month)) in values]
        k = len(past)
        expected = sum(past) / k if k >= min_years else math.nan
        z = math.nan
        if k >= min_years and expected > 0:
            z = (observed - expected) / math.sqrt(expected * (1 + 1 / k))
        flagged = (not math.isnan(z)) and abs(z) >= threshold and expected >= min_expected
        rows.append({"mois": month, "observe": int(observed), "attendu": expected,
                     "annees": k, "z": z,
                     "signal": ("hausse" if z > 0 else "baisse") if flagged else ""})
    frame = pd.DataFrame(rows, columns=["mois", "observe", "attendu", "annees", "z", "signal"])
    return frame.astype({"attendu": "float64", "z": "float64"})


def flagged_months(scores: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The flagged months of ``period``, newest first, with a French label."""
    inside = scores[(scores["mois"] >= pd.Timestamp(period.start))
                    & (scores["mois"] <= pd.Timestamp(period.end)) & (scores["signal"] != "")]
    out = inside.sort_values("mois", ascending=False).copy()
    out.insert(1, "libelle", [month_label(m) for m in out["mois"]])
    out["attendu"] = out["attendu"].round(1)
    out["z"] = out["z"].round(1)
    return out.reset_index(drop=True)


# --- CompStat windows ------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """A count over a window and over the same window a year earlier."""

    label: str
    current: int | None
    previous: int | None

    @property
    def change(self) -> float | None:
        return relative_change(self.current, self.previous)


def _sum_months(series: pd.Series, start: date, end: date) -> int | None:
    """Sum of the months start..end (inclusive); None when a month is outside the series."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if len(series) == 0 or lo < series.index[0] or hi > series.index[-1]:
        return None
    return int(series.loc[lo:hi].sum())


def month_windows(series: pd.Series, end: date) -> tuple[Window, Window]:
    """Facts are monthly: the last complete month ``end`` against the same month a year
    earlier, and the year to date (January to ``end``) against the same months a year
    earlier."""
    end = month_start(end)
    before = add_months(end, -12)
    jan, jan_before = date(end.year, 1, 1), date(end.year - 1, 1, 1)
    last = Window(month_label(end), _sum_months(series, end, end),
                  _sum_months(series, before, before))
    ytd_label = (f"janvier – {month_label(end)}" if end.month > 1 else month_label(end))
    ytd = Window(ytd_label, _sum_months(series, jan, end), _sum_months(series, jan_before, before))
    return last, ytd


def _day_label(start: date, end: date) -> str:
    return f"du {start.day:02d}/{start.month:02d}/{start.year} au " \
           f"{end.day:02d}/{end.month:02d}/{end.year}"


def _same_day_a_year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def day_windows(days: pd.DataFrame, end: date, first: date | None) -> tuple[Window, Window]:
    """Dated events (columns ``jour``, ``nombre``): the 28 days ending on ``end`` against the
    28 days 52 weeks earlier (same weekdays, as CompStat does), and the year to date against the
    same dates a year earlier. ``first`` is the first date of the data (None: nothing loaded,
    no count at all); a year-earlier window that starts before its month has no count."""
    counts = {pd.Timestamp(d).date(): int(n) for d, n in zip(days.get("jour", []),
                                                           days.get("nombre", []), strict=True)}

    def total(lo: date, hi: date, *, earlier: bool = False) -> int | None:
        if first is None or (earlier and lo < month_start(first)):
            return None
        return sum(n for d, n in counts.items() if lo <= d <= hi)

    short_start = end - timedelta(days=SHORT_DAYS - 1)
    shift = timedelta(days=YEAR_DAYS)
    short = Window(_day_label(short_start, end), total(short_start, end),
                   total(short_start - shift, end - shift, earlier=True))
    jan = date(end.year, 1, 1)
    ytd = Window(_day_label(jan, end), total(jan, end),
                 total(date(end.year - 1, 1, 1), _same_day_a_year_before(end), earlier=True))
    return short, ytd


def compstat_frame(rows: Sequence[tuple[str, str, Window, Window]]) -> pd.DataFrame:
    """The CompStat table: one row per (category key, label, short window, year to date)."""
    out = []
    for key, label, short, ytd in rows:
        out.append({
            "cle": key, "categorie": label, "fenetre": short.label, "nombre": short.current,
            "nombre_n1": short.previous, "evolution": _pct(short.change),
            "cumul": ytd.current, "cumul_n1": ytd.previous, "evolution_cumul": _pct(ytd.change),
        })
    frame = pd.DataFrame(out, columns=["cle", "categorie", "fenetre", "nombre", "nombre_n1",
                                       "evolution", "cumul", "cumul_n1", "evolution_cumul"])
    for col in ("nombre", "nombre_n1", "cumul", "cumul_n1", "evolution", "evolution_cumul"):
        frame[col] = frame[col].astype("float64")
    return frame


def _pct(change: float | None) -> float | None:
    return None if change is None else round(change * 100, 1)


# --- two territories -------------------------------------------------------------------------

def rate_per_10000(series: pd.Series, population: object) -> pd.Series:
    """Monthly counts per 10,000 inhabitants (NaN without population)."""
    if population is None or not population:
        return pd.Series(math.nan, index=series.index)
    return series / float(population) * 10_000  # type: ignore[arg-type]


def comparison_frame(first: pd.Series, first_population: object, second: pd.Series,
                     second_population: object, period: Period) -> pd.DataFrame:
    """Both territories month by month over ``period``: counts and rates per 10,000."""
    lo, hi = pd.Timestamp(period.start), pd.Timestamp(period.end)
    a, b = first[(first.index >= lo) & (first.index <= hi)], \
        second[(second.index >= lo) & (second.index <= hi)]
    frame = pd.DataFrame({"mois": a.index, "nombre_1": a.to_numpy(),
                          "taux_1": rate_per_10000(a, first_population).round(2).to_numpy()})
    frame["nombre_2"] = b.reindex(a.index).to_numpy()
    frame["taux_2"] = rate_per_10000(b, second_population).reindex(a.index).round(2).to_numpy()
    frame.insert(1, "libelle", [month_label(m) for m in frame["mois"]])
    return frame


def period_total(series: pd.Series, period: Period) -> int | None:
    return _sum_months(series, period.start, period.end)

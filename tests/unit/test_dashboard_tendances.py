"""Page « Tendances »: series, windows and Poisson flags (pure) and its callbacks on the fixture."""

from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd
import pytest

from dashboard.core import categories
from dashboard.core.scope import Period
from dashboard.views import trends
from dashboard.views.trend_figures import heatmap_figure, series_figure


def monthly(values: dict[tuple[int, int], int]) -> pd.DataFrame:
    return pd.DataFrame({"mois": [date(y, m, 1) for y, m in values],
                         "nombre": list(values.values())})


def series_of(first: date, counts: list[int]) -> pd.Series:
    index = pd.date_range(pd.Timestamp(first), periods=len(counts), freq="MS")
    return pd.Series(counts, index=index, dtype="int64")


# --- pure functions --------------------------------------------------------------------------

def test_months_without_rows_are_zeros_and_rows_outside_are_dropped():
    s = trends.fill_months(monthly({(2026, 1): 4, (2026, 3): 2, (2027, 1): 9}),
                           date(2025, 12, 1), date(2026, 3, 1))
    assert s.tolist() == [0, 4, 0, 2]
    assert s.index[0] == pd.Timestamp(2025, 12, 1)
    assert trends.fill_months(monthly({}), date(2026, 1, 1), date(2026, 2, 1)).tolist() == [0, 0]


def test_rolling_mean_and_series_of_the_period():
    s = series_of(date(2025, 1, 1), list(range(1, 25)))  # 1..24
    rolled = trends.rolling_mean(s)
    assert math.isnan(rolled.iloc[10]) and rolled.iloc[11] == 6.5 and rolled.iloc[23] == 18.5
    frame = trends.series_frame(s, Period(date(2026, 1, 1), date(2026, 3, 1)))
    assert frame["nombre"].tolist() == [13, 14, 15]
    assert frame["moyenne_12_mois"].tolist() == [7.5, 8.5, 9.5]  # uses months before the period
    assert frame["libelle"].tolist() == ["janvier 2026", "février 2026", "mars 2026"]


def test_heatmap_grid_months_by_years():
    s = series_of(date(2024, 11, 1), list(range(1, 15)))  # Nov 2024 .. Dec 2025
    grid = trends.heatmap_frame(s, Period(date(2024, 11, 1), date(2025, 12, 1)))
    assert list(grid.columns) == ["mois", "2024", "2025"]
    assert grid["mois"].iloc[0] == "janvier" and len(grid) == 12
    assert math.isnan(grid["2024"].iloc[0]) and grid["2024"].iloc[10] == 1
    assert grid["2025"].iloc[0] == 3 and grid["2025"].iloc[11] == 14
    figure = heatmap_figure(grid)
    assert figure["data"][0]["type"] == "heatmap" and figure["data"][0]["text"][0][0] == ""
    assert figure["data"][0]["z"][0][0] is None and figure["data"][0]["text"][10][0] == "1"


def test_poisson_scores_against_the_same_month_of_earlier_years():
    # three Octobers: 10, 10, then 30; every other month 10
    counts = [10] * 36
    counts[-1] = 30
    s = series_of(date(2023, 11, 1), counts)
    scores = trends.poisson_scores(s).set_index("mois")
    last = scores.loc[pd.Timestamp(2026, 10, 1)]
    assert last["attendu"] == 10 and last["annees"] == 2
    assert last["z"] == pytest.approx(20 / math.sqrt(10 * 1.5))
    assert last["signal"] == "hausse"
    # a month with a single earlier year is not scored (min_years=2)
    assert math.isnan(scores.loc[pd.Timestamp(2024, 11, 1), "z"])
    assert scores.loc[pd.Timestamp(2025, 11, 1), "annees"] == 2
    assert scores.loc[pd.Timestamp(2026, 9, 1), "signal"] == ""
    # a fall is flagged too: 0 against 40 twice, z = -40 / sqrt(60)
    counts = [40] * 35 + [0]
    fall = trends.poisson_scores(series_of(date(2023, 11, 1), counts))
    assert fall["signal"].iloc[-1] == "baisse"
    flags = trends.flagged_months(fall, Period(date(2026, 1, 1), date(2026, 10, 1)))
    assert flags["libelle"].tolist() == ["octobre 2026"] and flags["z"].iloc[0] < -3


def test_small_expected_counts_are_not_flagged():
    counts = [1] * 36
    counts[-1] = 9  # z ≈ 6.5, but 1 expected fact is too few
    scores = trends.poisson_scores(series_of(date(2023, 11, 1), counts))
    assert scores["z"].iloc[-1] > 6 and scores["signal"].iloc[-1] == ""
    assert trends.poisson_scores(series_of(date(2023, 11, 1), counts),
                                 min_expected=0.5)["signal"].iloc[-1] == "hausse"
    zeros = trends.poisson_scores(series_of(date(2023, 11, 1), [0] * 36))
    assert zeros["z"].isna().all()  # nothing expected: no score, never a division by zero


def test_monthly_windows_last_month_and_year_to_date():
    s = series_of(date(2024, 11, 1), list(range(1, 25)))  # Nov 2024=1 .. Oct 2026=24
    last, ytd = trends.month_windows(s, date(2026, 10, 1))
    assert (last.label, last.current, last.previous) == ("octobre 2026", 24, 12)
    assert last.change == pytest.approx(1.0)
    assert ytd.label == "janvier – octobre 2026"
    assert ytd.current == sum(range(15, 25)) and ytd.previous == sum(range(3, 13))
    # a year before the data: no count, no change
    last, ytd = trends.month_windows(s, date(2025, 10, 1))
    assert last.previous is None and last.change is None and ytd.previous is None


def test_day_windows_28_days_and_52_weeks_earlier():
    days = pd.DataFrame({"jour": [date(2026, 10, 31), date(2026, 10, 4), date(2026, 10, 3),
                                  date(2025, 11, 1), date(2025, 10, 6), date(2025, 1, 2)],
                         "nombre": [1, 2, 4, 8, 16, 32]})
    short, ytd = trends.day_windows(days, date(2026, 10, 31), first=date(2024, 1, 1))
    assert short.label == "du 04/10/2026 au 31/10/2026"
    assert short.current == 3  # 31 Oct and 4 Oct; 3 Oct is out
    # 52 weeks earlier: 5 Oct – 1 Nov 2025, same weekdays
    assert short.previous == 24
    assert ytd.current == 7 and ytd.previous == 48  # 1 January – 31 October 2025
    leap, _ = trends.day_windows(days, date(2028, 2, 29), first=date(2024, 1, 1))
    assert leap.current == 0
    _short, ytd = trends.day_windows(days, date(2028, 2, 29), first=date(2024, 1, 1))
    assert ytd.label.endswith("29/02/2028")
    recent, ytd = trends.day_windows(days, date(2026, 10, 31), first=date(2026, 1, 3))
    assert recent.current == 3 and recent.previous is None and recent.change is None
    assert ytd.current == 7 and ytd.previous is None  # the data start in January 2026
    nothing, _ = trends.day_windows(days.iloc[0:0], date(2026, 10, 31), first=None)
    assert nothing.current is None


def test_compstat_and_comparison_frames():
    w = trends.Window("octobre 2026", 12, 10)
    frame = trends.compstat_frame([("x", "X", w, trends.Window("janv.", 5, None))])
    assert frame["evolution"].iloc[0] == 20.0 and math.isnan(frame["evolution_cumul"].iloc[0])
    a = series_of(date(2026, 1, 1), [10, 20])
    b = series_of(date(2026, 1, 1), [1, 2])
    both = trends.comparison_frame(a, 10_000, b, 2_000, Period(date(2026, 2, 1),
                                                                date(2026, 2, 1)))
    assert both[["nombre_1", "taux_1", "nombre_2", "taux_2"]].iloc[0].tolist() == [20, 20, 2, 10]
    assert trends.rate_per_10000(a, None).isna().all()


def test_series_figure_marks_unusual_months():
    s = series_of(date(2026, 1, 1), [1, 2, 3])
    frame = trends.series_frame(s, Period(date(2026, 1, 1), date(2026, 3, 1)))
    flags = pd.DataFrame({"mois": [pd.Timestamp(2026, 3, 1)], "observe": [3],
                          "signal": ["hausse"]})
    figure = series_figure(frame, flags, "Cambriolages")
    assert [t["type"] for t in figure["data"]] == ["bar", "scatter", "scatter"]
    assert figure["layout"]["xaxis"]["ticktext"] == ["janv. 2026", "févr. 2026", "mars 2026"]
    assert figure["data"][0]["x"][0] == "2026-01-01"
    assert figure["data"][1]["y"] == [None, None, None]  # no 12-month mean yet: gaps
    json.dumps(figure)  # plain JSON, what dcc.Graph sends to plotly.js


def test_categories():
    assert categories.pick("violences_physiques").facts == (
        "violences_intrafamiliales", "violences_hors_famille")
    assert categories.pick("'; DROP TABLE x") is categories.DEFAULT
    keys = [o["value"] for o in categories.options()]
    assert len(keys) == len(set(keys)) and keys[-1] == categories.COMPLAINTS
    assert "vols_vehicules" in keys and "cambriolages_logement" in keys

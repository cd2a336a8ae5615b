"""Pure parts of the demo generator: period, fictional phones, CSV text, calibration tables."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from etl.analytics import oracle
from etl.demo import crime, files, phones
from etl.demo.complaints import INFRACTIONS, council_size
from etl.demo.context import demo_period
from etl.demo.engagement import _sample_without_replacement
from etl.sources.categories import CATEGORIES
from etl.sources.complaints import MENACES_INJURES
from etl.sources.contacts import normalise_phone
from etl.sources.phones import line_type


def test_period_ends_with_last_complete_month():
    p = demo_period(date(2026, 11, 15), 3)
    assert str(p.months[0]) == "2023-11" and str(p.months[-1]) == "2026-10"
    assert p.complete_years == [2024, 2025]
    assert p.end == pd.Timestamp("2026-10-31 23:59:59")
    assert p.days[0] == pd.Timestamp("2023-11-01") and p.days[-1] == pd.Timestamp("2026-10-31")


def test_period_in_january_covers_three_full_years():
    p = demo_period(date(2026, 1, 1), 3)
    assert str(p.months[0]) == "2023-01" and str(p.months[-1]) == "2025-12"
    assert p.complete_years == [2023, 2024, 2025]


def test_phone_allocation_gives_fictional_mobiles_distinct_in_each_departement():
    rng = np.random.default_rng(0)
    deps = ["35", "13", "75", "59", "33", "971"] * 2_000
    numbers = phones.allocate(deps, rng)
    assert all(phones.is_fiction(n) for n in numbers)
    assert all(line_type(n) == "mobile" for n in numbers)  # never a landline: SMS only
    for dep in set(deps):
        mine = [n for n, d in zip(numbers, deps, strict=True) if d == dep]
        assert len(set(mine)) == len(mine) == 2_000


def test_phone_allocation_never_leaves_the_fiction_ranges():
    rng = np.random.default_rng(0)
    assert len(set(phones.allocate(["35"] * 10_000, rng))) == 10_000
    with pytest.raises(ValueError, match="numéros mobiles fictifs"):
        phones.allocate(["35"] * 10_001, rng)


@pytest.mark.parametrize("style", [0, 1, 2])
def test_phone_display_styles_normalise_back(style):
    e164 = "+33639980123"
    assert normalise_phone(phones.display(e164, style)) == e164


def test_real_looking_numbers_are_not_fiction():
    assert not phones.is_fiction("+33612345678")
    assert not phones.is_fiction("+33199001")
    assert phones.is_fiction("+33536490000")


def test_decimal_text():
    out = files.decimal_text([4.1, 0.0, np.nan, 12.3456], 3).tolist()
    assert out == ["4,100", "0,000", None, "12,346"]


def test_write_csv_is_french_and_unquoted(tmp_path):
    frame = pd.DataFrame({"a": ["x", None], "b": [1.5, np.nan],
                          "n": pd.Series([3, None], dtype="Int64")})
    path = files.write_csv(frame, tmp_path / "demo_t.csv", na_rep="NA", digits=1)
    assert path.read_text("utf-8") == "a;b;n\nx;1,5;3\nNA;NA;NA\n"


def test_write_csv_refuses_a_separator_in_a_value(tmp_path):
    with pytest.raises(ValueError):
        files.write_csv(pd.DataFrame({"a": ["x;y"]}), tmp_path / "demo_t.csv")


def test_reset_dir_deletes_only_generated_files(tmp_path):
    (tmp_path / "demo_old.csv").write_text("x")
    (tmp_path / "demo_old.parquet").write_text("x")
    (tmp_path / "real_export.csv").write_text("x")
    files.reset_dir(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real_export.csv"]


def test_calibration_tables_cover_every_category():
    assert set(crime.NATIONAL_TARGETS) == set(CATEGORIES)
    assert set(crime.SIZE_ELASTICITY) == set(CATEGORIES)
    assert set(crime.HETEROGENEITY_GROUP) == set(CATEGORIES)
    assert crime.NATIONAL_TARGETS["violences_intrafamiliales"] + crime.NATIONAL_TARGETS[
        "violences_hors_famille"] == 449_800


def test_seasonality_rows_average_one_and_peak_where_expected():
    s = oracle.season_matrix()
    assert np.allclose(s.mean(axis=1), 1.0)
    burg = s[oracle.CATEGORY_CODES.index("cambriolages_logement")]
    damage = s[oracle.CATEGORY_CODES.index("destructions_degradations")]
    assert burg[[0, 10, 11]].mean() > burg[[3, 4, 5]].mean()  # winter evenings
    assert damage[[6, 7]].mean() > damage[[0, 1]].mean()  # summer


def test_trend_is_capped():
    assert np.all(np.abs(oracle.trend_factor(2035) - 1) <= oracle.TREND_CAP + 1e-12)
    assert np.allclose(oracle.trend_factor(oracle.TARGET_YEAR), 1.0)


def test_complaint_shares():
    assert sum(INFRACTIONS.values()) == pytest.approx(1.0)
    assert sum(INFRACTIONS[k] for k in MENACES_INJURES) == pytest.approx(0.68)


def test_council_size():
    assert council_size(np.array([50, 100, 499, 500, 3_499, 20_000, 50_000])).tolist() == [
        7, 11, 11, 15, 23, 35, 39]


def test_sampling_without_replacement_follows_weights():
    rng = np.random.default_rng(3)
    w = np.tile([8.0, 1.0, 1.0], (20_000, 1))
    picked = _sample_without_replacement(rng, w, np.full(20_000, 2))
    assert all(len(set(p)) == 2 for p in picked)
    first = np.array([p[0] for p in picked])
    assert 0.77 < (first == 0).mean() < 0.83

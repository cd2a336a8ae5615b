"""French formatting of the dashboard: numbers, percentages, town hall hours, months."""

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard.core.formatting import (
    MINUS,
    MISSING,
    THOUSANDS,
    format_horaires,
    format_number,
    format_percent,
    month_label,
    safe_ratio,
)


def test_thousands_are_grouped_with_narrow_no_break_spaces():
    assert format_number(1_234_567) == f"1{THOUSANDS}234{THOUSANDS}567"
    assert format_number(999) == "999"
    assert format_number(-1500) == f"{MINUS}1{THOUSANDS}500"


def test_negative_numbers_take_a_minus_sign_and_zero_has_none():
    assert MINUS == "\u2212"  # what screen readers read « moins » (not the hyphen)
    assert format_number(-31.94, 1) == f"{MINUS}31,9"
    assert format_number(-0.04, 1) == "0,0"
    assert format_number(-0.4) == "0"
    assert format_number(-0.06, 1) == f"{MINUS}0,1"


def test_decimal_comma():
    assert format_number(11.14, 1) == "11,1"
    assert format_number(1234.5, 2) == f"1{THOUSANDS}234,50"


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA])
def test_missing_values_show_a_dash(missing):
    assert format_number(missing) == MISSING
    assert format_percent(missing) == MISSING


def test_text_is_refused():
    with pytest.raises(TypeError):
        format_number("12")


def test_percent():
    assert format_percent(0.2154) == f"21,5{THOUSANDS}%"
    assert format_percent(1) == f"100,0{THOUSANDS}%"


def test_safe_ratio():
    assert safe_ratio(1, 4) == 0.25
    assert safe_ratio(1, 0) is None
    assert safe_ratio(None, 4) is None
    assert safe_ratio(3, math.nan) is None


def test_town_hall_hours_in_french():
    text = ('[["lundi","vendredi",[["08:30:00","12:00:00"],["14:00:00","17:30:00"]]],'
            '["samedi","samedi",[["09:00:00","12:00:00"]]]]')
    assert format_horaires(text) == (
        "lundi au vendredi : 8\u202fh30 – 12\u202fh00, 14\u202fh00 – 17\u202fh30 ; "
        "samedi : 9\u202fh00 – 12\u202fh00")
    assert format_horaires("sur rendez-vous") == "sur rendez-vous"
    assert format_horaires(None) == ""


def test_month_labels_are_french():
    assert month_label(dt.date(2026, 2, 1)) == "févr. 2026"
    assert month_label(pd.Timestamp("2025-08-01")) == "août 2025"

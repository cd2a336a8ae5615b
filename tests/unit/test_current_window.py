"""The current allocation's window: complete ISO weeks, never a day after the last recorded."""

from __future__ import annotations

from datetime import date

from etl.analytics.inputs import current_window


def test_the_window_ends_on_the_last_sunday_on_or_before_the_last_recorded_day():
    # the demo's presence ends on Monday 30 November 2026 (issue #17: the old window ran to
    # 6 December, 22 days of data divided by 4 weeks)
    assert current_window(date(2026, 11, 30), 12) == (date(2026, 9, 7), date(2026, 11, 29))
    # a Sunday is the end of a complete week
    assert current_window(date(2026, 11, 29), 12) == (date(2026, 9, 7), date(2026, 11, 29))
    # a Saturday is not
    assert current_window(date(2026, 11, 28), 4) == (date(2026, 10, 26), date(2026, 11, 22))
    assert current_window(None, 12) is None


def test_every_window_is_whole_weeks_monday_to_sunday():
    for day in range(1, 29):
        start, end = current_window(date(2026, 2, day), 12)
        assert start.weekday() == 0 and end.weekday() == 6
        assert (end - start).days == 12 * 7 - 1
        assert 0 <= (date(2026, 2, day) - end).days < 7

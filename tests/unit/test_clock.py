"""France's clock (etl.clock): between 23:00 UTC and midnight in winter, it is already tomorrow
in France; a record or an alert dated then is not « in the future »."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from etl import clock
from etl.sources.registry import SOURCES


def test_today_is_the_date_in_paris(monkeypatch):
    monkeypatch.setattr(clock, "utc_now",
                        lambda: datetime(2026, 12, 7, 23, 30, tzinfo=UTC))
    assert clock.today() == date(2026, 12, 8)
    assert clock.now() == datetime(2026, 12, 8, 0, 30)
    monkeypatch.setattr(clock, "utc_now",
                        lambda: datetime(2026, 7, 1, 21, 59, tzinfo=UTC))
    assert clock.today() == date(2026, 7, 1)  # summer time: midnight is 22:00 UTC


def test_the_loader_s_today_is_france_s(monkeypatch):
    """An alert sent at 00:30 in Paris (23:30 UTC) is dated tomorrow by the server's clock:
    the loader's « today » must be France's, or the alert is quarantined « dans le futur »."""
    from etl.sources import loader

    monkeypatch.setattr(clock, "utc_now",
                        lambda: datetime(2026, 12, 7, 23, 30, tzinfo=UTC))
    seen = []
    monkeypatch.setattr(loader, "_validate_and_upsert", lambda *a: seen.append(a[8]))
    monkeypatch.setattr(loader, "_finish", lambda *a: None)
    loader.load_records(None, SOURCES["dcas"], pd.DataFrame(), "test", "run", None)
    assert seen == [date(2026, 12, 8)]


ROOT = Path(__file__).resolve().parents[2]


def test_no_server_date_outside_the_clock():
    """« Today » is France's everywhere: no ``date.today()`` / naive ``datetime.now()``."""
    found = [f"{p.relative_to(ROOT)}:{n}" for folder in ("etl", "dashboard")
             for p in sorted((ROOT / folder).rglob("*.py")) if p.name != "clock.py"
             for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
             if re.search(r"\bdate\.today\(\)|\bdatetime\.now\(\)", line)]
    assert not found, found

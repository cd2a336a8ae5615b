"""Scope and period parsing, SQL filters and access rules (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.core.access import User, allowed, default_scope, departement_of
from dashboard.core.scope import Period, Scope, ScopeError


def test_scope_parse_and_filter():
    assert Scope.parse(None) == Scope() == Scope.parse("france")
    s = Scope.parse("brigade:B35047")
    assert (s.level, s.code) == ("brigade", "B35047")
    assert s.to_param() == "brigade:B35047"
    assert s.commune_filter() == ('c."brigade_id" = $scope_code', {"scope_code": "B35047"})
    assert Scope().commune_filter() == ("TRUE", {})
    for bad in ("pays:FR", "departement:", "departement:35;DROP", "commune:" + "9" * 30):
        with pytest.raises(ScopeError):
            Scope.parse(bad)


def test_period_defaults_and_windows():
    p = Period.parse(None, None, date(2026, 10, 1))
    assert (p.start, p.end, p.months) == (date(2025, 11, 1), date(2026, 10, 1), 12)
    assert p.previous() == Period(date(2024, 11, 1), date(2025, 10, 1))
    assert p.year_before() == Period(date(2024, 11, 1), date(2025, 10, 1))
    q = Period.parse("2026-01", "2026-03", date(2026, 10, 1))
    assert q.previous() == Period(date(2025, 10, 1), date(2025, 12, 1))
    assert q.end_exclusive == date(2026, 4, 1)
    assert q.label() == "janvier 2026 – mars 2026"
    assert q.params() == {"debut": "2026-01", "fin": "2026-03"}
    with pytest.raises(ScopeError, match="commence après"):
        Period.parse("2026-05", "2026-01", date(2026, 10, 1))
    with pytest.raises(ScopeError, match="Mois invalide"):
        Period.parse("2026-13", None, date(2026, 10, 1))


def test_a_period_up_to_the_last_month_with_facts():
    """A profile's period runs to today; its facts stop at their last month (#19)."""
    p = Period.parse("2025-11", "2026-12", date(2026, 12, 1))
    assert p.until(date(2026, 10, 1)) == Period(date(2025, 11, 1), date(2026, 10, 1))
    assert p.until(date(2026, 10, 31)) == Period(date(2025, 11, 1), date(2026, 10, 1))
    assert p.until(date(2026, 12, 1)) is p and p.until(None) is p
    assert p.until(date(2025, 10, 1)) is None  # no month of the period has facts yet


def test_access_rules():
    prefet = User("p", "prefet", "35")
    brigade = User("b", "brigade", "35", "B35047")
    analyste = User("a", "analyste")
    lookup = {"brigade": {"B35047": "35", "B56001": "56"}, "commune": {"35238": "35"}}
    dep = lambda s: departement_of(s, lambda lvl, code: lookup[lvl].get(code))  # noqa: E731
    brig_of = {"35238": "B35047", "35001": "B35001"}.get
    cases = [
        (prefet, "departement:35", True), (prefet, "departement:56", False),
        (prefet, "france", False), (prefet, "brigade:B35047", True),
        (prefet, "brigade:B56001", False), (prefet, "commune:35238", True),
        (brigade, "brigade:B35047", True), (brigade, "departement:35", False),
        (brigade, "commune:35238", True), (analyste, "france", True),
        (analyste, "brigade:B56001", True),
    ]
    for user, text, expected in cases:
        s = Scope.parse(text)
        assert allowed(user, s, dep(s), brig_of) is expected, (user.login, text)
    with pytest.raises(ScopeError, match="inconnue"):
        dep(Scope.parse("brigade:B99999"))
    assert default_scope(prefet) == Scope("departement", "35")
    assert default_scope(brigade) == Scope("brigade", "B35047")
    assert default_scope(analyste) == Scope()

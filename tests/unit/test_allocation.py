"""The per-brigade LP allocation of patrol hours: hand-checkable cases and a property test."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from etl.analytics import allocation
from etl.analytics.allocation import (
    AllocationParameters,
    BrigadeProblem,
    InfeasiblePlan,
    check_feasible,
    commune_bounds,
    exponential_returns,
    minimum_hours,
    solve_brigade,
    weekly_capacity,
)
from etl.analytics.slots import SLOTS

DEFAULT = AllocationParameters()
#: no change cap: the hand-checked cases then depend on the need and the returns only
FREE = AllocationParameters(max_change=1.0, change_floor_hours=1_000.0)
TOL = 1e-6


def problem(need, current=None, minimum=None, capacity=10.0, bid="B1") -> BrigadeProblem:
    need = np.asarray(need, dtype=float)
    if need.ndim == 1:  # one need per commune, uniform over the slots
        need = np.repeat(need[:, None], len(SLOTS), axis=1)
    n = need.shape[0]
    current = np.zeros_like(need) if current is None else np.asarray(current, dtype=float)
    if current.ndim == 1:  # weekly totals, spread evenly
        current = np.repeat(current[:, None] / len(SLOTS), len(SLOTS), axis=1)
    minimum = np.full(n, DEFAULT.min_hours) if minimum is None else np.asarray(minimum, float)
    return BrigadeProblem(bid, tuple(f"C{i}" for i in range(n)), need, current, minimum,
                          capacity)


def totals(plan) -> np.ndarray:
    return plan.hours.sum(axis=1)


def test_capacity_rule_and_minimum_hours():
    assert weekly_capacity(15) == pytest.approx(15 * 1600 * 0.30 / 52.18)
    assert weekly_capacity(10, annual_hours=1_000, public_road_share=0.5) == \
        pytest.approx(5_000 / 52.18)
    assert DEFAULT.visit_hours == 0.5 and DEFAULT.min_hours == 1.0
    assert minimum_hours(np.array([False, True]), DEFAULT).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("changes", [
    {"max_change": 1.5}, {"max_change": -0.1}, {"visit_minutes": 9}, {"visit_minutes": 17},
    {"min_visits": -1}, {"priority_min_factor": 0.5}, {"gendarmes_per_patrol": 0},
    {"change_floor_hours": -1.0}, {"segment_visits": (6, 2), "segment_slopes": (1, .5, .2)},
    {"segment_visits": (2, 6), "segment_slopes": (1.0, 0.5, 0.8)},
    {"segment_visits": (2, 6), "segment_slopes": (1.0, 0.5)},
    {"segment_visits": (2,), "segment_slopes": (1.0, 0.0)},
])
def test_parameters_out_of_range_are_refused_in_french(changes):
    with pytest.raises(ValueError, match="Paramètres invalides"):
        AllocationParameters(**changes).validate()


def test_default_returns_are_per_visit_and_diminishing():
    breaks, slopes = exponential_returns()
    assert breaks == DEFAULT.segment_visits == tuple(range(1, 25))
    assert slopes[0] == 1.0 and slopes[3] == pytest.approx(0.5)  # halves every 3 visits
    assert all(b < a for a, b in zip(slopes, slopes[1:], strict=False))
    assert DEFAULT.validate() is DEFAULT


def test_capacity_is_respected_and_fully_used_when_the_bounds_allow():
    current = [10.0, 10.0, 10.0]  # bounds [7.5, 12.5] each
    for capacity, used in ((30.0, 30.0), (25.0, 25.0), (50.0, 37.5)):
        plan = solve_brigade(problem([1.0, 2.0, 3.0], current, capacity=capacity))
        assert plan.hours.min() >= 0
        assert plan.hours.sum() == pytest.approx(used)  # 37.5: every commune at its cap
    assert plan.capacity_value == pytest.approx(0.0, abs=1e-9)  # capacity no longer binds


def test_every_commune_keeps_its_minimum_and_priority_raises_it():
    prioritised = np.array([False, True, False])
    plan = solve_brigade(problem([0.0, 0.0, 5.0], [0.0, 0.0, 6.0],
                                 minimum_hours(prioritised, DEFAULT), capacity=8.0))
    assert totals(plan).tolist() == pytest.approx([1.0, 2.0, 5.0])  # no need: just the minimum
    assert plan.visits.sum(axis=1).tolist() == [2, 4, 10]


def test_change_cap_and_marginal_values():
    # current totals 20, 4, 10 h; commune 1 needs ten times more but may only rise to 4 + 2 h
    plan = solve_brigade(problem([1.0, 10.0, 1.0], [20.0, 4.0, 10.0], capacity=34.0))
    assert plan.lower.tolist() == pytest.approx([15.0, 2.0, 7.5])
    assert plan.upper.tolist() == pytest.approx([25.0, 6.0, 12.5])
    assert totals(plan).tolist() == pytest.approx([15.5, 6.0, 12.5])
    # commune 0 is between its bounds: its marginal value is the capacity's; the others would
    # take more hours if their cap let them
    assert plan.marginal_value[0] == pytest.approx(plan.capacity_value)
    assert plan.marginal_value[1] > plan.marginal_value[2] > plan.capacity_value > 0


def test_minimum_presence_takes_precedence_over_the_change_cap():
    plan = solve_brigade(problem([0.0, 1.0], [0.0, 30.0], [2.0, 1.0], capacity=40.0),
                         AllocationParameters(change_floor_hours=0.0))
    assert plan.lower[0] == plan.upper[0] == 2.0 and totals(plan)[0] == pytest.approx(2.0)


def test_marginal_values_are_equal_inside_the_bounds_and_price_the_capacity():
    plan = solve_brigade(problem([1.0, 1.0], capacity=12.25), FREE)
    # 12 h fill two visits in each of the 12 cells; the rest goes to third visits, worth
    # 2^(-2/3) an hour
    assert plan.capacity_value == pytest.approx(2 ** (-2 / 3), rel=1e-3)
    assert plan.marginal_value.tolist() == pytest.approx([plan.capacity_value] * 2)
    more = solve_brigade(problem([1.0, 1.0], capacity=12.5), FREE)
    assert (more.objective - plan.objective) / 0.25 == pytest.approx(plan.capacity_value,
                                                                     rel=1e-3)
    # needs 1, 2, 3: the first commune's visits (worth 1 at most) stay below the brigade's
    # marginal hour: it is held at its minimum, and its marginal value is that of its 1st visit
    three = solve_brigade(problem([1.0, 2.0, 3.0], capacity=20.0), FREE)
    assert totals(three)[0] == pytest.approx(1.0)
    assert three.marginal_value[0] == pytest.approx(1.0, rel=1e-3)
    assert three.marginal_value[0] < three.capacity_value
    assert three.marginal_value[1:].tolist() == pytest.approx([three.capacity_value] * 2)


def test_diminishing_returns_spread_the_hours():
    equal = solve_brigade(problem([1.0, 1.0], capacity=12.0), FREE)
    np.testing.assert_allclose(equal.hours, 1.0)  # two visits in every cell
    # twice the need: the 4th visit of the first commune is worth the 1st of the second
    # (2 × 2^(-3/3) = 1), so with 5 visits a slot the first gets 4, the second 1
    double = solve_brigade(problem([2.0, 1.0], capacity=15.0), FREE)
    assert totals(double).tolist() == pytest.approx([12.0, 3.0])
    assert double.visits.tolist() == [[4] * 6, [1] * 6]


def test_equal_needs_differ_by_at_most_one_visit_per_slot():
    plan = solve_brigade(problem([1.0] * 4, capacity=37.0), FREE)
    assert np.ptp(totals(plan)) <= len(SLOTS) * DEFAULT.visit_hours + TOL


def test_same_input_same_output():
    rng = np.random.default_rng(7)
    need, current = rng.gamma(2.0, 1.0, (12, 6)), rng.uniform(0, 3, (12, 6))
    prob = problem(need, current, capacity=current.sum() * 0.9)
    one, two = solve_brigade(prob), solve_brigade(prob)
    for name in ("hours", "visits", "lower", "upper", "marginal_value"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    assert (one.objective, one.capacity_value) == (two.objective, two.capacity_value)


def test_visits_keep_the_minimum_and_the_capacity():
    plan = solve_brigade(problem([0.0, 0.0, 1.0, 3.0], minimum=[1.0, 2.0, 1.0, 1.0],
                                 capacity=10.3), FREE)
    assert plan.visits.dtype.kind == "i" and plan.visits.min() >= 0
    assert (plan.visits.sum(axis=1) >= [2, 4, 2, 2]).all()
    assert plan.visits.sum() * DEFAULT.visit_hours <= 10.3
    assert plan.visits.sum() == 20  # 10.3 h of plan, rounded to whole visits


def infeasible(prob, params=DEFAULT) -> InfeasiblePlan:
    with pytest.raises(InfeasiblePlan) as caught:
        check_feasible(prob, params)
    with pytest.raises(InfeasiblePlan):
        solve_brigade(prob, params)
    return caught.value


def test_infeasible_capacity():
    err = infeasible(problem([1.0, 1.0], capacity=0.0))
    assert err.constraint == "capacite" and str(err) == "la capacité de la brigade est nulle"


def test_infeasible_minimum_presence():
    err = infeasible(problem([1.0] * 12, minimum=[2.0] * 12, capacity=18.5))
    assert err.constraint == "presence_minimale"
    assert str(err) == ("la présence minimale de 12 communes (24,0 h) dépasse la capacité de "
                        "la brigade (18,5 h)")
    assert isinstance(err, ValueError) and err.brigade_id == "B1"


def test_infeasible_minimum_in_whole_visits():
    # 3 × 0.6 h fit in 1.9 h, but 3 × 2 visits of 0.5 h do not
    err = infeasible(problem([1.0] * 3, minimum=[0.6] * 3, capacity=1.9))
    assert err.constraint == "presence_minimale"
    assert str(err) == ("la présence minimale de 3 communes en visites entières (6 visites, "
                        "3,0 h) dépasse la capacité de la brigade (1,9 h)")


def test_infeasible_change_cap():
    err = infeasible(problem([1.0, 1.0], [20.0, 20.0], capacity=25.0))
    assert err.constraint == "variation"
    assert str(err) == ("le plafond de variation de ±25 % empêche de réduire assez la présence "
                        "des communes : il faudrait au moins 30,0 h pour une capacité de 25,0 h")


def test_a_failed_solve_is_an_infeasible_plan(monkeypatch):
    monkeypatch.setattr(allocation, "linprog",
                        lambda *a, **k: SimpleNamespace(status=4, x=None, message="numerical"))
    with pytest.raises(InfeasiblePlan, match="le solveur n'a pas trouvé") as caught:
        solve_brigade(problem([1.0], capacity=5.0))
    assert caught.value.constraint == "solveur"


def test_malformed_problems_and_empty_brigades():
    with pytest.raises(ValueError, match="besoin de forme"):
        solve_brigade(BrigadeProblem("B", ("a",), np.ones((1, 5)), np.zeros((1, 6)),
                                     np.ones(1), 5.0))
    with pytest.raises(ValueError, match="positif ou nul"):
        solve_brigade(problem([-1.0], capacity=5.0))
    empty = solve_brigade(BrigadeProblem("B", (), np.zeros((0, 6)), np.zeros((0, 6)),
                                         np.zeros(0), 0.0))
    assert empty.hours.shape == (0, 6) and empty.objective == 0.0


# --- property test -------------------------------------------------------------------------

@st.composite
def problems(draw):
    n = draw(st.integers(1, 15))
    cells = n * len(SLOTS)
    values = st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False)
    need = np.array(draw(st.lists(st.one_of(st.just(0.0), values), min_size=cells,
                                  max_size=cells))).reshape(n, -1)
    current = np.array(draw(st.lists(st.one_of(st.just(0.0), values), min_size=cells,
                                     max_size=cells))).reshape(n, -1)
    returns = draw(st.sampled_from([exponential_returns(), ((2, 6), (1.0, 0.5, 0.2)),
                                    exponential_returns(1.5, 8), ((3,), (1.0, 1.0))]))
    params = AllocationParameters(
        max_change=draw(st.floats(0.0, 1.0)), change_floor_hours=draw(st.floats(0.0, 5.0)),
        min_visits=draw(st.integers(0, 4)), priority_min_factor=draw(st.floats(1.0, 3.0)),
        visit_minutes=draw(st.integers(10, 16)), gendarmes_per_patrol=draw(st.integers(1, 3)),
        segment_visits=returns[0], segment_slopes=returns[1])
    prioritised = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    minimum = minimum_hours(prioritised, params)
    mode = draw(st.integers(0, 9))  # mostly near the current total, where the bounds bite
    if mode == 5:
        capacity = 0.0
    elif mode in (1, 2, 3):
        capacity = draw(st.floats(0.1, 40.0 * n))
    else:
        scale = max(current.sum(), minimum.sum(), 1.0)
        capacity = draw(st.floats(0.3, 1.6)) * scale
    prob = BrigadeProblem("P", tuple(map(str, range(n))), need, current, minimum, capacity)
    return prob, params


@settings(max_examples=200, deadline=None, derandomize=True)
@given(problems())
def test_every_plan_respects_every_constraint(case):
    prob, params = case
    cap, vh = prob.capacity, params.visit_hours
    lower, upper = commune_bounds(prob, params)
    min_visits = np.ceil(prob.minimum / vh - 1e-6)
    violated = {
        "capacite": cap <= 0,
        "presence_minimale": prob.minimum.sum() > cap + 1e-9 * max(1, cap)
        or min_visits.sum() > math.floor(cap / vh + 1e-6),
        "variation": lower.sum() > cap + 1e-9 * max(1, cap),
    }
    try:
        plan = solve_brigade(prob, params)
    except InfeasiblePlan as err:
        assert violated[err.constraint], (err.constraint, str(err))
        event(f"infeasible: {err.constraint}")
        return
    event("solved")
    assert not any(violated.values()), violated
    tol = 1e-6 * max(1.0, cap)
    x = totals(plan)
    assert plan.hours.shape == (len(prob.communes), len(SLOTS)) and plan.hours.min() >= 0
    assert x.sum() <= cap + tol
    assert x.sum() >= min(cap, upper.sum()) - tol  # positive slopes: nothing left unused
    assert (x >= lower - tol).all() and (x <= upper + tol).all()
    assert (x >= prob.minimum - tol).all()
    assert np.array_equal(plan.lower, lower) and np.array_equal(plan.upper, upper)
    assert plan.visits.min() >= 0 and (plan.visits.sum(axis=1) >= min_visits).all()
    assert plan.visits.sum() * vh <= cap + 1e-9
    assert plan.capacity_value >= -1e-9 and np.isfinite(plan.marginal_value).all()

"""The per-brigade allocation of patrol hours (hours that follow need): hand-checked cases and
property tests."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from etl.analytics.allocation import (
    AllocationParameters,
    BrigadeProblem,
    InfeasiblePlan,
    check_feasible,
    commune_bounds,
    minimum_hours,
    solve_brigade,
    target_hours,
    water_fill,
    weekly_capacity,
)
from etl.analytics.need import DEFAULT_PROFILE
from etl.analytics.slots import SLOTS

DEFAULT = AllocationParameters()
#: no change cap: the hand-checked cases then depend on the need and the minimum only
FREE = AllocationParameters(max_change=1.0, change_floor_hours=1_000.0)
#: the change cap without the catch-up toward the target
NO_CATCH_UP = AllocationParameters(catch_up=0.0)
TOL = 1e-9


def problem(need, current=None, minimum=None, capacity=10.0, bid="B1") -> BrigadeProblem:
    need = np.asarray(need, dtype=float)
    if need.ndim == 1:  # weekly need per commune, spread evenly over the slots
        need = np.repeat(need[:, None] / len(SLOTS), len(SLOTS), axis=1)
    n = need.shape[0]
    current = np.zeros_like(need) if current is None else np.asarray(current, dtype=float)
    if current.ndim == 1:  # weekly totals, spread evenly
        current = np.repeat(current[:, None] / len(SLOTS), len(SLOTS), axis=1)
    minimum = np.full(n, DEFAULT.min_hours) if minimum is None else np.asarray(minimum, float)
    return BrigadeProblem(bid, tuple(f"C{i}" for i in range(n)), need, current, minimum,
                          capacity)


def totals(plan) -> np.ndarray:
    return plan.hours.sum(axis=1)


def approx(values, rel: float = 1e-9):
    return pytest.approx(values, rel=rel, abs=1e-9)


# --- parameters ------------------------------------------------------------------------------

def test_capacity_rule_and_minimum_hours():
    assert weekly_capacity(15) == pytest.approx(15 * 1600 * 0.30 / 52.18)
    assert weekly_capacity(10, annual_hours=1_000, public_road_share=0.5) == \
        pytest.approx(5_000 / 52.18)
    assert DEFAULT.visit_hours == 0.5 and DEFAULT.min_hours == 1.0
    assert minimum_hours(np.array([False, True]), DEFAULT).tolist() == [1.0, 2.0]
    assert (DEFAULT.max_change, DEFAULT.change_floor_hours, DEFAULT.catch_up) == (0.25, 2.0, 0.5)
    assert DEFAULT.validate() is DEFAULT and FREE.validate() is FREE


@pytest.mark.parametrize("changes", [
    {"max_change": 1.5}, {"max_change": -0.1}, {"max_change": math.nan},
    {"visit_minutes": 9}, {"visit_minutes": 17}, {"min_visits": -1}, {"min_visits": 1.5},
    {"priority_min_factor": 0.5}, {"gendarmes_per_patrol": 0},
    {"change_floor_hours": -1.0}, {"change_floor_hours": math.inf},
    {"catch_up": 1.5}, {"catch_up": -0.1}, {"catch_up": math.nan},
])
def test_parameters_out_of_range_are_refused_in_french(changes):
    with pytest.raises(ValueError, match="Paramètres invalides"):
        AllocationParameters(**changes).validate()


def test_catch_up_out_of_range_is_named_in_french():
    with pytest.raises(ValueError, match="la part de rattrapage de la cible doit être comprise "
                                         "entre 0 et 1"):
        solve_brigade(problem([1.0], capacity=5.0), AllocationParameters(catch_up=2.0))
    for edge in (0.0, 1.0):
        assert AllocationParameters(catch_up=edge).validate().catch_up == edge


# --- the exact optimum: hours proportional to need -------------------------------------------

def test_water_fill_is_the_exact_clipped_proportional_rule():
    need, zero, free = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4), np.full(4, np.inf)
    hours, lam = water_fill(need, zero, free, 20.0)
    assert hours.tolist() == approx([2.0, 4.0, 6.0, 8.0]) and lam == approx(0.5)
    assert hours.sum() == approx(20.0, rel=1e-12)
    # an upper bound stops the first commune; the second takes the rest: λ = 1 / 9
    hours, lam = water_fill(np.array([1.0, 1.0]), np.zeros(2), np.array([1.0, np.inf]), 10.0)
    assert hours.tolist() == approx([1.0, 9.0]) and lam == approx(1 / 9)
    # the bounds cannot take the capacity: all at the upper bound, the capacity is worth 0
    hours, lam = water_fill(need, zero, np.ones(4), 20.0)
    assert hours.tolist() == [1.0] * 4 and lam == 0.0
    # the lower bounds take it all: λ is infinite
    hours, lam = water_fill(need, np.full(4, 5.0), free, 20.0)
    assert hours.tolist() == [5.0] * 4 and lam == math.inf
    # a commune without need only gets hours the others cannot take
    hours, _ = water_fill(np.array([0.0, 1.0]), np.ones(2), np.array([5.0, np.inf]), 6.0)
    assert hours.tolist() == approx([1.0, 5.0])
    hours, _ = water_fill(np.array([0.0, 1.0]), np.ones(2), np.array([5.0, 3.0]), 6.0)
    assert hours.tolist() == approx([3.0, 3.0])


def test_without_cap_or_minimum_hours_are_proportional_to_need():
    zero = [0.0] * 4
    plan = solve_brigade(problem([1.0, 2.0, 3.0, 4.0], minimum=zero, capacity=20.0), FREE)
    assert totals(plan).tolist() == approx([2.0, 4.0, 6.0, 8.0])
    assert plan.target.tolist() == approx([2.0, 4.0, 6.0, 8.0])
    assert plan.capacity_value == approx(0.5)
    assert plan.marginal_value.tolist() == approx([0.5] * 4)  # need per hour, the same everywhere
    assert plan.objective == approx(10 * math.log(2.0))  # Σ N log(h / N), h = 2 N
    assert plan.visits.sum() == 40  # 20 h in half-hour visits


@pytest.mark.parametrize("capacity", [1.0, 7.5, 20.0, 333.3, 1_500.0])
@pytest.mark.parametrize("ratio", [2.0, 10.0, 100.0])
def test_proportionality_holds_at_any_capacity(capacity, ratio):
    # no logarithm of need: a commune `ratio` times as needy gets `ratio` times the hours,
    # whatever the capacity (the per-visit returns of the first version did not)
    need = np.array([1.0, ratio, 2 * ratio])
    plan = solve_brigade(problem(need, minimum=[0.0] * 3, capacity=capacity), FREE)
    assert totals(plan).tolist() == approx((capacity * need / need.sum()).tolist())
    assert totals(plan)[1] / totals(plan)[0] == approx(ratio)
    assert totals(plan)[2] / totals(plan)[1] == approx(2.0)  # double the need, double the hours


def test_doubling_a_commune_s_need_doubles_its_share():
    equal = solve_brigade(problem([1.0, 1.0], minimum=[0.0, 0.0], capacity=12.0), FREE)
    double = solve_brigade(problem([2.0, 1.0], minimum=[0.0, 0.0], capacity=12.0), FREE)
    assert totals(equal).tolist() == approx([6.0, 6.0])
    assert totals(double).tolist() == approx([8.0, 4.0])


def test_minimum_presence_holds_and_the_rest_stays_proportional():
    # proportional hours would give the first commune 20 × 0.1 / 6.1 ≈ 0.33 h: it is held at its
    # 2 h minimum and the other 18 h are shared 1 : 2 : 3
    plan = solve_brigade(problem([0.1, 1.0, 2.0, 3.0], minimum=[2.0] * 4, capacity=20.0), FREE)
    assert totals(plan).tolist() == approx([2.0, 3.0, 6.0, 9.0])
    assert plan.target.tolist() == approx([2.0, 3.0, 6.0, 9.0])
    # a raised (priority) minimum: 3 h instead of 1.5 h; the other 9 h are shared 1 : 4
    plan = solve_brigade(problem([1.0, 1.0, 4.0], minimum=[3.0, 1.0, 1.0], capacity=12.0), FREE)
    assert totals(plan).tolist() == approx([3.0, 1.8, 7.2])


def test_every_commune_keeps_its_minimum_and_priority_raises_it():
    prioritised = np.array([False, True, False])
    plan = solve_brigade(problem([0.0, 0.0, 5.0], [0.0, 0.0, 6.0],
                                 minimum_hours(prioritised, DEFAULT), capacity=8.0))
    assert totals(plan).tolist() == approx([1.0, 2.0, 5.0])  # no need: just the minimum
    assert plan.visits.sum(axis=1).tolist() == [2, 4, 10]


# --- target and change cap -------------------------------------------------------------------

def test_target_is_the_uncapped_plan():
    prob = problem([1.0, 3.0, 0.5, 6.0], [10.0, 2.0, 0.0, 4.0], capacity=21.0)
    capped, uncapped = solve_brigade(prob), solve_brigade(prob, FREE)
    assert capped.target.tolist() == approx(totals(uncapped).tolist())
    assert uncapped.target.tolist() == approx(totals(uncapped).tolist())
    assert target_hours(prob).tolist() == approx(capped.target.tolist())
    assert capped.target.sum() == approx(21.0)
    assert not np.allclose(totals(capped), capped.target)  # the cap binds here


def test_capped_plan_moves_toward_the_target_and_never_past_it():
    # target 3.5 h and 10.5 h (1 : 3 above the 1 h minimum); current 10 h and 4 h
    prob = problem([1.0, 3.0], [10.0, 4.0], capacity=14.0)
    plan = solve_brigade(prob)
    assert plan.target.tolist() == approx([3.5, 10.5])
    # the first may fall by 25 % (2.5 h); the second rise by its 2 h floor, and must reach half
    # its target (5.25 h): it stops at its cap, the first keeps the rest
    assert plan.lower.tolist() == approx([7.5, 5.25])
    assert plan.upper.tolist() == approx([12.5, 6.0])
    assert totals(plan).tolist() == approx([8.0, 6.0])
    # week after week, from the plan of the week before: closer each time, never past the
    # target, which is reached in the fourth week
    start, weeks = np.array([10.0, 4.0]), []
    for _ in range(5):
        step = solve_brigade(problem([1.0, 3.0], start, capacity=14.0))
        x = totals(step)
        assert (x >= np.minimum(start, step.target) - TOL).all()
        assert (x <= np.maximum(start, step.target) + TOL).all()
        assert (np.abs(x - step.target) <= np.abs(start - step.target) + TOL).all()
        weeks.append(x.tolist())
        start = x
    assert weeks == [approx(w) for w in ([8.0, 6.0], [6.0, 8.0], [4.0, 10.0], [3.5, 10.5],
                                         [3.5, 10.5])]


def test_a_needy_commune_without_hours_catches_up():
    # target 4, 4, 32 h: the third commune, with no hours yet, reaches half its target (16 h)
    # in one week (its floor and its cap), the others falling by at most half their hours
    prob = problem([1.0, 1.0, 8.0], [20.0, 20.0, 0.0], capacity=40.0)
    plan = solve_brigade(prob, AllocationParameters(max_change=0.5))
    assert plan.target.tolist() == approx([4.0, 4.0, 32.0])
    assert plan.lower[2] == plan.upper[2] == approx(16.0)
    assert totals(plan).tolist() == approx([12.0, 12.0, 16.0])
    assert totals(plan)[2] >= 0.5 * plan.target[2] - TOL
    # it would take more: its need per hour (8 / 16) is above the capacity's (1 / 12)
    assert plan.capacity_value == approx(1 / 12)
    assert plan.marginal_value.tolist() == approx([1 / 12, 1 / 12, 0.5])
    # without the catch-up it would be frozen at the change floor (2 h)
    frozen = solve_brigade(prob, AllocationParameters(max_change=0.5, catch_up=0.0))
    assert totals(frozen).tolist() == approx([19.0, 19.0, 2.0])
    # the default catch-up from an empty week: half the target everywhere; the change cap
    # then leaves capacity unused (the capacity is worth nothing at the margin)
    fresh = solve_brigade(problem([1.0, 1.0, 1.0], capacity=30.0))
    assert fresh.target.tolist() == approx([10.0] * 3)
    assert totals(fresh).tolist() == approx([5.0] * 3) and fresh.capacity_value == 0.0


def test_capacity_is_respected_and_fully_used_when_the_bounds_allow():
    current = [10.0, 10.0, 10.0]  # bounds [7.5, 12.5] each without the catch-up
    for capacity, used in ((30.0, 30.0), (25.0, 25.0), (50.0, 37.5)):
        plan = solve_brigade(problem([1.0, 2.0, 3.0], current, capacity=capacity), NO_CATCH_UP)
        assert plan.hours.min() >= 0
        assert plan.hours.sum() == approx(used)  # 37.5: every commune at its cap
    assert plan.capacity_value == 0.0  # capacity no longer binds


def test_minimum_presence_takes_precedence_over_the_change_cap():
    plan = solve_brigade(problem([0.0, 1.0], [0.0, 30.0], [2.0, 1.0], capacity=40.0),
                         AllocationParameters(change_floor_hours=0.0, catch_up=0.0))
    assert plan.lower[0] == plan.upper[0] == 2.0 and totals(plan)[0] == approx(2.0)


# --- marginal values -------------------------------------------------------------------------

def test_marginal_values_inside_at_the_cap_and_at_the_minimum():
    # current 20, 4, 10 h; the second commune needs ten times more but may only rise by 2 h
    plan = solve_brigade(problem([1.0, 10.0, 1.0], [20.0, 4.0, 10.0], capacity=34.0),
                         NO_CATCH_UP)
    assert plan.lower.tolist() == approx([15.0, 2.0, 7.5])
    assert plan.upper.tolist() == approx([25.0, 6.0, 12.5])
    assert totals(plan).tolist() == approx([15.5, 6.0, 12.5])
    # the first commune is between its bounds: its marginal value is the capacity's; the
    # others are stopped by their cap and would take more hours
    assert plan.capacity_value == approx(1 / 15.5)
    assert plan.marginal_value.tolist() == approx([1 / 15.5, 10 / 6, 1 / 12.5])
    assert plan.marginal_value[1] > plan.marginal_value[2] > plan.capacity_value > 0
    # held up by the minimum presence
    held = solve_brigade(problem([0.1, 1.0, 2.0, 3.0], minimum=[2.0] * 4, capacity=20.0), FREE)
    assert held.capacity_value == approx(1 / 3)
    assert held.marginal_value.tolist() == approx([0.05, 1 / 3, 1 / 3, 1 / 3])


@pytest.mark.parametrize(("need", "current", "minimum", "capacity", "params"), [
    ([1.0, 2.0, 3.0, 4.0], None, [0.0] * 4, 20.0, FREE),
    ([0.1, 1.0, 2.0, 3.0], None, [2.0] * 4, 20.0, FREE),
    ([1.0, 10.0, 1.0], [20.0, 4.0, 10.0], None, 34.0, NO_CATCH_UP),
    ([1.0, 3.0], [10.0, 4.0], None, 14.0, DEFAULT),
    ([2.0, 0.5, 3.0, 1.0], [3.0, 6.0, 1.0, 2.0], None, 12.0, DEFAULT),
])
def test_capacity_value_is_the_derivative_of_the_objective(need, current, minimum, capacity,
                                                           params):
    def objective(cap: float) -> float:
        return solve_brigade(problem(need, current, minimum, capacity=cap), params).objective

    # (cases where no bound binds at catch_up × target: such a bound moves with the capacity,
    # through the target, and the derivative then also counts that move)
    eps = 1e-4
    plan = solve_brigade(problem(need, current, minimum, capacity=capacity), params)
    slope = (objective(capacity + eps) - objective(capacity - eps)) / (2 * eps)
    assert plan.capacity_value > 0
    assert slope == pytest.approx(plan.capacity_value, rel=1e-5)


# --- slots and visits ------------------------------------------------------------------------

def test_hours_are_split_over_the_slots_by_slot_need():
    need = np.array([[1.0, 2.0, 3.0, 0.0, 0.0, 2.0], [0.0] * 6, [0.0] * 6])
    current = np.array([[0.0] * 6, [0.0, 0.0, 3.0, 1.0, 0.0, 0.0], [0.0] * 6])
    plan = solve_brigade(problem(need, current, [0.0, 1.0, 1.0], capacity=10.0), FREE)
    assert totals(plan).tolist() == approx([8.0, 1.0, 1.0])
    assert plan.hours[0].tolist() == approx(need[0].tolist())  # 8 h over a need of 8
    # no need: the current split (3 : 1), or the even profile when there are no hours either
    assert plan.hours[1].tolist() == approx([0.0, 0.0, 0.75, 0.25, 0.0, 0.0])
    assert plan.hours[2].tolist() == approx((DEFAULT_PROFILE / DEFAULT_PROFILE.sum()).tolist())


def test_visits_keep_the_minimum_and_the_capacity():
    plan = solve_brigade(problem([0.0, 0.0, 1.0, 3.0], minimum=[1.0, 2.0, 1.0, 1.0],
                                 capacity=10.3), FREE)
    assert plan.visits.dtype.kind == "i" and plan.visits.min() >= 0
    assert (plan.visits.sum(axis=1) >= [2, 4, 2, 2]).all()
    assert plan.visits.sum() * DEFAULT.visit_hours <= 10.3
    assert plan.visits.sum() == 20  # 10.3 h of plan, rounded to whole visits


def test_same_input_same_output():
    rng = np.random.default_rng(7)
    need, current = rng.gamma(2.0, 1.0, (12, 6)), rng.uniform(0, 3, (12, 6))
    prob = problem(need, current, capacity=current.sum() * 0.9)
    one, two = solve_brigade(prob), solve_brigade(prob)
    for name in ("hours", "visits", "lower", "upper", "marginal_value", "target"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    assert (one.objective, one.capacity_value) == (two.objective, two.capacity_value)


# --- infeasible and malformed problems -------------------------------------------------------

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
    # the catch-up floor gives way instead: the second commune's half target (4.5 h) does not
    # fit while the first may only fall from 10 h to 7.5 h: it gets what fits (2.5 h), and the
    # cap still holds (it is not lifted)
    prob = problem([0.0, 1.0], [10.0, 0.0], capacity=10.0)
    check_feasible(prob, DEFAULT)
    lower, _upper = commune_bounds(prob, DEFAULT)
    assert lower.tolist() == approx([7.5, 2.5])
    assert totals(solve_brigade(prob)).tolist() == approx([7.5, 2.5])
    assert totals(solve_brigade(prob, NO_CATCH_UP)).tolist() == approx([8.0, 2.0])


def test_malformed_problems_and_empty_brigades():
    with pytest.raises(ValueError, match="besoin de forme"):
        solve_brigade(BrigadeProblem("B", ("a",), np.ones((1, 5)), np.zeros((1, 6)),
                                     np.ones(1), 5.0))
    with pytest.raises(ValueError, match="besoin doit être fini et positif ou nul"):
        solve_brigade(problem([-1.0], capacity=5.0))
    with pytest.raises(ValueError, match="heures actuelles doit être fini"):
        solve_brigade(problem([1.0], [math.nan], capacity=5.0))
    with pytest.raises(ValueError, match="présence minimale de forme"):
        solve_brigade(problem([1.0], minimum=[1.0, 1.0], capacity=5.0))
    with pytest.raises(ValueError, match="capacité non finie"):
        solve_brigade(problem([1.0], capacity=math.inf))
    empty = solve_brigade(BrigadeProblem("B", (), np.zeros((0, 6)), np.zeros((0, 6)),
                                         np.zeros(0), 0.0))
    assert empty.hours.shape == (0, 6) and empty.visits.shape == (0, 6)
    assert empty.target.shape == (0,) and empty.objective == 0.0


# --- property tests --------------------------------------------------------------------------

@st.composite
def problems(draw):
    n = draw(st.integers(1, 15))
    cells = n * len(SLOTS)
    values = st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False)
    need = np.array(draw(st.lists(st.one_of(st.just(0.0), values), min_size=cells,
                                  max_size=cells))).reshape(n, -1)
    current = np.array(draw(st.lists(st.one_of(st.just(0.0), values), min_size=cells,
                                     max_size=cells))).reshape(n, -1)
    params = AllocationParameters(
        max_change=draw(st.floats(0.0, 1.0)), change_floor_hours=draw(st.floats(0.0, 5.0)),
        catch_up=draw(st.floats(0.0, 1.0)), min_visits=draw(st.integers(0, 4)),
        priority_min_factor=draw(st.floats(1.0, 3.0)), visit_minutes=draw(st.integers(10, 16)),
        gendarmes_per_patrol=draw(st.integers(1, 3)))
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


@settings(max_examples=300, deadline=None, derandomize=True)
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
    assert x.sum() >= min(cap, upper.sum()) - tol  # log h grows: nothing the bounds allow unused
    assert (x >= lower - tol).all() and (x <= upper + tol).all()
    assert (x >= prob.minimum - tol).all()
    assert np.array_equal(plan.lower, lower) and np.array_equal(plan.upper, upper)
    assert plan.visits.min() >= 0 and (plan.visits.sum(axis=1) >= min_visits).all()
    assert plan.visits.sum() * vh <= cap + 1e-9
    assert plan.capacity_value >= 0 and np.isfinite(plan.capacity_value)
    assert np.isfinite(plan.marginal_value).all()

    # the target: the minimum, and the whole capacity shared in proportion to need above it
    t, need = plan.target, prob.need.sum(axis=1)
    assert (t >= prob.minimum - tol).all() and t.sum() == pytest.approx(cap, rel=1e-6, abs=1e-6)
    needy = need >= 1e-6 * need.max() if need.max() > 0 else np.zeros(need.size, bool)
    above = needy & (t > prob.minimum + tol)
    if above.any():
        per_need = t[above] / need[above]
        assert np.ptp(per_need) <= 1e-6 * per_need.max()
        # a commune held at its minimum would get less by the proportional rule
        held = needy & ~above
        assert (t[held] >= need[held] * per_need.min() - tol).all()

    # Karush-Kuhn-Tucker: need per hour is λ inside the bounds, ≥ λ at the upper, ≤ λ at the
    # lower bound (communes with a real need; those without only take what is left)
    lam, mv = plan.capacity_value, plan.marginal_value
    inside = needy & (x > lower + tol) & (x < upper - tol)
    at_upper = needy & (x >= upper - tol) & (upper > lower + tol)
    at_lower = needy & (x <= lower + tol) & (upper > lower + tol)
    assert mv[inside] == pytest.approx(np.full(inside.sum(), lam), rel=1e-6)
    assert (mv[at_upper] >= lam * (1 - 1e-6)).all()
    assert (mv[at_lower] <= lam * (1 + 1e-6)).all()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.floats(0.1, 10.0), min_size=2, max_size=2),
       st.lists(st.floats(1.0, 30.0), min_size=2, max_size=2),
       st.floats(0.0, 1.0), st.floats(0.0, 5.0), st.floats(0.0, 1.0))
def test_two_communes_move_toward_their_target(need, current, max_change, floor, catch_up):
    # with the whole capacity in use, each week brings both communes closer to their target,
    # never past it (with more communes one stuck at its bound can push another away)
    params = AllocationParameters(max_change=max_change, change_floor_hours=floor,
                                  catch_up=catch_up)
    current = np.asarray(current)
    prob = problem(need, current, capacity=float(current.sum()))
    try:
        plan = solve_brigade(prob, params)
    except InfeasiblePlan as err:
        # only the catch-up floor can make it infeasible: the current hours fit the change cap
        assert err.constraint == "variation" and catch_up > 0
        plan = solve_brigade(prob, replace(params, catch_up=0.0))
        event("catch-up floor infeasible")
    x, t = totals(plan), plan.target
    tol = 1e-9 * current.sum()
    assert (x >= np.minimum(current, t) - tol).all() and (x <= np.maximum(current, t) + tol).all()


def test_a_need_as_small_as_a_float_allows_still_gives_a_plan():
    """Found by hypothesis: a need of 5e-324 overflowed the water-filling's breakpoints."""
    problem = BrigadeProblem(brigade_id="P", communes=("0",),
                             need=np.array([[0, 0, 0, 0, 0, 5e-324]]), current=np.zeros((1, 6)),
                             minimum=np.array([0.0]), capacity=1.0)
    params = AllocationParameters(max_change=0.0, change_floor_hours=0.0, catch_up=0.0,
                                  min_visits=0, priority_min_factor=1.0, visit_minutes=10,
                                  gendarmes_per_patrol=1)
    plan = solve_brigade(problem, params)
    assert np.isfinite(plan.hours).all() and plan.hours.sum() <= 1.0 + 1e-9

"""Feedback-loop guard (issue #10, item 6): presence must not chase the facts it records itself.

The simulation: one brigade of 10 communes with the **same true rate** of victim-reported facts
(10 a week each) and 30 gendarmes (≈ 276 h of public-road presence a week). Recorded facts
depend on presence — ``Poisson(rate × (0.8 + 0.2 × share of hours × n))``, a detection effect:
a commune with twice its fair share records 20 % more. Every week the naive forecast (the mean
of the last 12 weeks' recorded facts, like the engine's baselines; 12 weeks of warm-up at equal
presence) is spread evenly over the six slots as the need, :func:`solve_brigade` allocates the
capacity with the previous week's plan as the current allocation, and the next week's facts
are drawn with a seeded generator. Ensign et al. (2018) show that such a loop runs away when the
allocation chases recorded facts. Over the last 26 weeks, no commune's average share of hours
may drift more than 10 % (relative) from the truth, the equal share 1/10.

What makes it hold:

- **victim-reported facts only**: the forecast never sees offences revealed by police activity,
  so the detection effect is small (80 % of the facts are recorded whatever the presence);
- **diminishing returns at the resolution of a visit** (the default curve, the value of the next
  visit in a slot halves every 3 visits): taking one visit from a commune to give it to another
  of equal hours pays only if the second out-needs the first by 26 %, far more than the 20 %
  detection effect of a whole doubled share; and the allocation moves less than the need;
- **the change cap** (±25 % a week, current = last week's plan): a noisy forecast cannot swing
  a commune's hours in one week;
- **the minimum presence** (2 visits) is a floor no commune falls under; it does not bind here.

The controls show the test can fail: linear returns without a change cap nor a minimum (the
greedy allocation of Ensign et al.) give everything to one commune (drift 900 %); the coarse
three-segment curve (1 / 0.5 / 0.2 at 2 and 6 visits), even with the change cap, lets the top
communes take a whole segment of every slot week after week (drift about 300 %).

Honest limits: the 10 % bound is about the loop, and it needs counts large enough for the naive
forecast's own noise to stay below it. At 10 facts a week, seeds 0-15 all pass (largest drift
8 %, median 5 %, the same as without any detection effect). At 5 facts a week, 3 of 16 seeds
drift by 10-16 % (median 8 %), and without any detection effect the shares still drift by up to
10 % (median 6 %): mostly chasing forecast noise, which the engine's backtested forecast and the
audit's flag (presence up 4 weeks or more while facts were not) are for.
"""

from __future__ import annotations

import numpy as np

from etl.analytics.allocation import (
    AllocationParameters,
    BrigadeProblem,
    minimum_hours,
    solve_brigade,
    weekly_capacity,
)
from etl.analytics.slots import SLOTS

N_COMMUNES = 10
TRUE_RATE = 10.0  # victim-reported facts a week, the same in every commune
CAPACITY = weekly_capacity(30)
WEEKS, WINDOW, LAST = 52, 12, 26
DETECTION = 0.2  # share of the recorded facts that depends on presence
TOLERANCE = 0.10


def simulate(params: AllocationParameters, seed: int = 0) -> np.ndarray:
    """Each week's share of hours per commune, [WEEKS, N_COMMUNES]."""
    rng = np.random.default_rng(seed)
    communes = tuple(f"C{i}" for i in range(N_COMMUNES))
    minimum = minimum_hours(np.zeros(N_COMMUNES, dtype=bool), params)
    recorded = [rng.poisson(TRUE_RATE, N_COMMUNES) for _ in range(WINDOW)]  # at equal presence
    current = np.full((N_COMMUNES, len(SLOTS)), CAPACITY / N_COMMUNES / len(SLOTS))
    shares = []
    for _ in range(WEEKS):
        forecast = np.mean(recorded[-WINDOW:], axis=0)
        need = np.repeat(forecast[:, None] / len(SLOTS), len(SLOTS), axis=1)
        plan = solve_brigade(BrigadeProblem("B", communes, need, current, minimum, CAPACITY),
                             params)
        current = plan.hours
        share = plan.hours.sum(axis=1) / plan.hours.sum()
        shares.append(share)
        detection = (1 - DETECTION) + DETECTION * share * N_COMMUNES
        recorded.append(rng.poisson(TRUE_RATE * detection))
    return np.array(shares)


def drift(shares: np.ndarray) -> float:
    """Largest relative gap between a commune's average share (last weeks) and 1/n."""
    return float(np.abs(shares[-LAST:].mean(axis=0) * N_COMMUNES - 1).max())


def test_guarded_allocation_does_not_run_away():
    shares = simulate(AllocationParameters())
    assert drift(shares) <= TOLERANCE, shares[-LAST:].mean(axis=0)
    assert shares.min() > 0  # no commune abandoned on the way


def test_control_greedy_linear_allocation_runs_away():
    greedy = AllocationParameters(max_change=1.0, change_floor_hours=CAPACITY, min_visits=0,
                                  segment_visits=(1,), segment_slopes=(1.0, 1.0))
    shares = simulate(greedy)
    assert drift(shares) > TOLERANCE
    assert shares[-LAST:].max(axis=1).min() > 0.9  # one commune takes almost everything


def test_control_coarse_returns_drift_despite_the_change_cap():
    coarse = AllocationParameters(segment_visits=(2, 6), segment_slopes=(1.0, 0.5, 0.2))
    assert drift(simulate(coarse)) > 1.0

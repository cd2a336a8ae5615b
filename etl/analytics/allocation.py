"""The weekly allocation of a brigade's public-road presence hours: hours that follow need.

Capacity (:func:`weekly_capacity`): ``effectif × heures annuelles × part de voie publique /
52,18`` gendarme-hours a week (the assumptions of :mod:`etl.analytics.presence`: 1,600 hours a
year, 30 % on the public road, 52.18 weeks a year).

**The value of hours.** A commune ``c`` with need ``N_c`` (severity-weighted facts a week, plus
the élus' part: :mod:`etl.analytics.need`) that receives ``h_c`` hours is worth
``N_c × log(h_c / N_c)``: a concave value of its hours *relative to its need*. The value of one
more hour there is ``N_c / h_c``, its need per hour: the first hours of an unserved commune are
worth most, and a commune twice as needy is worth as much at twice the hours. The brigade's
plan maximises the sum over its communes under

- **capacity**: ``Σ h_c ≤ capacity``;
- **commune bounds** ``lower_c ≤ h_c ≤ upper_c``: the minimum presence (two visits, doubled
  where élus have open high-priority expectations: :func:`minimum_hours`) and, for the weekly
  plan, the change cap around the current allocation (:func:`commune_bounds`).

The optimum has a closed form (the Karush-Kuhn-Tucker conditions of a separable concave
program with one coupling row): ``h_c = clip(N_c / λ, lower_c, upper_c)``, with the one ``λ``
at which the hours add up to the capacity (exact: :func:`water_fill` solves the piecewise-linear
equation in ``1 / λ``, without iterations).
Hence:

- the **target** (:func:`target_hours`, no change cap, only the minimum presence) gives every
  commune hours **proportional to its need** above its minimum — whatever the capacity; the
  per-visit diminishing returns of the first version made hours grow with the logarithm of
  need, so that a plain population rule did better (issue #17);
- the **weekly plan** keeps each commune as close to its need-proportional share as the
  change cap and the capacity allow (with three communes or more, one already at its target
  may have to give or take hours that the others cannot yet shed or absorb), and never below
  ``catch_up`` × its target (half; less only when the others cannot shed their hours fast
  enough): a commune with little current presence but a real need is never frozen near zero
  (the first version held 58 communes of dép. 35 at ≤ 2 h, some in the top quartile of need);
- **λ** is the ``capacity_value`` (need per hour at the margin, in severity-weighted facts a
  week per hour: the gain of one more brigade hour at fixed commune bounds — the catch-up
  bound itself moves with the capacity, through the target), and ``marginal_value[c] =
  N_c / h_c``: equal to λ for every commune strictly between its bounds, higher for one
  stopped by its upper cap (it would use more), lower for one held up by its minimum. These
  are the LP duals of the first version, exact here.

Inside a commune the hours are split over the six slots in proportion to the slots' need (the
current split, or an even profile, when the commune has no need at all).

**Visits** are what the patrol plan is written in: ``visit_hours = visit_minutes / 60 ×
gendarmes_per_patrol`` gendarme-hours (a 15-minute visit by two gendarmes: 0.5 h; Koper curve:
10-16 minutes). The continuous hours become whole visits by the largest remainder over the whole
brigade: the total is the rounded total of the plan (never more than the capacity in whole
visits), every commune keeps at least ``ceil(minimum_c / visit_hours)`` visits, and the commune
bounds may be missed by less than one visit. If the minimum in whole visits exceeds the capacity
the problem is infeasible ('presence_minimale').

Infeasible inputs raise :class:`InfeasiblePlan` before solving, with a French message naming the
constraint (``capacite``, ``presence_minimale``, ``variation``). Same input, same output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from etl.analytics.slots import SLOTS

WEEKS_PER_YEAR = 52.18
N_SLOTS = len(SLOTS)
_TOL = 1e-9
#: need given to a commune without any, relative to the brigade's largest: it only decides where
#: hours no needy commune can take (all stopped by their upper bound) go, evenly
_NEED_FLOOR = 1e-6


@dataclass(frozen=True)
class AllocationParameters:
    """Constraints of the allocation (see the module's docstring)."""

    max_change: float = 0.25  # cap on the relative change of a commune's weekly hours (0..1)
    change_floor_hours: float = 2.0  # a commune may always move by at least this many hours
    catch_up: float = 0.5  # ... and rise to this share of its target (never frozen near zero)
    min_visits: int = 2  # minimum weekly visits in every commune
    priority_min_factor: float = 2.0  # minimum × this where élus have open priority expectations
    visit_minutes: int = 15  # length of a visit, 10..16 minutes (Koper curve)
    gendarmes_per_patrol: int = 2

    @property
    def visit_hours(self) -> float:
        """Gendarme-hours of one visit."""
        return self.visit_minutes / 60 * self.gendarmes_per_patrol

    @property
    def min_hours(self) -> float:
        """Minimum weekly hours of a commune without priority expectations."""
        return self.min_visits * self.visit_hours

    def validate(self) -> AllocationParameters:
        """Raise ``ValueError`` (French message) on a value out of range; return ``self``."""
        problems = []
        if not 0 <= self.max_change <= 1:
            problems.append("la variation maximale doit être comprise entre 0 et 1")
        if not (math.isfinite(self.change_floor_hours) and self.change_floor_hours >= 0):
            problems.append("la variation minimale autorisée doit être positive ou nulle")
        if not 0 <= self.catch_up <= 1:
            problems.append("la part de rattrapage de la cible doit être comprise entre 0 et 1")
        if int(self.min_visits) != self.min_visits or self.min_visits < 0:
            problems.append("le nombre minimal de visites doit être un entier positif ou nul")
        if not (math.isfinite(self.priority_min_factor) and self.priority_min_factor >= 1):
            problems.append("le facteur de priorité doit être supérieur ou égal à 1")
        if int(self.visit_minutes) != self.visit_minutes or not 10 <= self.visit_minutes <= 16:
            problems.append("une visite dure de 10 à 16 minutes")
        if int(self.gendarmes_per_patrol) != self.gendarmes_per_patrol \
                or self.gendarmes_per_patrol < 1:
            problems.append("une patrouille compte au moins un gendarme")
        if problems:
            raise ValueError("Paramètres invalides : " + " ; ".join(problems) + ".")
        return self


DEFAULT_PARAMETERS = AllocationParameters()


def weekly_capacity(effectif: int | float, annual_hours: float = 1600.0,
                    public_road_share: float = 0.30) -> float:
    """Weekly gendarme-hours of public-road presence of a brigade:
    ``effectif × annual_hours × public_road_share / 52.18``."""
    return float(effectif) * annual_hours * public_road_share / WEEKS_PER_YEAR


def minimum_hours(prioritised: np.ndarray, params: AllocationParameters) -> np.ndarray:
    """Minimum weekly hours of each commune: ``min_visits × visit_hours``, multiplied by
    ``priority_min_factor`` where ``prioritised`` (open high-priority expectations of élus)."""
    flags = np.asarray(prioritised, dtype=bool)
    return params.min_hours * np.where(flags, params.priority_min_factor, 1.0)


@dataclass(frozen=True, eq=False)  # arrays: compared and hashed by identity
class BrigadeProblem:
    """One brigade's inputs; every [commune, slot] array follows :data:`SLOTS`."""

    brigade_id: str
    communes: tuple[str, ...]
    need: np.ndarray  # [n, 6] need score ≥ 0
    current: np.ndarray  # [n, 6] current weekly hours ≥ 0
    minimum: np.ndarray  # [n] minimum weekly hours
    capacity: float  # weekly gendarme-hours of public-road presence

    def validate(self) -> BrigadeProblem:
        """Raise ``ValueError`` (French message) on malformed arrays; return ``self``."""
        n = len(self.communes)
        for name, arr, shape in (("besoin", self.need, (n, N_SLOTS)),
                                 ("heures actuelles", self.current, (n, N_SLOTS)),
                                 ("présence minimale", self.minimum, (n,))):
            values = np.asarray(arr, dtype=float)
            if values.shape != shape:
                problem = f"{name} de forme {values.shape}, attendu {shape}"
            elif not np.isfinite(values).all() or (values < 0).any():
                problem = f"{name} doit être fini et positif ou nul"
            else:
                continue
            raise ValueError(f"Brigade {self.brigade_id} : {problem}.")
        if not math.isfinite(self.capacity):
            raise ValueError(f"Brigade {self.brigade_id} : capacité non finie.")
        return self


@dataclass(frozen=True, eq=False)
class BrigadePlan:
    """The solved plan of a brigade (see the module's docstring)."""

    problem: BrigadeProblem
    hours: np.ndarray  # [n, 6] recommended weekly hours (continuous optimum)
    visits: np.ndarray  # [n, 6] whole visits: what the patrol plan is written in
    lower: np.ndarray  # [n] commune bounds used
    upper: np.ndarray
    marginal_value: np.ndarray  # [n] objective gain of one more hour in the commune
    capacity_value: float  # objective gain of one more brigade hour at fixed bounds (λ)
    objective: float
    params: AllocationParameters = field(default_factory=AllocationParameters)
    #: [n] weekly hours of the target: the same plan without the change cap
    target: np.ndarray = field(default_factory=lambda: np.zeros(0))


class InfeasiblePlan(ValueError):
    """No plan meets the constraints; ``constraint`` names the one that cannot be met
    (``capacite``, ``presence_minimale`` or ``variation``); ``str()`` is French."""

    def __init__(self, constraint: str, message: str, brigade_id: str = "") -> None:
        super().__init__(message)
        self.constraint = constraint
        self.brigade_id = brigade_id


def _fr(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def commune_bounds(problem: BrigadeProblem, params: AllocationParameters,
                   target: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds on each commune's weekly hours: the change cap around the current
    hours, ``δ_c = max(max_change × current_c, change_floor_hours)``, the minimum presence
    first; and every commune gets at least ``s × catch_up × target_c`` (a commune with little
    current presence but a real need is never frozen near zero: it reaches half its target in
    the first week), ``s`` = 1 unless the lower bounds would then exceed the capacity (the
    others cannot shed their hours fast enough): the largest ``s`` in [0, 1] that fits.
    ``target`` defaults to :func:`target_hours` of the problem. When the lower bounds exceed
    the capacity even at ``s`` = 0 the problem is infeasible ('variation') and the caller
    lifts the cap for the week."""
    current = np.asarray(problem.current, dtype=float).sum(axis=1)
    minimum = np.asarray(problem.minimum, dtype=float)
    if target is None:
        target = target_hours(problem)
    delta = np.maximum(params.max_change * current, params.change_floor_hours)
    capped = np.maximum(minimum, current - delta)
    reach = params.catch_up * np.asarray(target, dtype=float)
    capacity = float(problem.capacity)
    scale = 1.0
    if np.maximum(capped, reach).sum() > capacity and capped.sum() < capacity:
        lo, hi = 0.0, 1.0  # Σ max(capped, s × reach) rises with s: bisect the largest that fits
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.maximum(capped, mid * reach).sum() <= capacity else (lo, mid)
        scale = lo
    elif capped.sum() >= capacity:
        scale = 0.0
    lower = np.maximum(capped, scale * reach)
    upper = np.maximum(np.maximum(current + delta, minimum), reach)
    return lower, upper


def _commune_need(problem: BrigadeProblem) -> np.ndarray:
    return np.asarray(problem.need, dtype=float).sum(axis=1)


def water_fill(need: np.ndarray, lower: np.ndarray, upper: np.ndarray,
               capacity: float) -> tuple[np.ndarray, float]:
    """``h = clip(need / λ, lower, upper)`` with ``Σ h = capacity`` (or every commune at its
    upper bound when they cannot take the capacity), and ``λ``: the optimum of
    ``max Σ need log h`` under those constraints (see the module's docstring). A commune without
    need gets a floor of :data:`_NEED_FLOOR` × the largest need (only hours nobody else can take
    reach it). ``λ`` is 0 when the capacity does not bind, infinite when the lower bounds
    take it all.

    Exact, without iterations: with ``t = 1 / λ``, ``Σ clip(need × t, lower, upper)`` is
    piecewise linear and non-decreasing in ``t``, with its breakpoints where a commune leaves
    its lower bound (``t = lower / need``) or reaches its upper bound (``upper / need``): it
    is evaluated at every breakpoint and solved on the segment that holds the capacity."""
    need = np.asarray(need, dtype=float)
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    top = float(need.max()) if need.size and need.max() > 0 else 1.0
    # needs scaled to the largest (1): the result does not depend on their unit, and a need
    # as small as a float allows (5e-324) does not overflow the breakpoints
    weight = np.maximum(need / top, _NEED_FLOOR)
    tol = _TOL * max(1.0, capacity)
    if upper.sum() <= capacity + tol:
        return upper.copy(), 0.0
    if lower.sum() >= capacity - tol:
        return lower.copy(), float("inf")
    points = np.concatenate([[0.0], lower / weight, upper / weight])
    points = np.unique(points[np.isfinite(points)])
    totals = np.clip(np.outer(weight, points), lower[:, None], upper[:, None]).sum(axis=0)
    k = int(np.searchsorted(totals, capacity, side="right")) - 1  # totals[k] ≤ capacity
    if k + 1 < len(points):
        slope = (totals[k + 1] - totals[k]) / (points[k + 1] - points[k])
    else:  # past the last breakpoint only the communes without an upper bound still grow
        slope = float(weight[~np.isfinite(upper)].sum())
    t = points[k] + (capacity - totals[k]) / slope
    hours = np.clip(weight * t, lower, upper)
    free = (hours > lower + 1e-12) & (hours < upper - 1e-12)
    if free.any():  # land exactly on the capacity: the free communes absorb the rounding
        hours[free] += (capacity - hours.sum()) * hours[free] / hours[free].sum()
    return hours, top / t


def proportional_target(need: np.ndarray, minimum: np.ndarray, capacity: float) -> np.ndarray:
    """Hours per commune proportional to ``need`` above each commune's ``minimum``, the whole
    ``capacity`` used (the minimum alone when it takes the capacity)."""
    need = np.asarray(need, dtype=float)
    minimum = np.asarray(minimum, dtype=float)
    if need.size == 0 or capacity <= 0 or minimum.sum() >= capacity:
        return minimum.copy()
    return water_fill(need, minimum, np.full(need.size, np.inf), capacity)[0]


def target_hours(problem: BrigadeProblem) -> np.ndarray:
    """The allocation the plan converges to (no change cap, the minimum presence kept): hours
    proportional to need above each commune's minimum, the whole capacity used."""
    return proportional_target(_commune_need(problem), problem.minimum,
                               float(problem.capacity))


def _minimum_visits(minimum: np.ndarray, visit_hours: float) -> np.ndarray:
    return np.ceil(np.asarray(minimum, dtype=float) / visit_hours - 1e-6).astype(np.int64)


def _visit_budget(capacity: float, visit_hours: float) -> int:
    return int(math.floor(capacity / visit_hours + 1e-6))


def check_feasible(problem: BrigadeProblem, params: AllocationParameters) -> None:
    """Raise :class:`InfeasiblePlan` if no plan can meet the constraints."""
    bid, capacity = problem.brigade_id, float(problem.capacity)
    if capacity <= 0:
        raise InfeasiblePlan("capacite", "la capacité de la brigade est nulle", bid)
    minimum = np.asarray(problem.minimum, dtype=float)
    count = int((minimum > 0).sum())
    communes = f"{count} commune" + ("s" if count > 1 else "")
    tol = _TOL * max(1.0, capacity)
    if minimum.sum() > capacity + tol:
        raise InfeasiblePlan(
            "presence_minimale",
            f"la présence minimale de {communes} ({_fr(minimum.sum())} h) dépasse la "
            f"capacité de la brigade ({_fr(capacity)} h)", bid)
    vh = params.visit_hours
    need_visits = int(_minimum_visits(minimum, vh).sum())
    if need_visits > _visit_budget(capacity, vh):
        raise InfeasiblePlan(
            "presence_minimale",
            f"la présence minimale de {communes} en visites entières "
            f"({need_visits} visites, {_fr(need_visits * vh)} h) dépasse la capacité de la "
            f"brigade ({_fr(capacity)} h)", bid)
    lower, _ = commune_bounds(problem, params)
    if lower.sum() > capacity + tol:
        raise InfeasiblePlan(
            "variation",
            f"le plafond de variation de ±{_fr(params.max_change * 100).removesuffix(',0')} % "
            "empêche de réduire assez la présence des communes : il faudrait au moins "
            f"{_fr(lower.sum())} h pour une capacité de {_fr(capacity)} h", bid)


def _empty_plan(problem: BrigadeProblem, params: AllocationParameters) -> BrigadePlan:
    empty = np.zeros((0, N_SLOTS))
    return BrigadePlan(problem, empty, empty.astype(np.int64), np.zeros(0), np.zeros(0),
                       np.zeros(0), 0.0, 0.0, params, np.zeros(0))


def _slot_split(problem: BrigadeProblem, totals: np.ndarray) -> np.ndarray:
    """[n, 6] hours: each commune's total over its slots in proportion to the slots' need (the
    current split, or the even profile, for a commune without need)."""
    from etl.analytics.need import DEFAULT_PROFILE

    need = np.asarray(problem.need, dtype=float)
    current = np.asarray(problem.current, dtype=float)
    weights = need.copy()
    none = weights.sum(axis=1) <= 0
    weights[none] = current[none]
    still = weights.sum(axis=1) <= 0
    weights[still] = DEFAULT_PROFILE
    return weights / weights.sum(axis=1, keepdims=True) * totals[:, None]


def solve_brigade(problem: BrigadeProblem,
                  params: AllocationParameters = DEFAULT_PARAMETERS) -> BrigadePlan:
    """The brigade's weekly plan and its target (see the module's docstring); raise
    :class:`InfeasiblePlan`."""
    params.validate()
    problem.validate()
    n = len(problem.communes)
    if n == 0:
        return _empty_plan(problem, params)
    check_feasible(problem, params)
    need = _commune_need(problem)
    capacity = float(problem.capacity)
    target = target_hours(problem)
    lower, upper = commune_bounds(problem, params, target)
    totals, lam = water_fill(need, lower, upper, capacity)
    hours = _slot_split(problem, totals)
    with np.errstate(divide="ignore", invalid="ignore"):
        marginal = need / np.maximum(totals, _TOL)
        # log(totals / need) as a difference: a subnormal need would overflow the quotient
        objective = float(np.where(need > 0, need * (
            np.log(np.where(need > 0, totals, 1.0)) - np.log(np.where(need > 0, need, 1.0))),
            0.0).sum())
    capacity_value = lam if np.isfinite(lam) else float(marginal[np.isfinite(marginal)].max(
        initial=0.0))
    visits = _to_visits(hours, np.asarray(problem.minimum, dtype=float), capacity,
                        params.visit_hours)
    return BrigadePlan(problem, hours, visits, lower, upper, marginal, capacity_value,
                       objective, params, target)


def _to_visits(hours: np.ndarray, minimum: np.ndarray, capacity: float,
               visit_hours: float) -> np.ndarray:
    """Whole visits per commune × slot by the largest remainder over the brigade, every commune
    keeping ``ceil(minimum / visit_hours)`` visits and the total within the capacity."""
    raw = np.asarray(hours, dtype=float) / visit_hours
    shape = raw.shape
    raw = raw.ravel()
    visits = np.floor(raw + 1e-6).astype(np.int64)
    min_visits = _minimum_visits(minimum, visit_hours)
    budget = _visit_budget(capacity, visit_hours)  # ≥ Σ min_visits: checked by check_feasible
    commune = np.repeat(np.arange(shape[0]), shape[1])
    order = np.arange(raw.size)

    def remainder() -> np.ndarray:
        return raw - visits

    # each commune first reaches its minimum, by the largest remainders of its slots
    for c in np.flatnonzero(np.bincount(commune, visits, shape[0]) < min_visits):
        cells = np.flatnonzero(commune == c)
        for _ in range(int(min_visits[c] - visits[cells].sum())):
            rem = remainder()[cells]
            visits[cells[np.lexsort((cells, -rem))[0]]] += 1
    target = min(budget, max(int(min_visits.sum()), int(round(raw.sum()))))
    while visits.sum() < target:  # add where the remainders are largest
        missing = int(target - visits.sum())
        best = np.lexsort((order, -remainder()))[:missing]
        visits[best] += 1
    while visits.sum() > target:  # remove where they are smallest, above the minimum
        per_commune = np.bincount(commune, visits, shape[0])
        free = (visits > 0) & (per_commune[commune] > min_visits[commune])
        cells = np.flatnonzero(free)
        visits[cells[np.lexsort((cells, remainder()[cells]))[0]]] -= 1
    return visits.reshape(shape)

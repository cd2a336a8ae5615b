"""The weekly allocation of a brigade's public-road presence hours: a linear program per brigade.

Capacity (:func:`weekly_capacity`): ``effectif × heures annuelles × part de voie publique /
52,18`` gendarme-hours a week (the assumptions of :mod:`etl.analytics.presence`: 1,600 hours a
year, 30 % on the public road, 52.18 weeks a year).

The linear program (one per brigade, solved by HiGHS through ``scipy.optimize.linprog``):

- **Variables** ``h[c, s, j] ≥ 0``: the weekly hours of commune ``c`` in slot ``s`` (the six
  :data:`~etl.analytics.slots.SLOTS`) that fall in segment ``j`` of the returns curve. Segment
  ``j`` ends at ``segment_visits[j]`` visits in the slot (widths in hours: visits ×
  ``visit_hours``); the last segment is unbounded (the capacity row bounds it).
- **Objective**: maximise ``Σ need[c, s] × slope[j] × h[c, s, j]``. The slopes decrease, so the
  returns are concave and piecewise linear: the first visits of a slot are worth most, later ones
  less (diminishing returns). The LP therefore fills segments in order without binary variables,
  and spreads hours over communes and slots instead of piling them where the need is highest.
  **Default curve: one segment per visit** (:func:`exponential_returns`): the value of the next
  visit in a slot halves every 3 visits (1, 0.79, 0.63, 0.5 at the 4th, 0.25 at the 7th; Koopman's
  random-search curve, close to the 1 / 0.5 / 0.2 of 2 and 6 visits), up to 24 visits, then a
  last unbounded segment. Why not three coarse segments: inside a segment the returns are linear,
  so the LP gives a whole segment (up to 2 hours × 6 slots) to whichever commune's need is
  higher by any margin, and nothing to its equal neighbour; per-visit segments bound that to one
  visit per slot, and moving a visit between two communes of equal hours needs one to out-need
  the other by 26 % (a dead band against forecast noise: ``tests/unit/test_feedback_loop.py``).
  Segments starting above a commune's upper bound are left out (they would stay empty).
  The LP sees the need divided by the brigade's largest need (duals are scaled back), plus a
  tiny deterministic ``ε × (1 + share of the commune's current hours in the slot)``, ε = 10⁻⁴:
  slots without need still prefer, by a hair, the slots the commune is patrolled in today, so
  ties break the same way every time. The reported ``objective`` uses the need without ε.
- **Capacity**: ``Σ h ≤ capacity``. With positive slopes the whole capacity is used unless every
  commune is stopped by its upper bound (then the rest is left unallocated, on purpose).
- **Commune bounds** on the weekly total ``x_c = Σ_s,j h[c, s, j]``, as rows of ``A_ub`` so that
  their dual values exist: ``lower_c = max(minimum_c, current_c − δ_c)`` and
  ``upper_c = max(current_c + δ_c, minimum_c)`` with ``δ_c = max(max_change × current_c,
  change_floor_hours)``. The change cap keeps plans stable from week to week (and damps any
  feedback between presence and recorded facts); the floor lets small communes move at all; the
  minimum presence takes precedence over the cap (no commune abandoned, raised where élus have
  open high-priority expectations: :func:`minimum_hours`).

**Marginal value** (``marginal_value[c]``): at the optimum every segment in use in commune ``c``
earns ``λ + μ⁺_c − μ⁻_c`` per hour, where ``λ ≥ 0`` is the dual value of the capacity row,
``μ⁺_c ≥ 0`` that of the commune's upper bound and ``μ⁻_c ≥ 0`` that of its lower bound (all
as objective gains: HiGHS reports minimisation duals, their signs are flipped). So it is the
objective gain of one more hour in commune ``c`` if the brigade had it: equal to ``λ`` (the
``capacity_value``) for every commune strictly between its bounds, higher for a commune stopped
by its upper cap (it would use more), lower for one held up by its minimum (its last hours are
worth less than the brigade's marginal hour). Where the optimum is degenerate the duals are one
valid choice among several (HiGHS's, deterministic).

**Visits** are what the patrol plan is written in: ``visit_hours = visit_minutes / 60 ×
gendarmes_per_patrol`` gendarme-hours (a 15-minute visit by two gendarmes: 0.5 h; Koper curve:
10-16 minutes). The continuous hours become whole visits by the largest remainder over the whole
brigade: the total is the rounded total of the plan (never more than the capacity in whole
visits), every commune keeps at least ``ceil(minimum_c / visit_hours)`` visits, and the commune
bounds may be missed by less than one visit. If the minimum in whole visits exceeds the capacity
the problem is infeasible ('presence_minimale').

Infeasible inputs raise :class:`InfeasiblePlan` before solving, with a French message naming the
constraint (``capacite``, ``presence_minimale``, ``variation``); a HiGHS status other than optimal
(not expected once these checks pass) raises it with ``solveur``. Same input, same output
(HiGHS with presolve off: it halves the time of these small LPs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from etl.analytics.slots import SLOTS

WEEKS_PER_YEAR = 52.18
N_SLOTS = len(SLOTS)
_EPSILON = 1e-4
_TOL = 1e-9


def exponential_returns(half_life_visits: float = 3.0,
                        max_visits: int = 24) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Per-visit breakpoints and slopes: the ``v``-th visit of a slot (from 1) is worth
    ``2^(−(v − 1) / half_life_visits)``; past ``max_visits`` the slope stays at its next value."""
    breaks = tuple(range(1, max_visits + 1))
    slopes = tuple(0.5 ** (v / half_life_visits) for v in range(max_visits + 1))
    return breaks, slopes


_DEFAULT_BREAKS, _DEFAULT_SLOPES = exponential_returns()


@dataclass(frozen=True)
class AllocationParameters:
    """Constraints and returns curve of the allocation (see the module's docstring)."""

    max_change: float = 0.25  # cap on the relative change of a commune's weekly hours (0..1)
    change_floor_hours: float = 2.0  # a commune may always move by at least this many hours
    min_visits: int = 2  # minimum weekly visits in every commune
    priority_min_factor: float = 2.0  # minimum × this where élus have open priority expectations
    visit_minutes: int = 15  # length of a visit, 10..16 minutes (Koper curve)
    gendarmes_per_patrol: int = 2
    segment_visits: tuple[int, ...] = _DEFAULT_BREAKS  # per-slot breakpoints, in visits
    segment_slopes: tuple[float, ...] = _DEFAULT_SLOPES  # one more than breakpoints, never rising

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
        if int(self.min_visits) != self.min_visits or self.min_visits < 0:
            problems.append("le nombre minimal de visites doit être un entier positif ou nul")
        if not (math.isfinite(self.priority_min_factor) and self.priority_min_factor >= 1):
            problems.append("le facteur de priorité doit être supérieur ou égal à 1")
        if int(self.visit_minutes) != self.visit_minutes or not 10 <= self.visit_minutes <= 16:
            problems.append("une visite dure de 10 à 16 minutes")
        if int(self.gendarmes_per_patrol) != self.gendarmes_per_patrol \
                or self.gendarmes_per_patrol < 1:
            problems.append("une patrouille compte au moins un gendarme")
        breaks, slopes = tuple(self.segment_visits), tuple(self.segment_slopes)
        if any(int(b) != b or b < 1 for b in breaks) \
                or any(b >= a for b, a in zip(breaks, breaks[1:], strict=False)):
            problems.append("les paliers de visites doivent être des entiers croissants")
        if len(slopes) != len(breaks) + 1:
            problems.append("il faut une pente de plus que de paliers")
        elif not all(math.isfinite(s) and s > 0 for s in slopes) \
                or any(b > a for a, b in zip(slopes, slopes[1:], strict=False)):
            problems.append("les pentes doivent être positives et ne jamais augmenter "
                            "(rendements décroissants)")
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
    hours: np.ndarray  # [n, 6] recommended weekly hours (continuous LP solution)
    visits: np.ndarray  # [n, 6] whole visits: what the patrol plan is written in
    lower: np.ndarray  # [n] commune bounds used
    upper: np.ndarray
    marginal_value: np.ndarray  # [n] objective gain of one more hour in the commune
    capacity_value: float  # objective gain of one more brigade hour
    objective: float
    params: AllocationParameters = field(default_factory=AllocationParameters)


class InfeasiblePlan(ValueError):
    """No plan meets the constraints; ``constraint`` names the one that cannot be met
    (``capacite``, ``presence_minimale``, ``variation`` or ``solveur``); ``str()`` is French."""

    def __init__(self, constraint: str, message: str, brigade_id: str = "") -> None:
        super().__init__(message)
        self.constraint = constraint
        self.brigade_id = brigade_id


def _fr(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def commune_bounds(problem: BrigadeProblem,
                   params: AllocationParameters) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds on each commune's weekly hours (change cap, minimum first)."""
    current = np.asarray(problem.current, dtype=float).sum(axis=1)
    minimum = np.asarray(problem.minimum, dtype=float)
    delta = np.maximum(params.max_change * current, params.change_floor_hours)
    lower = np.maximum(minimum, current - delta)
    upper = np.maximum(current + delta, minimum)
    return lower, upper


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


def _segment_widths(params: AllocationParameters) -> np.ndarray:
    edges = np.array((0, *params.segment_visits), dtype=float) * params.visit_hours
    return np.append(np.diff(edges), np.inf)


def _scaled_need(need: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, float]:
    """Need over its largest value, plus the tie-breaking ε; and that scale."""
    scale = float(need.max()) if need.size and need.max() > 0 else 1.0
    totals = current.sum(axis=1, keepdims=True)
    share = np.divide(current, totals, out=np.zeros_like(current), where=totals > 0)
    return need / scale + _EPSILON * (1.0 + share), scale


def _layout(upper: np.ndarray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments kept per commune (those starting below its upper bound: the others would stay
    empty, the commune row caps every slot) and the commune of each variable, ordered commune,
    slot, segment."""
    starts = np.concatenate([[0.0], np.cumsum(widths[:-1])])
    kept = np.maximum(1, (starts[None, :] < upper[:, None] - _TOL).sum(axis=1))
    return kept, np.repeat(np.arange(upper.size), N_SLOTS * kept)


def _lp(gain_cells: np.ndarray, slopes: np.ndarray, widths: np.ndarray, capacity: float,
        lower: np.ndarray, upper: np.ndarray):
    """Objective, ``A_ub``, ``b_ub`` and bounds; rows: capacity, then the upper bound of each
    commune, then its lower bound (negated). Also the cell (commune × slot) and segment of each
    variable."""
    n = upper.size
    kept, commune = _layout(upper, widths)
    counts = np.repeat(kept, N_SLOTS)  # segments per cell
    cell = np.repeat(np.arange(n * N_SLOTS), counts)
    segment = np.arange(cell.size) - np.repeat(np.cumsum(counts) - counts, counts)
    nvar = cell.size
    cols = np.arange(nvar)
    per_commune = np.bincount(commune, minlength=n)
    ends = np.cumsum(per_commune)
    indptr = np.concatenate([[0, nvar], nvar + ends, 2 * nvar + ends])
    a_ub = csr_matrix((np.concatenate([np.ones(2 * nvar), -np.ones(nvar)]),
                       np.concatenate([cols, cols, cols]), indptr), shape=(2 * n + 1, nvar))
    b_ub = np.concatenate([[capacity], upper, -lower])
    cost = -gain_cells.ravel()[cell] * slopes[segment]
    bounds = np.column_stack([np.zeros(nvar), widths[segment]])
    return cost, a_ub, b_ub, bounds, cell, segment


def _empty_plan(problem: BrigadeProblem, params: AllocationParameters) -> BrigadePlan:
    empty = np.zeros((0, N_SLOTS))
    return BrigadePlan(problem, empty, empty.astype(np.int64), np.zeros(0), np.zeros(0),
                       np.zeros(0), 0.0, 0.0, params)


def solve_brigade(problem: BrigadeProblem,
                  params: AllocationParameters = DEFAULT_PARAMETERS) -> BrigadePlan:
    """Solve one brigade's LP (see the module's docstring); raise :class:`InfeasiblePlan`."""
    params.validate()
    problem.validate()
    n = len(problem.communes)
    if n == 0:
        return _empty_plan(problem, params)
    check_feasible(problem, params)
    need = np.asarray(problem.need, dtype=float)
    current = np.asarray(problem.current, dtype=float)
    capacity = float(problem.capacity)
    slopes = np.asarray(params.segment_slopes, dtype=float)
    widths = _segment_widths(params)
    lower, upper = commune_bounds(problem, params)
    gain, scale = _scaled_need(need, current)
    cost, a_ub, b_ub, bounds, cell, segment = _lp(gain, slopes, widths, capacity, lower, upper)
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs",
                  options={"presolve": False})
    if res.status != 0 or res.x is None:
        raise InfeasiblePlan("solveur", "le solveur n'a pas trouvé de plan optimal "
                             f"(statut {res.status} : {res.message})", problem.brigade_id)
    x = np.maximum(res.x, 0.0)
    hours = np.bincount(cell, x, n * N_SLOTS).reshape(n, N_SLOTS)
    duals = -scale * np.asarray(res.ineqlin.marginals, dtype=float)  # objective gains, ≥ 0
    capacity_value = float(duals[0])
    marginal = capacity_value + duals[1:n + 1] - duals[n + 1:]
    objective = float((need.ravel()[cell] * slopes[segment] * x).sum())
    visits = _to_visits(hours, np.asarray(problem.minimum, dtype=float), capacity,
                        params.visit_hours)
    return BrigadePlan(problem, hours, visits, lower, upper, marginal, capacity_value,
                       objective, params)


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

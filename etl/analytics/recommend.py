"""Service-presence recommendations: need → per-brigade allocation → explanations → audit.

The one entry point the CLI, the dashboard page and the notebooks share::

    inputs = load_inputs(con, Territory(departement="35"))
    result = recommend(inputs, Options(weights=NEED_WEIGHTS.with_alpha(0.5)))
    result.communes      # one row per commune: current and recommended hours, explanation
    result.slots         # one row per commune × slot: the weekly patrol plan, in visits
    result.audit         # fairness and distance figures of the plan (etl.analytics.audit)
    result.errors        # brigades whose constraints cannot be met, with the French reason

Each brigade is solved on its own (a linear program with HiGHS, :mod:`etl.analytics.allocation`):
its capacity is the modelled rule (:func:`~etl.analytics.allocation.weekly_capacity`) times the
what-if percentage; every commune keeps a minimum presence, raised where élus have open
high-priority expectations; the change from the current allocation is capped — around the
current allocation brought to the capacity (:func:`reference_allocation`), so that the cap
limits reallocation between communes while every available hour is used. When the minimum
presence and the capacity cannot both hold within the cap, the cap gives way for that brigade
and week, and :attr:`Recommendation.notices` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from etl.analytics.allocation import (
    AllocationParameters,
    BrigadePlan,
    BrigadeProblem,
    InfeasiblePlan,
    minimum_hours,
    solve_brigade,
)
from etl.analytics.audit import drift_flags, plan_audit
from etl.analytics.explain import explain
from etl.analytics.inputs import Inputs, current_matrix
from etl.analytics.need import (
    DEFAULT_PROFILE,
    NEED_WEIGHTS,
    NeedWeights,
    blend,
    expectations_part,
    forecast_part,
    recency_factor,
)
from etl.analytics.slots import SLOTS

CAPACITY_PCT_RANGE = (25.0, 200.0)


@dataclass(frozen=True)
class Options:
    """What the commander can change (the what-if panel)."""

    weights: NeedWeights = NEED_WEIGHTS
    allocation: AllocationParameters = field(default_factory=AllocationParameters)
    capacity_pct: float = 100.0  # capacity as a percentage of the modelled capacity

    def validate(self) -> None:
        self.weights.validate()
        self.allocation.validate()
        lo, hi = CAPACITY_PCT_RANGE
        if not lo <= self.capacity_pct <= hi:
            raise ValueError(f"La capacité doit être comprise entre {lo:.0f} % et {hi:.0f} % "
                             "de la capacité modélisée.")

    def as_dict(self) -> dict:
        a = self.allocation
        return {"alpha": self.weights.alpha, "gravite": dict(self.weights.severity),
                "capacite_pct": self.capacity_pct, "variation_max": a.max_change,
                "visites_minimales": a.min_visits, "duree_visite_min": a.visit_minutes}


@dataclass
class Recommendation:
    inputs: Inputs
    options: Options
    plans: dict[str, BrigadePlan]
    errors: dict[str, str]
    communes: pd.DataFrame
    slots: pd.DataFrame
    audit: dict
    #: brigades solved only once the change cap was lifted (the minimum presence and the
    #: capacity could not both hold within it), with the French reason
    notices: dict[str, str] = field(default_factory=dict)

    def plan_records(self) -> list[dict]:
        """The weekly plan, one object per commune × slot (the CLI's JSON)."""
        drivers = self.communes.set_index("code_commune")["explication"]
        out = []
        for r in self.slots.itertuples(index=False):
            out.append({"semaine": self.inputs.semaine, "commune": r.code_commune,
                        "nom": r.nom, "brigade_id": r.brigade_id, "creneau": r.creneau,
                        "current_hours": round(float(r.heures_actuelles), 2),
                        "recommended_hours": round(float(r.heures_recommandees), 2),
                        "visits": int(r.visites),
                        "capacity_hours": round(float(r.capacite_brigade), 2),
                        "drivers": drivers.get(r.code_commune, "")})
        return out


def reference_allocation(current: np.ndarray, capacity: float) -> np.ndarray:
    """The current allocation brought to the capacity: each commune × slot keeps its share of
    the brigade's current hours (an even spread when nothing was recorded). The change cap
    applies around it, so that a change of capacity moves every commune in proportion and the
    cap limits the reallocation between communes, not the use of the hours available."""
    total = float(current.sum())
    if total > 0:
        return current * (capacity / total)
    n = current.shape[0]
    return np.repeat(DEFAULT_PROFILE[None, :] * capacity / max(n, 1), n, axis=0)


def recommend(inputs: Inputs, options: Options | None = None) -> Recommendation:
    """Plans every brigade of ``inputs`` (see the module docstring). The need's parts are
    computed once for every commune (vectorised), then each brigade blends its own and is
    solved on its own."""
    options = options or Options()
    options.validate()
    params, weights = options.allocation, options.weights
    communes = inputs.communes.reset_index(drop=True)
    codes = communes["code"].tolist()
    n = len(codes)
    forecast = forecast_part(codes, inputs.weekly, weights.severity)
    elus = expectations_part(codes, inputs.expectations, inputs.complaints, weights)
    recency = recency_factor(inputs.days_since.reindex(codes).to_numpy(float), weights)
    current = current_matrix(inputs.current, codes)
    high = inputs.expectations.loc[inputs.expectations["priorite"] == "haute", "code_commune"]
    minimum = minimum_hours(communes["code"].isin(set(high)).to_numpy(), params)
    need = np.zeros((n, len(SLOTS)))
    hours, visits = current.copy(), np.zeros((n, len(SLOTS)), dtype=int)
    lower, upper = current.sum(axis=1), current.sum(axis=1)
    marginal, capacity_of = np.full(n, np.nan), np.zeros(n)
    solved = np.zeros(n, dtype=bool)
    plans, errors, notices = {}, {}, {}
    rows_of = communes.groupby("brigade_id", sort=False).indices
    for b in inputs.brigades.itertuples(index=False):
        rows = rows_of.get(b.brigade_id)
        if rows is None:
            continue
        need[rows] = blend(forecast[rows], elus[rows], recency[rows], weights.alpha)
        capacity = float(b.capacite) * options.capacity_pct / 100.0
        capacity_of[rows] = capacity
        problem = BrigadeProblem(b.brigade_id, tuple(codes[i] for i in rows), need[rows],
                                 reference_allocation(current[rows], capacity),
                                 minimum[rows], capacity)
        try:
            plan = solve_brigade(problem, params)
        except InfeasiblePlan as exc:
            if exc.constraint != "variation":
                errors[b.brigade_id] = f"Brigade {b.nom} : {exc}"
                continue
            # the minimum presence and the capacity come first: the cap gives way this week
            plan = solve_brigade(problem, replace(params, max_change=1.0,
                                                  change_floor_hours=capacity))
            notices[b.brigade_id] = (f"Brigade {b.nom} : {exc} ; la limite de variation est "
                                     "levée pour cette brigade cette semaine.")
        plans[b.brigade_id] = plan
        hours[rows], visits[rows], marginal[rows] = plan.hours, plan.visits, plan.marginal_value
        lower[rows], upper[rows], solved[rows] = plan.lower, plan.upper, True
    names = inputs.brigades.set_index("brigade_id")["nom"]
    methods = (inputs.weekly.groupby("code_commune")["methode"].first()
               if len(inputs.weekly) else pd.Series(dtype="object"))
    table = pd.DataFrame({
        "brigade_id": communes["brigade_id"], "brigade": communes["brigade_id"].map(names),
        "code_commune": communes["code"], "nom": communes["nom"],
        "population": communes["population"].astype("int64"),
        "actuel": current.sum(axis=1), "recommande": hours.sum(axis=1),
        "visites": visits.sum(axis=1), "minimum": minimum, "borne_basse": lower,
        "borne_haute": upper, "besoin": need.sum(axis=1), "demande": forecast.sum(axis=1),
        "valeur_marginale": marginal, "capacite_brigade": capacity_of,
        "methode": communes["code"].map(methods).fillna("modele"), "plan_resolu": solved})
    table["variation"] = table["recommande"] - table["actuel"]
    table["explication"] = explain(table, inputs.weekly, inputs.expectations,
                                   inputs.complaints, inputs.days_since, weights.severity)
    k = len(SLOTS)
    slots = pd.DataFrame({
        "brigade_id": np.repeat(communes["brigade_id"].to_numpy(), k),
        "code_commune": np.repeat(communes["code"].to_numpy(), k),
        "nom": np.repeat(communes["nom"].to_numpy(), k),
        "creneau": np.tile(np.array(SLOTS, dtype=object), n),
        "heures_actuelles": current.ravel(), "heures_recommandees": hours.ravel(),
        "visites": visits.ravel(), "capacite_brigade": np.repeat(capacity_of, k),
        "besoin": need.ravel()})
    audit = plan_audit(table[table["plan_resolu"]]) if solved.any() else {}
    audit["alertes_derive"] = drift_flags(inputs.presence_weeks, inputs.facts_recent,
                                          inputs.week)
    audit["brigades_sans_solution"] = len(errors)
    return Recommendation(inputs, options, plans, errors, table, slots, audit, notices)

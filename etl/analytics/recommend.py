"""Service-presence recommendations: need → per-brigade allocation → explanations → audit.

The one entry point the CLI, the dashboard page and the notebooks share::

    inputs = load_inputs(con, Territory(departement="35"))
    result = recommend(inputs, Options(weights=NEED_WEIGHTS.with_alpha(0.5)))
    result.communes      # one row per commune: current and recommended hours, explanation
    result.slots         # one row per commune × slot: the weekly patrol plan, in visits
    result.audit         # fairness and distance figures of the plan (etl.analytics.audit)
    result.errors        # brigades whose constraints cannot be met, with the French reason

Each brigade is solved on its own (:mod:`etl.analytics.allocation`): its capacity is the
modelled rule (:func:`~etl.analytics.allocation.weekly_capacity`) times the what-if percentage;
every commune keeps a minimum presence, raised where élus have open high-priority expectations.
Each commune gets a **target** (``cible``: hours proportional to its need above the minimum,
what the plan converges to) and a **weekly recommendation** that moves toward it within the
change cap — applied around the current allocation brought to the capacity
(:func:`reference_allocation`, ``actuel_ramene``), so that the cap limits the reallocation
between communes while every available hour is used. The change therefore splits in two, per
brigade (:attr:`Recommendation.brigades`): the **capacity effect** (capacity − recorded hours:
the modelled capacity is not the recorded presence) and the **reallocation** (hours moved
between communes, ½ Σ |recommended − current brought to capacity|). ``variation`` is measured
against the current allocation brought to capacity, the one the cap applies to. When the
minimum presence and the capacity cannot both hold within the cap, the cap gives way for that
brigade and week, and :attr:`Recommendation.notices` says so.
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
    proportional_target,
    solve_brigade,
)
from etl.analytics.audit import drift_flags, plan_audit
from etl.analytics.explain import explain
from etl.analytics.exposure import exposure, exposure_divisor
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
    #: one row per brigade: capacity, recorded hours, capacity effect, reallocation, hours the
    #: élus' expectations move (:func:`brigade_summary`)
    brigades: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plan_records(self) -> list[dict]:
        """The weekly plan, one object per commune × slot (the CLI's JSON)."""
        drivers = self.communes.set_index("code_commune")["explication"]
        out = []
        for r in self.slots.itertuples(index=False):
            out.append({"semaine": self.inputs.semaine, "commune": r.code_commune,
                        "nom": r.nom, "brigade_id": r.brigade_id, "creneau": r.creneau,
                        "current_hours": round(float(r.heures_actuelles), 2),
                        "recommended_hours": round(float(r.heures_recommandees), 2),
                        "target_hours": round(float(r.heures_cibles), 2),
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


def brigade_summary(table: pd.DataFrame, elus_moved: dict[str, float]) -> pd.DataFrame:
    """Per brigade: capacity, recorded (``actuel``) and recommended hours, the capacity effect
    (capacity − recorded, in hours and % of recorded), the reallocation of the week and of the
    target (hours moved between communes from the current allocation brought to capacity) and
    the hours the élus' expectations move in the target."""
    moved = table.assign(_w=(table["recommande"] - table["actuel_ramene"]).abs() / 2,
                         _t=(table["cible"] - table["actuel_ramene"]).abs() / 2)
    out = moved.groupby(["brigade_id", "brigade"], sort=True).agg(
        capacite=("capacite_brigade", "first"), actuel=("actuel", "sum"),
        recommande=("recommande", "sum"), reallocation=("_w", "sum"),
        reallocation_cible=("_t", "sum"), communes=("code_commune", "size")).reset_index()
    out["effet_capacite"] = out["capacite"] - out["actuel"]
    out["effet_capacite_pct"] = np.where(out["actuel"] > 0, 100 * out["effet_capacite"]
                                         / out["actuel"].where(out["actuel"] > 0, 1), np.nan)
    out["heures_elus"] = out["brigade_id"].map(elus_moved).fillna(0.0)
    return out


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
    current = current_matrix(inputs.current, codes)
    # recorded facts at an even presence: the forecast over the share of recording that
    # follows presence, estimated from the territory's last 12 months (etl.analytics.exposure)
    beta = inputs.detection
    divisor = exposure_divisor(beta, exposure(current.sum(axis=1),
                                              communes["brigade_id"].to_numpy()))
    forecast = forecast_part(codes, inputs.weekly, weights.severity) / divisor[:, None]
    elus = expectations_part(codes, inputs.expectations, inputs.complaints, weights)
    recency = recency_factor(inputs.days_since.reindex(codes).to_numpy(float), weights)
    high = inputs.expectations.loc[inputs.expectations["priorite"] == "haute", "code_commune"]
    minimum = minimum_hours(communes["code"].isin(set(high)).to_numpy(), params)
    need = np.zeros((n, len(SLOTS)))
    hours, visits = current.copy(), np.zeros((n, len(SLOTS)), dtype=int)
    lower, upper = current.sum(axis=1), current.sum(axis=1)
    reference, target = current.sum(axis=1), current.sum(axis=1)
    elus_moved: dict[str, float] = {}
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
        ref = reference_allocation(current[rows], capacity)
        reference[rows] = ref.sum(axis=1)
        problem = BrigadeProblem(b.brigade_id, tuple(codes[i] for i in rows), need[rows],
                                 ref, minimum[rows], capacity)
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
        hours[rows], visits[rows] = plan.hours, plan.visits
        lower[rows], upper[rows], solved[rows] = plan.lower, plan.upper, True
        target[rows] = plan.target
        # need per hour of the commune over the brigade's (1: served like the brigade average)
        average = need[rows].sum() / max(capacity, 1e-12)
        marginal[rows] = plan.marginal_value / average if average > 0 else np.nan
        # the target at α = 0: what the élus' expectations move is its distance to the target
        alone = proportional_target((forecast[rows] * recency[rows, None]).sum(axis=1),
                                    minimum[rows], capacity)
        elus_moved[b.brigade_id] = float(np.abs(plan.target - alone).sum() / 2)
    names = inputs.brigades.set_index("brigade_id")["nom"]
    methods = (inputs.weekly.groupby("code_commune")["methode"].first()
               if len(inputs.weekly) else pd.Series(dtype="object"))
    table = pd.DataFrame({
        "brigade_id": communes["brigade_id"], "brigade": communes["brigade_id"].map(names),
        "code_commune": communes["code"], "nom": communes["nom"],
        "population": communes["population"].astype("int64"),
        "actuel": current.sum(axis=1), "actuel_ramene": reference, "cible": target,
        "recommande": hours.sum(axis=1),
        "visites": visits.sum(axis=1), "minimum": minimum, "borne_basse": lower,
        "borne_haute": upper, "besoin": need.sum(axis=1), "demande": forecast.sum(axis=1),
        "valeur_marginale": marginal, "capacite_brigade": capacity_of,
        "methode": communes["code"].map(methods).fillna("modele"), "plan_resolu": solved})
    table["variation"] = table["recommande"] - table["actuel_ramene"]
    table = table.join(shares(table))
    table = table.join(forecast_interval(inputs))
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
        "besoin": need.ravel(), "heures_cibles": _slot_targets(hours, target).ravel()})
    audit = plan_audit(table[table["plan_resolu"]]) if solved.any() else {}
    audit["alertes_derive"] = drift_flags(inputs.presence_weeks, inputs.facts_recent,
                                          inputs.week)
    audit["brigades_sans_solution"] = len(errors)
    audit["part_enregistrement_liee_presence"] = beta
    return Recommendation(inputs, options, plans, errors, table, slots, audit, notices,
                          brigade_summary(table, elus_moved))


def _slot_targets(hours: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The target per commune × slot, split over the slots like the week's plan."""
    totals = hours.sum(axis=1, keepdims=True)
    even = np.full_like(hours, 1.0 / hours.shape[1])
    split = np.divide(hours, totals, out=even.copy(), where=totals > 0)
    return split * target[:, None]


def shares(table: pd.DataFrame) -> pd.DataFrame:
    """Each commune's share of its brigade's need, current hours (brought to capacity),
    recommended hours and target: what the explanations compare."""
    out = {}
    for column, name in (("besoin", "part_besoin"), ("actuel_ramene", "part_actuelle"),
                         ("recommande", "part_recommandee"), ("cible", "part_cible")):
        total = table.groupby("brigade_id")[column].transform("sum")
        out[name] = (table[column] / total.where(total > 0)).fillna(0.0)
    return pd.DataFrame(out, index=table.index)


#: the forecast's interval: the 10th and 90th percentiles of next month's count (Poisson)
INTERVAL = (0.10, 0.90)


def forecast_interval(inputs: Inputs) -> pd.DataFrame:
    """Per commune: the victim-reported facts forecast for next month (all target categories)
    and its 80 % interval (Poisson quantiles around the forecast), and the facts recorded in
    the last 12 months."""
    from scipy.stats import poisson

    codes = inputs.communes["code"]
    days = (pd.Timestamp(inputs.forecast_month).days_in_month if inputs.forecast_month
            else 30.44)
    w = inputs.weekly
    per = (w.groupby("code_commune")[["attendu", "reference"]].sum() if len(w)
           else pd.DataFrame(columns=["attendu", "reference"], dtype=float))
    month = per["attendu"].reindex(codes).fillna(0.0).to_numpy(float) * days / 7.0
    year = per["reference"].reindex(codes).fillna(0.0).to_numpy(float) * 365.25 / 7.0
    lo, hi = poisson.ppf(INTERVAL[0], month), poisson.ppf(INTERVAL[1], month)
    return pd.DataFrame({"faits_prevus_mois": month,
                         "faits_prevus_bas": np.where(month > 0, lo, 0.0),
                         "faits_prevus_haut": np.where(month > 0, hi, 0.0),
                         "faits_12_mois": np.round(year, 6)}, index=pd.RangeIndex(len(codes)))

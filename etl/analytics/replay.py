"""The capture replay: where each rule would have put its hours, against the facts recorded next.

For each of the backtest's 12 months and each brigade, every rule places the brigade's capacity
over its communes from what was known before the month, and is scored on that month's
severity-weighted recorded facts: ``capture = Σ (share of hours × facts)``, summed over brigades
and months, over the same sum for a uniform spread (1 = no better than uniform). It measures
where the hours were against where facts were recorded next — capture, **not crime prevented**.

The rules, side by side (what a skeptic would pick instead of the plan):

- ``plan``: the engine's weekly plan, one step a month from the previous month's plan (the
  first from the presence recorded the month before) toward its target within the change cap —
  the cap applied once a month, so it moves slower than four weekly steps would;
- ``cible``: the engine's target (hours proportional to the forecast need above the minimum);
- ``actuel``: the presence actually recorded in the month (what the brigade did);
- ``population``: hours proportional to the population (the plain rule);
- ``prevision``: hours proportional to the forecast (no minimum presence).

The engine's need here is the forecast part alone (the élus' expectations and the time since
the last presence are not replayed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.analytics.allocation import (
    AllocationParameters,
    BrigadeProblem,
    commune_bounds,
    proportional_target,
    water_fill,
)
from etl.analytics.slots import SLOTS

RULES: tuple[str, ...] = ("plan", "cible", "actuel", "population", "prevision")
RULE_LABELS: dict[str, str] = {
    "plan": "plan hebdomadaire (plafonné)", "cible": "cible du plan",
    "actuel": "présence enregistrée", "population": "proportionnelle à la population",
    "prevision": "proportionnelle à la prévision",
}


def _share_capture(hours: np.ndarray, facts: np.ndarray) -> float:
    total = float(hours.sum())
    return float(hours @ facts / total) if total > 0 else float(facts.mean())


def _step(need: np.ndarray, ref: np.ndarray, minimum: np.ndarray, capacity: float,
          target: np.ndarray, params: AllocationParameters) -> np.ndarray:
    """The capped plan from ``ref`` (brought to capacity) toward ``target``."""
    total = float(ref.sum())
    ref = ref * (capacity / total) if total > 0 else target.copy()
    n = len(need)
    problem = BrigadeProblem("rejeu", tuple(map(str, range(n))),
                             np.repeat(need[:, None], len(SLOTS), axis=1),
                             np.repeat(ref[:, None] / len(SLOTS), len(SLOTS), axis=1),
                             minimum, capacity)
    lower, upper = commune_bounds(problem, params, target)
    if lower.sum() > capacity:
        return target
    return water_fill(need, lower, upper, capacity)[0]


def capture_by_rule(monthly: pd.DataFrame, capacity: dict[str, float],
                    params: AllocationParameters) -> pd.DataFrame:
    """Per brigade: the summed capture terms of each rule and of the uniform spread.

    ``monthly``: one row per month × commune with ``mois, code_commune, brigade_id,
    population, f`` (severity-weighted recorded facts), ``p`` (their forecast) and ``heures``
    (presence recorded in the month)."""
    m = monthly.sort_values(["brigade_id", "mois", "code_commune"], kind="stable")
    brigade = m["brigade_id"].astype(str).to_numpy()
    month = pd.to_datetime(m["mois"]).to_numpy()
    f, p = m["f"].to_numpy(float), m["p"].to_numpy(float)
    pop, recorded = m["population"].to_numpy(float), m["heures"].to_numpy(float)
    cut = np.flatnonzero((brigade[1:] != brigade[:-1]) | (month[1:] != month[:-1])) + 1
    starts, ends = np.r_[0, cut], np.r_[cut, len(m)]
    rows, sums, ref, current = [], None, None, None
    for i, j in zip(starts, ends, strict=True):
        if brigade[i] != current:
            if sums is not None:
                rows.append({"brigade_id": current, **sums})
            current, ref = brigade[i], None
            sums = dict.fromkeys((*RULES, "uniforme"), 0.0)
        cap = float(capacity.get(current, 0.0))
        minimum = np.full(j - i, params.min_hours)
        target = proportional_target(p[i:j], minimum, cap)
        start = recorded[i:j] if ref is None or len(ref) != j - i else ref
        ref = _step(p[i:j], start, minimum, cap, target, params)
        facts = f[i:j]
        if facts.sum() <= 0:
            continue
        for name, hours in (("plan", ref), ("cible", target), ("actuel", recorded[i:j]),
                            ("population", pop[i:j]), ("prevision", p[i:j])):
            sums[name] += _share_capture(np.asarray(hours, float), facts)
        sums["uniforme"] += float(facts.mean())
    if sums is not None:
        rows.append({"brigade_id": current, **sums})
    return pd.DataFrame(rows, columns=["brigade_id", *RULES, "uniforme"])


def replay_frame(predictions: pd.DataFrame, communes: pd.DataFrame,
                 severity: dict[str, float], presence: pd.DataFrame | None) -> pd.DataFrame:
    """The month × commune frame :func:`capture_by_rule` reads, from the backtest's cells
    (``code_commune, mois, categorie, observe, modele``), the communes (``code, brigade_id,
    population``) and the monthly recorded presence (``code_commune, mois, heures``)."""
    sev = predictions["categorie"].astype(str).map(severity).fillna(0.0)
    cells = pd.DataFrame({"mois": pd.to_datetime(predictions["mois"]),
                          "code_commune": predictions["code_commune"].astype(str),
                          "f": predictions["observe"].to_numpy(float) * sev,
                          "p": predictions["modele"].to_numpy(float) * sev})
    monthly = cells.groupby(["mois", "code_commune"], sort=True)[["f", "p"]].sum().reset_index()
    info = communes.assign(code=communes["code"].astype(str)).set_index("code")[
        ["brigade_id", "population"]]
    monthly = monthly.join(info, on="code_commune", how="inner")
    if presence is not None and len(presence):
        pres = presence.assign(mois=pd.to_datetime(presence["mois"]),
                               code_commune=presence["code_commune"].astype(str))
        monthly = monthly.merge(pres[["mois", "code_commune", "heures"]],
                                on=["mois", "code_commune"], how="left")
    else:
        monthly["heures"] = 0.0
    monthly["heures"] = monthly["heures"].fillna(0.0)
    return monthly


def capture_summary(by_brigade: pd.DataFrame) -> dict:
    """Each rule's capture relative to the uniform spread (1)."""
    base = float(by_brigade["uniforme"].sum()) if len(by_brigade) else 0.0
    out = {"brigades": int(len(by_brigade))}
    for name in RULES:
        out[f"capture_{name}"] = float(by_brigade[name].sum()) / base if base > 0 else None
    return out


def monthly_presence(con, since) -> pd.DataFrame:
    """Recorded presence per commune and month (``code_commune, mois, heures``), from the month
    ``since`` on (all months when None)."""
    return con.execute("""
        SELECT code_commune, mois, sum(heures) AS heures FROM (
            SELECT code_commune, date_trunc('month', date)::DATE AS mois, heures
            FROM presence_hours WHERE ?::DATE IS NULL OR date >= ?::DATE)
        GROUP BY ALL ORDER BY ALL""", [since, since]).df()

"""The plan against the demo's truth: how much of each brigade's hours lands where the need is.

On demo data only: the generator's true expected facts of the planned month
(``demo_oracle_taux`` and ``demo_oracle_series``, rebuilt by :func:`etl.analytics.oracle.
oracle_expected`), weighted by severity, are each commune's **true need**; they are read here,
for scoring, and never by the forecast or the plan.

- **overlap** of an allocation with the true need, within each brigade: ``1 − TV`` where TV is
  the total-variation distance between the brigade's shares of hours and of true need (1: the
  hours are spread exactly like the need), averaged over brigades weighted by their hours;
- the same for the rules a skeptic would pick instead: the current allocation, hours
  proportional to population, hours proportional to the forecast;
- **under-served communes**: communes whose true need share is above their brigade's average
  (1 / its communes) and whose share of the week's hours is under 25 % of their true need share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.analytics.audit import total_variation
from etl.analytics.panel import has_oracle, oracle_counts

#: allocation columns of the plan's commune table, and the rules they stand for
ALLOCATIONS: dict[str, str] = {"recommande": "plan", "cible": "cible", "actuel": "actuel",
                               "population": "population", "demande": "prevision"}
UNDER_SERVED_SHARE = 0.25


def true_need(con, codes: list[str], month: pd.Period, categories,
              severity: dict[str, float]) -> pd.Series | None:
    """Severity-weighted true expected facts of ``month`` per commune (None without oracle)."""
    if not has_oracle(con):
        return None
    cats = list(categories)
    expected = oracle_counts(con, codes, pd.PeriodIndex([month]), cats)[:, 0, :]
    weights = np.array([severity.get(k, 0.0) for k in cats])
    return pd.Series(expected @ weights, index=pd.Index(codes, name="code_commune"))


def overlaps(communes: pd.DataFrame, truth: pd.Series) -> dict[str, float]:
    """Hours-weighted mean over brigades of ``1 − TV(hours, true need)`` for each allocation of
    :data:`ALLOCATIONS` (one row per commune with ``brigade_id, code_commune`` and them)."""
    frame = communes.assign(verite=communes["code_commune"].map(truth).fillna(0.0))
    out = {}
    for column, name in ALLOCATIONS.items():
        total, weight = 0.0, 0.0
        for _b, part in frame.groupby("brigade_id", sort=True):
            hours = part["recommande"].to_numpy(float)
            w = float(hours.sum())
            if w <= 0 or part["verite"].sum() <= 0:
                continue
            total += w * (1 - total_variation(part[column].to_numpy(float),
                                              part["verite"].to_numpy(float)))
            weight += w
        out[name] = total / weight if weight else float("nan")
    return out


def under_served(communes: pd.DataFrame, truth: pd.Series,
                 column: str = "recommande") -> pd.DataFrame:
    """Communes whose true need share is above their brigade's average and whose share of
    ``column`` hours is under :data:`UNDER_SERVED_SHARE` of it."""
    frame = communes.assign(verite=communes["code_commune"].map(truth).fillna(0.0))
    g = frame.groupby("brigade_id")
    need_share = frame["verite"] / g["verite"].transform("sum").where(lambda s: s > 0)
    hour_share = frame[column] / g[column].transform("sum").where(lambda s: s > 0)
    average = 1.0 / g["code_commune"].transform("size")
    hit = (need_share > average) & (hour_share < UNDER_SERVED_SHARE * need_share)
    return frame.loc[hit.fillna(False), ["brigade_id", "code_commune", "nom"]].assign(
        part_verite=need_share[hit.fillna(False)], part_heures=hour_share[hit.fillna(False)])


def truth_audit(communes: pd.DataFrame, truth: pd.Series | None) -> dict:
    """The figures above for one territory, keyed for ``reco_audit`` (empty without oracle)."""
    if truth is None:
        return {}
    out = {f"verite_recouvrement_{k}": v for k, v in overlaps(communes, truth).items()}
    out["verite_communes_sous_servies"] = float(len(under_served(communes, truth)))
    return out

"""The audit of a recommendation run: fairness, distance from simple rules, capture, drift flags.

Stored with every run (``reco_audit``) and shown on the page:

- **hours per 1,000 inhabitants by commune size class** (under 500, 500 to 1,999, 2,000 to
  9,999, 10,000 and more), recommended and current;
- **Gini** of the hours per inhabitant across communes (0: the same everywhere) and the
  **max / min ratio** (communes with inhabitants; infinite when a commune gets none);
- **distance** (total variation, ½ Σ |p − q|, in %: the share of hours that would have to move)
  of the recommendation from a **population-proportional** and from a **demand-proportional**
  allocation (the forecast part of the need), each of the same brigade's capacity;
- **capture** (:mod:`etl.analytics.replay`) and the overlap with the demo's true need
  (:mod:`etl.analytics.truth`) are computed by the national run beside these figures;
- **drift flags**: communes whose weekly recorded presence rose for 4 weeks running (each of
  the last 4 weeks above the mean of the 4 before, by 10 % or more on average) while their
  recorded facts did not rise (the last 2 months no more than the 2 before) — the signature of
  a feedback loop or of over-policing, to check by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIZE_CLASSES = ((0, 500, "moins de 500 hab."), (500, 2_000, "500 à 1 999 hab."),
                (2_000, 10_000, "2 000 à 9 999 hab."), (10_000, np.inf, "10 000 hab. et plus"))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 when all equal or empty)."""
    v = np.sort(np.asarray(values, dtype=float))
    if v.size == 0 or v.sum() <= 0:
        return 0.0
    n = v.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum()))


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """½ Σ |p/Σp − q/Σq| (0 to 1); 0 when either is empty."""
    sp, sq = float(np.sum(p)), float(np.sum(q))
    if sp <= 0 or sq <= 0:
        return 0.0
    return 0.5 * float(np.abs(np.asarray(p) / sp - np.asarray(q) / sq).sum())


def size_class(population: pd.Series) -> pd.Series:
    out = pd.Series(SIZE_CLASSES[-1][2], index=population.index, dtype="object")
    for lo, hi, label in SIZE_CLASSES:
        out[(population >= lo) & (population < hi)] = label
    return out


def plan_audit(communes: pd.DataFrame) -> dict:
    """Audit figures of a plan from one row per commune with ``brigade_id, population, actuel,
    recommande, demande`` (the forecast part of its need)."""
    c = communes[communes["population"] > 0]
    per_inh = c["recommande"] / c["population"]
    by_class = []
    cls = size_class(c["population"])
    for _lo, _hi, label in SIZE_CLASSES:
        part = c[cls == label]
        pop = float(part["population"].sum())
        by_class.append({"classe": label, "communes": int(len(part)),
                         "heures_recommandees_pour_1000": (
                             float(part["recommande"].sum()) / pop * 1000 if pop else None),
                         "heures_actuelles_pour_1000": (
                             float(part["actuel"].sum()) / pop * 1000 if pop else None)})
    tv_pop, tv_dem, weight = 0.0, 0.0, 0.0
    for _b, part in communes.groupby("brigade_id", sort=True):
        h = part["recommande"].to_numpy(float)
        w = float(h.sum())
        tv_pop += w * total_variation(h, part["population"].to_numpy(float))
        tv_dem += w * total_variation(h, part["demande"].to_numpy(float))
        weight += w
    low = float(per_inh.min()) if len(per_inh) else 0.0
    return {
        "par_taille": by_class,
        "gini_heures_par_habitant": gini(per_inh.to_numpy()),
        "gini_actuel": gini((c["actuel"] / c["population"]).to_numpy()),
        "ratio_max_min": (float(per_inh.max()) / low) if low > 0 else float("inf"),
        "distance_population_pct": 100 * tv_pop / weight if weight else 0.0,
        "distance_demande_pct": 100 * tv_dem / weight if weight else 0.0,
    }


def drift_flags(presence_weeks: pd.DataFrame, facts_recent: pd.DataFrame,
                week_start) -> list[str]:
    """Communes whose presence rose 4 weeks running while their facts did not (see above)."""
    if presence_weeks.empty:
        return []
    start = pd.Timestamp(week_start)
    weeks = [start - pd.Timedelta(days=7 * k) for k in range(8, 0, -1)]
    table = presence_weeks.assign(semaine=pd.to_datetime(presence_weeks["semaine"])).pivot_table(
        index="code_commune", columns="semaine", values="heures", aggfunc="sum")
    table = table.reindex(columns=weeks, fill_value=0.0).fillna(0.0)
    before, last = table.iloc[:, :4].mean(axis=1), table.iloc[:, 4:]
    rose = last.gt(before, axis=0).all(axis=1) & (last.mean(axis=1) >= 1.1 * before) & \
        (before > 0)
    months = pd.date_range(end=start.to_period("M").start_time - pd.offsets.MonthBegin(1),
                           periods=4, freq="MS")
    f = facts_recent.assign(mois=pd.to_datetime(facts_recent["mois"])).pivot_table(
        index="code_commune", columns="mois", values="nombre", aggfunc="sum")
    f = f.reindex(index=table.index, columns=months, fill_value=0.0).fillna(0.0)
    not_rising = f.iloc[:, 2:].sum(axis=1) <= f.iloc[:, :2].sum(axis=1)
    return sorted(table.index[rose & not_rising].tolist())

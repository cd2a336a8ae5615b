"""Why a commune gets the hours it gets, in plain French.

Each commune's sentence starts with its change of the week, measured against the current
allocation brought to the capacity (the one the change cap applies to), then gives **the
reason**: the gap between its share of the brigade's need and its share of the brigade's
current hours (« reçoit plus : 12 % du besoin de la brigade pour 5 % de ses heures »), and the
target the plan moves toward when the change cap holds it back this week. Then up to three
drivers of its need, the strongest first:

- the forecast categories whose severity-weighted expected facts move most against the last
  12 months: as a percentage only when the last 12 months recorded at least
  :data:`MIN_FACTS_FOR_PERCENT` facts of the category (« cambriolages prévus en hausse de 40 %
  (31 faits en 12 mois) »); below, in counts (« violences hors famille : rythme prévu de 3 par
  an, 1 fait en 12 mois »): a percentage on one fact is regression to the mean, not a trend;
- the élus' open DCAS expectations with high priority, then the other open ones;
- the complaints of élus of the last 12 months;
- a long time without recorded presence;
- a binding constraint: the guaranteed minimum presence, or the change cap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.analytics.need import CATEGORY_NAMES

MIN_CHANGE = 0.15
#: fewer facts than this in the last 12 months: the change is told in counts, not in %
MIN_FACTS_FOR_PERCENT = 5
WEEKS_PER_YEAR = 365.25 / 7
TOLERANCE = 1e-6


def number(x: float, digits: int = 1) -> str:
    """French decimal comma, no useless ``,0``."""
    text = f"{x:.{digits}f}".replace(".", ",").replace("-", "−")
    return text[:-2] if digits == 1 and text.endswith(",0") else text


def percent(share: float) -> str:
    """A share as a French percentage: one decimal under 10 %, none above."""
    value = 100 * float(share)
    return f"{number(value, 1) if value < 10 else number(value, 0)} %"


def hours_change(delta: float) -> str:
    sign = "+" if delta > 0.05 else ("−" if delta < -0.05 else "±")
    return f"{sign}{number(abs(delta))} h"


#: categories whose French name is feminine (« violences … prévues »)
FEMININE = ("violences_sexuelles", "violences_intrafamiliales", "violences_hors_famille",
            "destructions_degradations", "escroqueries")


def _facts(n: float) -> str:
    k = int(round(n))
    return f"{k} fait{'s' if k > 1 else ''}"


def forecast_drivers(weekly: pd.DataFrame, severity: dict[str, float]) -> dict[str, list]:
    """(weight, text) drivers per commune from ``code_commune, categorie, attendu,
    reference`` rows (expected facts of the week, weekly mean of the last 12 months)."""
    out: dict[str, list] = {}
    if weekly.empty:
        return out
    w = weekly.assign(sev=weekly["categorie"].map(severity).fillna(0.0))
    w = w[w["sev"] > 0]
    diff = (w["attendu"] - w["reference"]) * w["sev"]
    year = w["reference"] * WEEKS_PER_YEAR  # facts recorded in the last 12 months
    rel = (w["attendu"] / w["reference"].where(w["reference"] > 0) - 1).fillna(np.inf)
    keep = (diff.abs() >= 0.1) & (rel.abs() >= MIN_CHANGE)
    for row, d, r, n in zip(w[keep].itertuples(index=False), diff[keep], rel[keep],
                            year[keep], strict=True):
        name = CATEGORY_NAMES.get(row.categorie, row.categorie)
        if n >= MIN_FACTS_FOR_PERCENT - 1e-9 and np.isfinite(r):
            sens = "hausse" if r > 0 else "baisse"
            agreed = "prévues" if row.categorie in FEMININE else "prévus"
            text = (f"{name} {agreed} en {sens} de {abs(r) * 100:.0f} % ({_facts(n)} en "
                    "12 mois)")
        else:
            expected = row.attendu * WEEKS_PER_YEAR
            text = (f"{name} : rythme prévu de {number(expected)} par an, {_facts(n)} en "
                    "12 mois")
        out.setdefault(row.code_commune, []).append((abs(d), text))
    return out


def expectation_drivers(expectations: pd.DataFrame) -> dict[str, list]:
    out: dict[str, list] = {}
    if expectations.empty:
        return out
    per = expectations.groupby(["code_commune", "id_consultation"], sort=True).agg(
        priorite=("priorite", "first"), age=("age_jours", "max")).reset_index()
    per["haute"] = per["priorite"] == "haute"
    high = per[per["haute"]].groupby("code_commune").agg(n=("age", "size"), age=("age", "max"))
    for code, n, age in zip(high.index, high["n"], high["age"], strict=True):
        s = "s" if n > 1 else ""
        since = f", la plus ancienne depuis {int(age)} j" if n > 1 else f" depuis {int(age)} j"
        out.setdefault(code, []).append(
            (3.0 * n, f"{n} attente{s} DCAS prioritaire{s} ouverte{s}{since}"))
    rest = per[~per["haute"]].groupby("code_commune").size()
    for code, n in rest.items():
        s = "s" if n > 1 else ""
        out.setdefault(code, []).append((1.5 * n, f"{n} autre{s} attente{s} DCAS ouverte{s}"))
    return out


def reason(row) -> str:
    """The gap between the commune's share of its brigade's need and of its current hours,
    and the target when the cap holds the commune back."""
    delta = row.recommande - row.actuel_ramene
    shares = (f"{percent(row.part_besoin)} du besoin de la brigade pour "
              f"{percent(row.part_actuelle)} de ses heures")
    if delta > 0.05:
        text = f"reçoit plus : {shares}"
    elif delta < -0.05:
        text = f"reçoit moins : {shares}"
    else:
        text = f"inchangée : {shares}"
    if abs(row.cible - row.recommande) > max(0.5, 0.05 * row.cible):
        text += f" ; cible {number(row.cible)} h, atteinte par étapes"
    return text


def constraint(row) -> str | None:
    """The binding constraint of the commune, if any, in French."""
    at_lower = row.recommande <= row.borne_basse + TOLERANCE
    if at_lower and row.borne_basse <= row.minimum + TOLERANCE and \
            row.part_besoin < row.part_recommandee:
        return "présence minimale garantie"
    if row.recommande >= row.borne_haute - TOLERANCE and row.recommande > row.actuel_ramene:
        return "hausse plafonnée par la limite de variation"
    if at_lower and row.recommande < row.actuel_ramene:
        return "baisse plafonnée par la limite de variation"
    need_up = row.part_besoin > row.part_actuelle
    if (row.recommande > row.actuel_ramene + 0.05) != need_up and \
            abs(row.recommande - row.actuel_ramene) > 0.05:
        return ("suit les heures que les communes plus en besoin ne peuvent pas encore "
                "recevoir ou céder (limite de variation)")
    return None


def explain(plan: pd.DataFrame, weekly: pd.DataFrame, expectations: pd.DataFrame,
            complaints: pd.Series, days_since: pd.Series,
            severity: dict[str, float]) -> pd.Series:
    """One French sentence per commune of ``plan`` (one row per commune with ``code_commune,
    actuel_ramene, recommande, cible, minimum, borne_basse, borne_haute, part_besoin,
    part_actuelle, part_recommandee``), indexed like ``plan``."""
    drivers: dict[str, list] = {}
    for source in (forecast_drivers(weekly, severity), expectation_drivers(expectations)):
        for code, items in source.items():
            drivers.setdefault(code, []).extend(items)
    for code, n in complaints.items():
        if n > 0:
            s = "s" if n > 1 else ""
            drivers.setdefault(code, []).append(
                (1.0 * n, f"{int(n)} plainte{s} d'élus en 12 mois"))
    for code, d in days_since.items():
        if np.isnan(d) or d >= 14:
            text = ("aucune présence enregistrée récemment" if np.isnan(d)
                    else f"aucune présence enregistrée depuis {int(d)} j")
            drivers.setdefault(code, []).append((2.0, text))
    out = []
    for row in plan.itertuples():
        items = sorted(drivers.get(row.code_commune, []), key=lambda t: (-t[0], t[1]))
        texts = [reason(row), *(t for _w, t in items[:3])]
        bound = constraint(row)
        if bound:
            texts.append(bound)
        out.append(f"{hours_change(row.recommande - row.actuel_ramene)} : " + " ; ".join(texts))
    return pd.Series(out, index=plan.index, dtype="object")

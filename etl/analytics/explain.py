"""Why a commune gets the hours it gets: its top drivers in plain French.

For each commune the recommended change (recommended − current weekly hours) comes with up to
three drivers, the strongest first:

- the forecast categories whose severity-weighted expected facts of the week move most against
  the weekly mean of the last 12 months (« cambriolages prévus en hausse de 40 % »), when the
  move is at least :data:`MIN_CHANGE` and worth at least a tenth of a weighted fact;
- the élus' open DCAS expectations with high priority (« 2 attentes DCAS prioritaires ouvertes,
  la plus ancienne depuis 45 j »), then the other open ones;
- the complaints of élus of the last 12 months;
- a long time without recorded presence;
- a binding constraint: the guaranteed minimum presence, or the change cap.

Then the marginal value of one more hour in the commune (from the LP's duals), in
severity-weighted facts a week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.analytics.need import CATEGORY_NAMES

MIN_CHANGE = 0.15
TOLERANCE = 1e-6


def number(x: float, digits: int = 1) -> str:
    """French decimal comma, no useless ``,0``."""
    text = f"{x:.{digits}f}".replace(".", ",").replace("-", "−")
    return text[:-2] if digits == 1 and text.endswith(",0") else text


def hours_change(delta: float) -> str:
    sign = "+" if delta > 0.05 else ("−" if delta < -0.05 else "±")
    return f"{sign}{number(abs(delta))} h"


def forecast_drivers(weekly: pd.DataFrame, severity: dict[str, float]) -> dict[str, list]:
    """(weight, text) drivers per commune from ``code_commune, categorie, attendu,
    reference`` rows."""
    out: dict[str, list] = {}
    if weekly.empty:
        return out
    w = weekly.assign(sev=weekly["categorie"].map(severity).fillna(0.0))
    w = w[w["sev"] > 0]
    diff = (w["attendu"] - w["reference"]) * w["sev"]
    rel = (w["attendu"] / w["reference"].where(w["reference"] > 0) - 1).fillna(0.0)
    keep = (diff.abs() >= 0.1) & (rel.abs() >= MIN_CHANGE)
    for row, d, r in zip(w[keep].itertuples(index=False), diff[keep], rel[keep], strict=True):
        name = CATEGORY_NAMES.get(row.categorie, row.categorie)
        sens = "hausse" if r > 0 else "baisse"
        out.setdefault(row.code_commune, []).append(
            (abs(d), f"{name} prévus en {sens} de {abs(r) * 100:.0f} %"))
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
        out.setdefault(code, []).append(
            (3.0 * n, f"{n} attente{s} DCAS prioritaire{s} ouverte{s}, la plus ancienne "
             f"depuis {int(age)} j"))
    rest = per[~per["haute"]].groupby("code_commune").size()
    for code, n in rest.items():
        s = "s" if n > 1 else ""
        out.setdefault(code, []).append((1.5 * n, f"{n} autre{s} attente{s} DCAS ouverte{s}"))
    return out


def explain(plan: pd.DataFrame, weekly: pd.DataFrame, expectations: pd.DataFrame,
            complaints: pd.Series, days_since: pd.Series,
            severity: dict[str, float]) -> pd.Series:
    """One French sentence per commune of ``plan`` (one row per commune with ``code_commune,
    actuel, recommande, minimum, borne_basse, borne_haute``), indexed like ``plan``."""
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
        texts = [t for _w, t in items[:3]]
        if row.recommande <= row.borne_basse + TOLERANCE and row.borne_basse <= row.minimum + \
                TOLERANCE:
            texts.append("présence minimale garantie")
        elif row.recommande >= row.borne_haute - TOLERANCE and row.recommande > row.actuel:
            texts.append("hausse plafonnée par la limite de variation")
        elif row.recommande <= row.borne_basse + TOLERANCE and row.recommande < row.actuel:
            texts.append("baisse plafonnée par la limite de variation")
        if not texts:
            texts.append("répartition du besoin de la brigade")
        out.append(f"{hours_change(row.recommande - row.actuel)} : " + " ; ".join(texts))
    return pd.Series(out, index=plan.index, dtype="object")

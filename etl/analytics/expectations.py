"""DCAS expectations against recorded facts: do élus ask where facts rise?

The élus' expectations collected by the DCAS are themes (:data:`etl.sources.dcas.THEMES`); the
facts are counted by category (:data:`etl.sources.categories.CATEGORIES`). Comparing them needs
a reading of which categories each theme speaks of: :data:`THEME_CATEGORIES`, an analyst's
assumption, stated here once so that it can be argued with. Themes without a recorded-fact
counterpart (road speed, illegal dumping, rodeos, contact with the gendarmerie) are left out, and
so are drug offences: they are revealed by police activity (a « rise » there mostly measures
controls; the recommendation engine never targets them either).

Per commune and theme (:func:`commune_themes`): the share of the commune's consultations whose
expectations cite the theme, the matching facts' rate per 1,000 inhabitants in the period, and
their change against a reference period of the same length as a Poisson z-score,
:func:`change_z`. Per theme (:func:`theme_associations`): Spearman's rank correlation, over the
consulted communes, of the citing share with the level and with the change; over all themes at
once (:func:`pooled_association`), each side taken as its gap to its theme's mean, so that a
theme cited everywhere or a category rising everywhere does not make a correlation by itself.

Pure functions (numpy, pandas, scipy): frames in, frames out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: recorded-fact categories each DCAS theme speaks of (the themes not listed have none)
THEME_CATEGORIES: dict[str, tuple[str, ...]] = {
    "cambriolages": ("cambriolages_logement",),
    "incivilites_tranquillite": ("destructions_degradations",),
    "violences_intrafamiliales": ("violences_intrafamiliales",),
    "cyber": ("escroqueries",),
    "presence_heures_sensibles": ("violences_hors_famille", "vols_violents_sans_arme",
                                  "vols_sans_violence"),
}
#: fewer consulted communes than this: no correlation is computed
MIN_PAIRS = 5
#: columns of :func:`commune_themes`
COMMUNE_THEME_COLUMNS = ("code", "theme", "consultations", "citant", "part_citant",
                         "population", "faits", "faits_reference", "taux", "evolution_z")


def change_z(current, reference) -> np.ndarray:
    """The change from ``reference`` to ``current`` counts (two windows of equal length) as a
    z-score: ``(c − r) / √(c + r)``. Given their sum, ``c`` is binomial of probability ½ when
    nothing changed, so the z is comparable between a village and a town (a change of 2 to 4
    facts scores 1.2, of 200 to 400 scores 11.5). NaN when both are 0."""
    c = np.asarray(current, dtype=float)
    r = np.asarray(reference, dtype=float)
    total = c + r
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, (c - r) / np.sqrt(np.where(total > 0, total, 1.0)), np.nan)


def commune_themes(dcas: dict[str, pd.DataFrame], facts: dict[str, pd.DataFrame]
                   ) -> pd.DataFrame:
    """One row per commune and theme of :data:`THEME_CATEGORIES` present in ``dcas``.

    ``dcas[theme]``: one row per commune (``code``, ``consultations``, ``citant``: how many of
    them cite the theme), as :func:`dashboard.queries.carte.dcas` returns it at the commune
    level. ``facts[category]``: one row per commune (``code``, ``population``, ``faits``,
    ``faits_reference``), as :func:`dashboard.queries.carte.facts` returns it; a category
    missing from ``facts`` counts no fact. Columns :data:`COMMUNE_THEME_COLUMNS`;
    ``part_citant`` is NaN for a commune never consulted, ``taux`` per 1,000 inhabitants (NaN
    without population)."""
    rows = []
    for theme, categories in THEME_CATEGORIES.items():
        if theme not in dcas:
            continue
        consulted = dcas[theme][["code", "consultations", "citant"]].copy()
        parts = [facts[k][["code", "population", "faits", "faits_reference"]]
                 for k in categories if k in facts]
        if parts:
            stacked = pd.concat(parts, ignore_index=True)
            matched = stacked.groupby("code", as_index=False).agg(
                population=("population", "first"), faits=("faits", "sum"),
                faits_reference=("faits_reference", "sum"))
        else:
            matched = pd.DataFrame({"code": consulted["code"], "population": np.nan,
                                    "faits": 0, "faits_reference": 0})
        frame = consulted.merge(matched, on="code", how="left")
        frame["faits"] = pd.to_numeric(frame["faits"]).fillna(0).astype("int64")
        frame["faits_reference"] = pd.to_numeric(frame["faits_reference"]).fillna(0).astype(
            "int64")
        frame.insert(1, "theme", theme)
        rows.append(frame)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COMMUNE_THEME_COLUMNS})
    out = pd.concat(rows, ignore_index=True)
    consultations = pd.to_numeric(out["consultations"]).astype(float)
    population = pd.to_numeric(out["population"]).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["part_citant"] = np.where(consultations > 0,
                                      pd.to_numeric(out["citant"]) / consultations, np.nan)
        out["taux"] = np.where(population > 0, out["faits"] / population * 1000.0, np.nan)
    out["evolution_z"] = change_z(out["faits"], out["faits_reference"])
    return out[list(COMMUNE_THEME_COLUMNS)]


def rank_association(x, y, min_pairs: int = MIN_PAIRS) -> dict[str, float]:
    """Spearman's rank correlation of ``x`` and ``y`` over the pairs where both are known:
    ``rho``, its two-sided ``p`` (scipy's t approximation, rough below about 10 pairs) and the
    number of pairs ``n``. ``rho`` and ``p`` are NaN below ``min_pairs`` pairs or when one side
    is constant (nothing to rank)."""
    from scipy.stats import spearmanr

    xs = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(float)
    ys = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    n = int(ok.sum())
    if n < min_pairs or np.ptp(xs[ok]) == 0 or np.ptp(ys[ok]) == 0:
        return {"rho": math.nan, "p": math.nan, "n": n}
    result = spearmanr(xs[ok], ys[ok])
    return {"rho": float(result.statistic), "p": float(result.pvalue), "n": n}


def theme_associations(frame: pd.DataFrame, min_pairs: int = MIN_PAIRS) -> pd.DataFrame:
    """Per theme of a :func:`commune_themes` frame, over its consulted communes: how many
    (``communes``), the mean citing share, and the rank correlations of the citing share with
    the facts' level (``rho_niveau``, ``p_niveau``) and with their change (``rho_evolution``,
    ``p_evolution``)."""
    rows = []
    for theme, group in frame.groupby("theme", sort=False):
        consulted = group[group["part_citant"].notna()]
        level = rank_association(consulted["part_citant"], consulted["taux"], min_pairs)
        change = rank_association(consulted["part_citant"], consulted["evolution_z"], min_pairs)
        rows.append({"theme": theme, "communes": len(consulted),
                     "part_citant_moyenne": float(consulted["part_citant"].mean())
                     if len(consulted) else math.nan,
                     "rho_niveau": level["rho"], "p_niveau": level["p"],
                     "rho_evolution": change["rho"], "p_evolution": change["p"]})
    return pd.DataFrame(rows, columns=["theme", "communes", "part_citant_moyenne", "rho_niveau",
                                       "p_niveau", "rho_evolution", "p_evolution"])


def pooled_association(frame: pd.DataFrame, column: str = "evolution_z",
                       min_pairs: int = MIN_PAIRS) -> dict[str, float]:
    """:func:`rank_association` over every consulted (commune, theme) pair of a
    :func:`commune_themes` frame, of the citing share with ``column`` (``evolution_z`` or
    ``taux``), each minus its theme's mean over those pairs: within each theme, do the communes
    citing it more have more (or more rising) facts than that theme's average?"""
    consulted = frame[frame["part_citant"].notna()]
    if consulted.empty:
        return {"rho": math.nan, "p": math.nan, "n": 0}
    by_theme = consulted.groupby("theme")
    x = consulted["part_citant"] - by_theme["part_citant"].transform("mean")
    values = pd.to_numeric(consulted[column]).astype(float)
    y = values - values.groupby(consulted["theme"]).transform("mean")
    return rank_association(x, y, min_pairs)

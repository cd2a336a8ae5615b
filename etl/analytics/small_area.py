"""Small-area rates: each commune's rate shrunk by empirical Bayes, with a credible interval.

A commune of 150 inhabitants with 3 facts has a raw rate of 20 per 1,000 and tops the ranking
on noise. Epidemiologists map such rates with the Poisson-gamma model (Clayton and Kaldor 1987;
Marshall 1991): the facts ``y_i`` of area ``i`` over the denominator ``n_i`` (inhabitants, or
dwellings for burglaries) are Poisson of mean ``n_i θ_i``; the areas' true rates ``θ_i`` are
drawn from a gamma prior of mean ``μ_i`` and shape ``α``. The estimate is the posterior, again a
gamma law, ``Gamma(α + y_i, α / μ_i + n_i)``:

- ``taux_lisse`` = its mean ``(α + y_i) / (α / μ_i + n_i)``: the raw rate pulled toward the
  prior mean ``μ_i``, the more so as ``n_i μ_i`` (the facts expected) is small next to ``α``;
- ``taux_bas``, ``taux_haut``: its 5 % and 95 % quantiles (a 90 % credible interval).

The prior is estimated from the communes themselves (empirical Bayes), by maximising the
marginal likelihood of the counts (negative binomial) over ``log μ_i = x_i · b`` and ``α``.
Three priors (``PRIORS``):

- ``departement``: one mean for all the communes shown (``x_i = 1``): the classic shrinkage
  toward the département's rate;
- ``taille``: the mean follows the commune's size (``x_i = (1, log population)``);
- ``covariables`` (the default): the mean follows two things known of the commune itself, each
  as a log level (its facts over those expected from its denominator at the territory's rate,
  one fact added to each): the same category in the 24 months before the period (hot spots stay
  hot), and the other categories of its family (:data:`FAMILIES`: property, persons, violent
  thefts) in the same period. Their weights are estimated, so that a covariate that predicts
  nothing gets a weight near 0 and the prior falls back to the département's.

On the demo for dép. 35 (``benchmarks/small_area_rates.py``) the default prior cuts the mean
squared error against the true rates about tenfold and puts more truly high communes at the top
of the ranking; the département's prior, simpler, is kept for comparison.

Degenerate cases: a commune without a denominator (population or dwellings 0 or unknown; under
1 counts as none) has no rate; fewer than :data:`MIN_AREAS` communes with a denominator, or none
with a fact, cannot tell the spread between communes: a vague prior of shape 1/2 at the pooled
rate (half a fact added) is used, whose interval is then close to the exact Poisson interval of
the commune's own count.

The prior never weighs more than 10 facts (:data:`ALPHA_BOUNDS`): a larger fitted weight gave
intervals far too narrow on the demo (the fitted prior's own uncertainty is not in the interval).

A commune is **uncertain** (« estimation incertaine ») when its 90 % interval is wider than its
smoothed rate (:data:`UNCERTAIN_WIDTH`): ``taux_haut − taux_bas > taux_lisse``, i.e. its true
rate may well be half or one and a half times the estimate: communes with few facts expected.

Pure functions (numpy, pandas, scipy); :func:`read_inputs` is the one reader of the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.sources.categories import FAMILIES

#: shrinkage priors, the default first
PRIORS: tuple[str, ...] = ("covariables", "departement", "taille")
DEFAULT_PRIOR = PRIORS[0]
#: credible level of the interval
LEVEL = 0.90
#: rates are given per this many inhabitants (or dwellings)
PER = 1000.0
#: the smallest denominator a rate is computed for (one inhabitant or dwelling)
MIN_DENOMINATOR = 1.0
#: below this many communes with a denominator, the spread between communes is not estimated
MIN_AREAS = 5
#: bounds of the prior shape α (in facts): a prior never weighs more than 10 facts. The plain
#: empirical-Bayes interval ignores the uncertainty of the fitted prior (Morris 1983), and the
#: spread between communes left after the covariates is poorly identified from one
#: département's counts: on a demo build, priors fitted at 200 to 400 facts gave 90 % intervals
#: holding the true rate for only 27 to 36 % of the communes (73 to 88 % with this bound, whose
#: smoothed rates are as close to the truth: README « Small-area rates »)
ALPHA_BOUNDS = (0.05, 10.0)
#: shape of the vague prior of the degenerate cases
VAGUE_ALPHA = 0.5
#: months of the same category before the period that inform the ``covariables`` prior
HISTORY_MONTHS = 24
#: a commune is uncertain when its interval is wider than this share of its smoothed rate
UNCERTAIN_WIDTH = 1.0
#: the output columns of :func:`smooth_rates`
RATE_COLUMNS = ("taux_brut", "taux_lisse", "taux_bas", "taux_haut")


def family_of(categorie: str) -> list[str]:
    """The other categories of ``categorie``'s family (empty when it has none)."""
    family = FAMILIES.get(categorie)
    return [k for k, f in FAMILIES.items() if f == family and k != categorie] if family else []


@dataclass(frozen=True)
class Prior:
    """The fitted prior: its name, shape ``alpha``, the mean rate of each commune (per unit of
    denominator, NaN without one) and the covariates' coefficients (intercept first)."""

    name: str
    alpha: float
    mean: np.ndarray
    coefficients: dict[str, float]
    vague: bool = False


def log_level(observed, denominator) -> np.ndarray:
    """``log((o_i + 1) / (e_i + 1))``, ``e_i`` the facts expected from ``denominator`` at the
    pooled rate ``Σ o / Σ n`` (over the communes with a positive denominator)."""
    o = np.asarray(observed, dtype=float)
    n = np.asarray(denominator, dtype=float)
    ok = np.isfinite(n) & (n >= MIN_DENOMINATOR) & np.isfinite(o)
    total_n = n[ok].sum()
    rate = o[ok].sum() / total_n if total_n > 0 else 0.0
    with np.errstate(invalid="ignore"):
        return np.where(ok, np.log((np.where(ok, o, 0.0) + 1.0)
                                   / (np.where(ok, n, 0.0) * rate + 1.0)), np.nan)


def _neg_loglik(params: np.ndarray, y: np.ndarray, n: np.ndarray, x: np.ndarray) -> float:
    from scipy.special import gammaln

    mu = np.exp(np.clip(x @ params[:-1], -50.0, 50.0))
    a = np.exp(params[-1])
    b = a / mu
    ll = (gammaln(a + y) - gammaln(a) + a * (np.log(b) - np.log(b + n))
          + y * (np.log(n) - np.log(b + n)))
    return -float(ll.sum())


def fit_prior(y, n, covariates: dict[str, np.ndarray] | None = None, name: str = "") -> Prior:
    """The gamma prior maximising the marginal (negative binomial) likelihood of the counts
    ``y`` over the denominators ``n``: ``log μ_i = b_0 + Σ b_j x_ij``, shape ``α``. Communes
    without a positive denominator are left out of the fit (their mean is NaN); covariates
    constant or unknown over the fitted communes are dropped. Fewer than :data:`MIN_AREAS`
    communes, or no fact at all: the vague prior."""
    from scipy.optimize import minimize

    y = np.asarray(y, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = np.isfinite(n) & (n >= MIN_DENOMINATOR) & np.isfinite(y) & (y >= 0)
    mean = np.full(len(y), np.nan)
    total_y, total_n = float(y[ok].sum()), float(n[ok].sum())
    if ok.sum() < MIN_AREAS or total_y <= 0:
        pooled = (total_y + 0.5) / total_n if total_n > 0 else np.nan
        mean[ok] = pooled
        return Prior(name, VAGUE_ALPHA, mean, {"constante": float(np.log(pooled))
                                               if total_n > 0 else float("nan")}, vague=True)
    columns, names = [np.ones(int(ok.sum()))], ["constante"]
    for key, values in (covariates or {}).items():
        v = np.asarray(values, dtype=float)[ok]
        if np.all(np.isfinite(v)) and float(v.std()) > 1e-9:
            # standardised: the optimiser works on comparable scales
            columns.append((v - v.mean()) / v.std())
            names.append(key)
    x = np.column_stack(columns)
    yy, nn = y[ok], n[ok]
    start = np.zeros(x.shape[1] + 1)
    start[0] = np.log(total_y / total_n)
    start[-1] = np.log(5.0)
    bounds = [(None, None)] * x.shape[1] + [tuple(np.log(ALPHA_BOUNDS))]
    result = minimize(_neg_loglik, start, args=(yy, nn, x), method="L-BFGS-B", bounds=bounds)
    params = result.x if np.all(np.isfinite(result.x)) else start
    mean[ok] = np.exp(x @ params[:-1])
    # coefficients on the covariates' own scale (per unit of log level)
    coefficients = {"constante": float(params[0])}
    for j, key in enumerate(names[1:], start=1):
        v = np.asarray((covariates or {})[key], dtype=float)[ok]
        coefficients[key] = float(params[j] / v.std())
    return Prior(name, float(np.exp(params[-1])), mean, coefficients)


def prior_covariates(prior: str, population=None, historique=None, famille=None,
                     denominateur=None) -> dict[str, np.ndarray]:
    """The covariates of ``prior`` (see the module's docstring) from the communes' columns."""
    if prior == "departement":
        return {}
    if prior == "taille":
        pop = np.asarray(population, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"log_population": np.where(pop > 0, np.log(pop), np.nan)}
    if prior == "covariables":
        out = {}
        if historique is not None:
            out["niveau_historique"] = log_level(historique, denominateur)
        if famille is not None:
            out["niveau_famille"] = log_level(famille, denominateur)
        return out
    raise ValueError(f"a priori inconnu : {prior}")


def posterior(y, n, prior: Prior, level: float = LEVEL, per: float = PER) -> pd.DataFrame:
    """Raw rate, posterior mean and ``level`` credible interval per ``per`` units, and
    ``incertain`` (interval wider than the smoothed rate). NaN without a denominator."""
    from scipy.stats import gamma

    y = np.asarray(y, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = (np.isfinite(n) & (n >= MIN_DENOMINATOR) & np.isfinite(y)
          & np.isfinite(prior.mean))
    shape = np.where(ok, prior.alpha + np.where(ok, y, 0.0), 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rate = np.where(ok, prior.alpha / prior.mean + n, 1.0)
        raw = np.where(ok, y / n, np.nan) * per
    tail = (1.0 - level) / 2.0
    smooth = np.where(ok, shape / rate, np.nan) * per
    low = np.where(ok, gamma.ppf(tail, shape, scale=1.0 / rate), np.nan) * per
    high = np.where(ok, gamma.ppf(1.0 - tail, shape, scale=1.0 / rate), np.nan) * per
    return pd.DataFrame({
        "taux_brut": raw, "taux_lisse": smooth, "taux_bas": low, "taux_haut": high,
        "incertain": pd.array(np.where(ok, (high - low) > UNCERTAIN_WIDTH * smooth, pd.NA),
                              dtype="boolean"),
    })


def smooth_rates(nombre, denominateur, *, prior: str = DEFAULT_PRIOR, population=None,
                 historique=None, famille=None, level: float = LEVEL,
                 per: float = PER) -> tuple[pd.DataFrame, Prior]:
    """The communes' rates (:data:`RATE_COLUMNS` and ``incertain``, one row per input row, in
    order) and the fitted prior. ``nombre``: facts of the period; ``denominateur``: inhabitants
    or dwellings; ``population`` (for ``taille``), ``historique`` (facts of the same category in
    the :data:`HISTORY_MONTHS` months before) and ``famille`` (facts of the family's other
    categories in the period) for the priors that use them (None: not used)."""
    if prior not in PRIORS:
        raise ValueError(f"a priori inconnu : {prior}")
    y = np.asarray(nombre, dtype=float)
    n = np.asarray(denominateur, dtype=float)
    covariates = prior_covariates(prior, population if population is not None else n,
                                  historique, famille, n)
    fitted = fit_prior(y, n, covariates, prior)
    return posterior(y, n, fitted, level, per), fitted


def uncertain_text(flag) -> str:
    """The tables' « Incertitude » cell."""
    return "estimation incertaine" if flag is True or (
        not pd.isna(flag) and bool(flag)) else ""


# --- the département's inputs, as the command line reads them ---------------------------------

class RateInputError(ValueError):
    """A département, category or month the warehouse does not hold (French message)."""


def month_window(end: pd.Period, months: int = 12) -> tuple[pd.Period, pd.Period]:
    return end - (months - 1), end


def read_inputs(con, departement: str, categorie: str, mois_fin: str | None = None
                ) -> tuple[pd.DataFrame, dict]:
    """Every commune of ``departement`` (police zone included) with ``nom``, ``population``,
    ``logements``, ``nombre`` (facts of ``categorie`` in the 12 months to ``mois_fin``, by
    default the last month with facts), ``historique`` and ``famille``; and a description of
    the window and the denominator. RateInputError with a French message otherwise."""
    from etl.sources.categories import CATEGORIES, PER_DWELLING

    if categorie not in CATEGORIES:
        raise RateInputError(f"catégorie inconnue : « {categorie} » ; catégories : "
                             + ", ".join(CATEGORIES))
    communes = con.execute(
        "SELECT code AS commune, nom, population FROM communes WHERE departement = ? "
        "ORDER BY code", [departement]).df()
    if communes.empty:
        raise RateInputError(f"département inconnu : « {departement} »")
    bounds = con.execute("SELECT min(mois), max(mois) FROM facts_monthly").fetchall()[0]
    if bounds[0] is None:
        raise RateInputError("aucun fait enregistré dans l'entrepôt (table facts_monthly)")
    first, last = pd.Period(bounds[0], "M"), pd.Period(bounds[1], "M")
    if mois_fin is None:
        end = last
    else:
        try:
            end = pd.Period(pd.to_datetime(mois_fin, format="%Y-%m"), "M")
        except (ValueError, TypeError):
            raise RateInputError(f"mois invalide : « {mois_fin} » (attendu : AAAA-MM, par "
                                 "exemple 2026-10)") from None
        if not first <= end <= last:
            raise RateInputError(f"mois hors des faits enregistrés : « {mois_fin} » (faits de "
                                 f"{first} à {last})")
    start, end = month_window(end)
    history_start = start - HISTORY_MONTHS
    family = family_of(categorie)
    rows = con.execute(
        """
        SELECT code_commune AS commune,
               sum(nombre) FILTER (WHERE categorie = $k AND mois >= $debut) AS nombre,
               sum(nombre) FILTER (WHERE categorie = $k AND mois < $debut) AS historique,
               sum(nombre) FILTER (WHERE list_contains($famille::VARCHAR[], categorie)
                                   AND mois >= $debut) AS famille
        FROM facts_monthly
        WHERE code_commune IN (SELECT code FROM communes WHERE departement = $dep)
          AND mois BETWEEN $histoire AND $fin
        GROUP BY code_commune
        """, {"k": categorie, "debut": start.start_time.date(), "fin": end.start_time.date(),
              "histoire": history_start.start_time.date(), "famille": family,
              "dep": departement}).df()
    dwellings = con.execute(
        "SELECT code_commune AS commune, arg_max(insee_log, annee) AS logements "
        "FROM crime_annual WHERE insee_log IS NOT NULL AND code_commune IN "
        "(SELECT code FROM communes WHERE departement = ?) GROUP BY code_commune",
        [departement]).df()
    frame = communes.merge(rows, on="commune", how="left").merge(dwellings, on="commune",
                                                                 how="left")
    for column in ("nombre", "historique", "famille"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
    per_dwelling = CATEGORIES[categorie][0] in PER_DWELLING
    use_dwellings = per_dwelling and bool(frame["logements"].notna().all())
    frame["denominateur"] = (frame["logements"] if use_dwellings
                             else frame["population"]).astype("float64")
    history_months = max(0, min(HISTORY_MONTHS, (start - first).n))
    info = {"debut": str(start), "fin": str(end), "categorie": categorie,
            "denominateur": "logements" if use_dwellings else "habitants",
            "mois_historique": history_months, "famille": family}
    if history_months == 0:
        frame["historique"] = np.nan  # no month before the period: the covariate is unknown
    return frame, info


def rates_table(frame: pd.DataFrame, prior: str = DEFAULT_PRIOR) -> tuple[pd.DataFrame, Prior]:
    """The command line's table from :func:`read_inputs`' frame: ``commune``, ``nom``,
    ``denominateur``, ``nombre`` and the rates (per 1,000, rounded to 3 decimals), and
    ``incertain``."""
    rates, fitted = smooth_rates(frame["nombre"], frame["denominateur"], prior=prior,
                                 population=frame["population"],
                                 historique=frame["historique"], famille=frame["famille"])
    out = frame[["commune", "nom", "denominateur", "nombre"]].reset_index(drop=True)
    out["denominateur"] = pd.to_numeric(out["denominateur"]).round().astype("Int64")
    for column in RATE_COLUMNS:
        out[column] = rates[column].round(3)
    out["incertain"] = rates["incertain"]
    return out, fitted


# --- against the demo's truth --------------------------------------------------------------------

#: the ranking's head and the truly high share the audit looks at
TOP_RANKED = 15
TOP_SHARE = 0.10


def true_rates(con, frame: pd.DataFrame, info: dict, per: float = PER) -> pd.Series | None:
    """The demo's true rate of each commune of :func:`read_inputs`' frame over the window (per
    ``per``): the facts the generator expected there (``demo_oracle_taux``'s λ × seasonality ×
    trend, :func:`etl.analytics.oracle.oracle_expected`) over the denominator. The planted
    burglary sprees (``demo_oracle_series``) are events added on top of the rate, not part of
    it. None outside a demo warehouse."""
    from etl.analytics.oracle import oracle_expected
    from etl.analytics.panel import has_oracle

    if not has_oracle(con):
        return None
    codes = frame["commune"].tolist()
    rates = con.execute(
        "SELECT code_commune, categorie, lambda_annuel FROM demo_oracle_taux "
        "WHERE categorie = ? AND list_contains(?::VARCHAR[], code_commune)",
        [info["categorie"], codes]).df()
    no_spree = pd.DataFrame({"code_commune": pd.Series([], dtype="object"),
                             "mois": pd.Series([], dtype="datetime64[ns]"),
                             "cambriolages_serie": pd.Series([], dtype="int64")})
    months = pd.period_range(info["debut"], info["fin"], freq="M")
    expected = oracle_expected(rates, no_spree, codes, months, [info["categorie"]])
    n = pd.to_numeric(frame["denominateur"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(n > 0, expected[:, :, 0].sum(axis=1) / n * per, np.nan),
                         index=frame.index)


def audit(rates: pd.DataFrame, truth: pd.Series, top: int = TOP_RANKED,
          top_share: float = TOP_SHARE) -> dict[str, float]:
    """Raw and smoothed rates against the truth, over the communes with all three: mean
    squared errors; among the ``top`` communes ranked highest by each, the share truly in the
    highest ``top_share`` (ties at the threshold included); the share of true rates inside the
    interval; and the number of communes."""
    t = pd.to_numeric(truth, errors="coerce").to_numpy(float)
    raw = rates["taux_brut"].to_numpy(float)
    smooth = rates["taux_lisse"].to_numpy(float)
    ok = np.isfinite(t) & np.isfinite(raw) & np.isfinite(smooth)
    t, raw, smooth = t[ok], raw[ok], smooth[ok]
    low, high = rates["taux_bas"].to_numpy(float)[ok], rates["taux_haut"].to_numpy(float)[ok]
    truly_high = t >= np.quantile(t, 1.0 - top_share) if len(t) else t.astype(bool)
    k = min(top, len(t))

    def head_share(estimate: np.ndarray) -> float:
        # ranked by the estimate, ties broken by the commune's order (stable)
        order = np.argsort(-estimate, kind="stable")[:k]
        return float(truly_high[order].mean()) if k else float("nan")

    return {
        "communes": int(ok.sum()),
        "mse_brut": float(np.mean((raw - t) ** 2)) if len(t) else float("nan"),
        "mse_lisse": float(np.mean((smooth - t) ** 2)) if len(t) else float("nan"),
        "tete_brut": head_share(raw),
        "tete_lisse": head_share(smooth),
        "couverture": float(np.mean((t >= low) & (t <= high))) if len(t) else float("nan"),
    }


# --- python -m etl taux ---------------------------------------------------------------------------

def rates_text(table: pd.DataFrame, fmt: str) -> str:
    """The command's output: CSV (``;``, decimal point) or JSON (a list of objects; NaN as
    null)."""
    if fmt == "json":
        import json

        records = []
        for row in table.to_dict("records"):
            records.append({k: (None if v is None or v is pd.NA or (isinstance(v, float)
                                                                    and not np.isfinite(v))
                                else (bool(v) if k == "incertain" else
                                      int(v) if isinstance(v, np.integer) else v))
                            for k, v in row.items()})
        return json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    return table.to_csv(sep=";", index=False, lineterminator="\n")

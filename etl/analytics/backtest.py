"""Rolling-origin backtest of the monthly forecast against its references.

For each of the last ``months`` months ``t`` of the panel, every method predicts month ``t``
from the months before it only. The model is refit every ``refit_every`` origins (a fit on all
of France takes seconds, twelve of them would dominate the run): the model used for month ``t``
was trained on targets before the last refit origin ``≤ t``, and its features at ``t`` still
use every month before ``t``. With ``refit_every=1`` each month gets its own fit.

The references (:mod:`etl.analytics.baselines`): ``derniers_4``, ``annee_precedente``,
``moyenne_12`` (exact zeros floored at :data:`NAIVE_FLOOR` = 0.02 facts a month) and
``moyenne_12_bayes``, the 12-month mean shrunk by empirical Bayes towards its population
class's rate × seasonality, the one a sceptic would pick. Beside them, ``offset_bayes``: the
model's own empirical-Bayes offset (``attendu_bayes``) without the trees, to show what the trees
add; it is not a reference (it is part of the model) and no brigade falls back to it.

Scores per cell (commune × month × category), averaged per category and overall
(``categorie = "ensemble"``):

- mean Poisson deviance ``2 (y log(y / μ) − (y − μ))`` (``y log y/μ = 0`` when ``y = 0``), the
  headline, with predictions clipped to :data:`EPS` = 1e-6 below (the references' zeros are
  floored before, at :data:`NAIVE_FLOOR`);
- mean absolute error, kept in the table but misleading at small counts: when most cells are 0
  the median of a cell is 0, so predicting 0 minimises it.

Also: per commune-size class (:data:`SIZE_BANDS`) the deviance of every method; calibration by
decile of the model's prediction; a paired bootstrap (communes are the resampled clusters,
seeded) of the difference of mean deviance between the model and the strongest reference (the
lowest overall deviance), and between the model and its offset; per brigade, the model against
the brigade's best reference (``repli`` where the model loses: the brigade falls back to that
reference); and, on demo data, the share of the gap between the strongest reference and the
oracle (the generator's true expected counts, read only here, never by the model) that the model
closes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etl.analytics.baselines import BASELINES, NAIVE_FLOOR, SHRUNK, baselines
from etl.analytics.forecast import MIN_HISTORY, SEED, fit_forecaster, forecast_with_offset
from etl.analytics.panel import Panel

__all__ = ["BASELINES", "METHODS", "NAIVE_FLOOR", "OFFSET", "ORACLE", "SHRUNK", "SIZE_BANDS",
           "BacktestResult", "backtest", "poisson_deviance", "absolute_error",
           "bootstrap_interval", "calibration_by_decile", "gap_closed", "size_band",
           "size_table"]

#: the model's empirical-Bayes offset alone (no trees)
OFFSET = "offset_bayes"
METHODS: tuple[str, ...] = ("modele", OFFSET, *BASELINES)
ORACLE = "oracle"
#: commune-size classes of the per-size report: (lower bound of population, label)
SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "moins de 500 hab."), (500, "500 à 1 999 hab."), (2_000, "2 000 à 9 999 hab."),
    (10_000, "10 000 hab. et plus"))
OVERALL = "ensemble"
EPS = 1e-6
BOOTSTRAP_DRAWS = 1_000


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Unit Poisson deviance of each cell, predictions clipped to :data:`EPS` below."""
    y = np.asarray(y, dtype=np.float64)
    mu = np.maximum(np.asarray(mu, dtype=np.float64), EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return 2.0 * (ylog - (y - mu))


def absolute_error(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    return np.abs(np.asarray(y, dtype=np.float64) - np.asarray(mu, dtype=np.float64))


def size_band(population: np.ndarray) -> np.ndarray:
    """Index into :data:`SIZE_BANDS` of each population."""
    edges = np.array([lo for lo, _ in SIZE_BANDS[1:]])
    return np.searchsorted(edges, np.asarray(population, dtype=np.float64), side="right")


def size_table(population: np.ndarray, dev: dict[str, np.ndarray],
               err: dict[str, np.ndarray]) -> pd.DataFrame:
    """``classe_taille, communes, methode, deviance_poisson, mae`` per commune-size class
    (:data:`SIZE_BANDS`, empty classes left out); ``dev``/``err``: [commune, ...] per method."""
    band = size_band(population)
    rows = []
    for b, (_, label) in enumerate(SIZE_BANDS):
        rows_b = band == b
        if not rows_b.any():
            continue
        for m in dev:
            rows.append({"classe_taille": label, "communes": int(rows_b.sum()), "methode": m,
                         "deviance_poisson": float(dev[m][rows_b].mean()),
                         "mae": float(err[m][rows_b].mean())})
    return pd.DataFrame(rows, columns=["classe_taille", "communes", "methode",
                                       "deviance_poisson", "mae"])


def gap_closed(deviance: dict[str, float], reference: str) -> float | None:
    """Share of the gap between ``reference`` and the oracle that the model closes (None
    without an oracle or when the reference is not worse than the oracle)."""
    if ORACLE not in deviance or deviance[reference] <= deviance[ORACLE]:
        return None
    return (deviance[reference] - deviance["modele"]) / (deviance[reference] - deviance[ORACLE])


def bootstrap_interval(diff_by_cluster: np.ndarray, draws: int = BOOTSTRAP_DRAWS,
                       seed: int = SEED, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the mean of ``diff_by_cluster`` over resamples of the clusters
    (each cluster's mean difference; clusters of equal size, so the mean of means is the mean
    over cells)."""
    rng = np.random.default_rng(seed)
    n = len(diff_by_cluster)
    means = np.array([diff_by_cluster[rng.integers(0, n, n)].mean() for _ in range(draws)])
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def calibration_by_decile(predicted: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    """Mean predicted and observed counts per decile of the prediction (ties by position)."""
    p, y = np.ravel(predicted), np.ravel(observed)
    order = np.argsort(p, kind="stable")
    decile = np.empty(len(p), dtype=np.int64)
    decile[order] = np.arange(len(p)) * 10 // max(len(p), 1) + 1
    frame = pd.DataFrame({"decile": decile, "predit": p, "observe": y})
    out = frame.groupby("decile").agg(predit_moyen=("predit", "mean"),
                                      observe_moyen=("observe", "mean"),
                                      cellules=("predit", "size"))
    return out.reset_index()


@dataclass
class BacktestResult:
    """Scores of a backtest (see the module docstring); ``predictions`` keeps every cell."""

    table: pd.DataFrame  # categorie, methode, deviance_poisson, mae
    predictions: pd.DataFrame
    calibration: pd.DataFrame  # decile, predit_moyen, observe_moyen, cellules
    by_brigade: pd.DataFrame  # brigade_id, methode_retenue, deviance_modele, ...
    best_baseline: str  # the strongest reference: lowest overall deviance
    bootstrap: tuple[float, float]  # 95 % interval of model − strongest reference deviance
    oracle_gap_closed: float | None  # measured from the strongest reference
    by_size: pd.DataFrame  # classe_taille, communes, methode, deviance_poisson, mae
    bootstrap_offset: tuple[float, float]  # 95 % interval of model − offset_bayes deviance
    months: list[str]
    refit_every: int
    communes: int
    seconds: float
    draws: int = BOOTSTRAP_DRAWS
    fit_seconds: list[float] = field(default_factory=list)

    def overall(self, method: str) -> float:
        t = self.table
        return float(t.loc[(t["categorie"] == OVERALL) & (t["methode"] == method),
                           "deviance_poisson"].iloc[0])

    def records(self) -> list[dict]:
        """The table as a list of ``{"categorie", "methode", "deviance_poisson", "mae"}``."""
        return [{"categorie": r.categorie, "methode": r.methode,
                 "deviance_poisson": round(float(r.deviance_poisson), 6),
                 "mae": round(float(r.mae), 6)} for r in self.table.itertuples()]

    @property
    def trees_help(self) -> bool:
        """Whether the model beats its offset alone significantly (interval below zero)."""
        return self.bootstrap_offset[1] < 0

    def deviances(self) -> dict[str, float]:
        """Overall mean Poisson deviance of every method (and the oracle)."""
        t = self.table[self.table["categorie"] == OVERALL]
        return {str(m): float(d) for m, d in zip(t["methode"], t["deviance_poisson"],
                                                 strict=True)}

    def size_deviances(self) -> dict[str, dict[str, float]]:
        """``{classe_taille: {methode: deviance}}``, JSON-ready."""
        out: dict[str, dict[str, float]] = {}
        for r in self.by_size.itertuples():
            out.setdefault(r.classe_taille, {})[r.methode] = round(float(r.deviance_poisson), 6)
        return out

    def summary(self) -> dict:
        """The headline figures, JSON-ready (stored with a recommendation run)."""
        return {"mois": self.months, "communes": self.communes, "reentrainement_tous_les":
                self.refit_every, "meilleure_reference": self.best_baseline,
                "reference_ecart_oracle": self.best_baseline,
                "plancher_references_naives": NAIVE_FLOOR,
                "deviance_modele": self.overall("modele"),
                "deviance_meilleure_reference": self.overall(self.best_baseline),
                "deviance_offset_bayes": self.overall(OFFSET),
                "bootstrap_95": list(self.bootstrap),
                "bootstrap_95_modele_moins_offset": list(self.bootstrap_offset),
                "arbres_utiles": self.trees_help, "tirages": self.draws,
                "part_ecart_oracle_comblee": self.oracle_gap_closed,
                "deviances": self.deviances(), "deviance_par_taille": self.size_deviances(),
                "brigades_en_repli": int(self.by_brigade["repli"].sum()),
                "brigades": len(self.by_brigade), "secondes": round(self.seconds, 1),
                "secondes_entrainements": [round(s, 1) for s in self.fit_seconds]}

    def to_json(self) -> str:
        return json.dumps(self.records(), ensure_ascii=False, indent=2)

    def render(self) -> str:
        """French plain text: the aligned table, the bootstrap interval, the share of the
        oracle gap closed and the brigades falling back."""
        return render_text(self)


def _fr(x: float, digits: int = 4) -> str:
    """French number: narrow no-break space between thousands, decimal comma."""
    return f"{x:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def _interval(lo: float, hi: float) -> str:
    verdict = "exclut zéro" if hi < 0 or lo > 0 else "contient zéro"
    return f"[{_fr(lo)} ; {_fr(hi)}] : {verdict}"


def render_text(r: BacktestResult) -> str:
    best, dev = r.best_baseline, r.deviances()
    lines = [f"Backtest glissant de la prévision mensuelle : {len(r.months)} mois "
             f"({r.months[0]} à {r.months[-1]}), {_fr(r.communes, 0)} communes, modèle "
             f"réentraîné tous les {r.refit_every} mois", ""]
    lines.append(f"{'catégorie':<27} {'méthode':<17} {'déviance de Poisson':>19} {'EAM':>8}")
    for row in r.table.itertuples():
        lines.append(f"{row.categorie:<27} {row.methode:<17} {_fr(row.deviance_poisson):>19} "
                     f"{_fr(row.mae):>8}")
    lo, hi = r.bootstrap
    lines += ["", f"Zéros exacts des références naïves relevés à {_fr(NAIVE_FLOOR, 2)} fait par "
              f"mois ; {SHRUNK} : moyenne des 12 derniers mois rétrécie vers le taux de sa "
              "classe de population (bayésien empirique) × saisonnalité.",
              f"Référence la plus forte (plus faible déviance de Poisson des références) : "
              f"{best}. Différence de déviance modèle − {best} : "
              f"{_fr(r.overall('modele') - r.overall(best))}, intervalle bootstrap à 95 % "
              f"({_fr(r.draws, 0)} tirages de communes) {_interval(lo, hi)}."]
    if r.oracle_gap_closed is not None:
        lines.append(f"Part de l'écart entre {best} (la référence la plus forte) et l'oracle "
                     f"comblée par le modèle : {_fr(100 * r.oracle_gap_closed, 1)} %.")
    else:
        lines.append("Oracle : absent (données réelles ou entrepôt sans table de vérité).")
    olo, ohi = r.bootstrap_offset
    lines.append(f"Modèle contre son décalage bayésien seul ({OFFSET}) : déviance "
                 f"{_fr(r.overall('modele'))} contre {_fr(r.overall(OFFSET))}, intervalle "
                 f"bootstrap à 95 % de la différence {_interval(olo, ohi)}. " + (
                     "Les arbres améliorent le décalage." if r.trees_help else
                     ("Le décalage seul fait un peu mieux : les arbres n'apportent rien"
                      if olo > 0 else "Les arbres n'apportent rien de mesurable")
                     + " au-delà du décalage (le modèle est gardé, la comparaison reste "
                     "affichée)."))
    lines.append("L'EAM (erreur absolue moyenne) trompe sur les petits effectifs : quand la "
                 "plupart des cellules valent 0, prédire 0 partout la réduit, alors que la "
                 "déviance de Poisson pénalise un zéro prédit là où un fait survient.")
    fall = r.by_brigade[r.by_brigade["repli"]]
    lines.append(f"Brigades où le modèle perd (repli sur leur meilleure référence) : "
                 f"{len(fall)} sur {len(r.by_brigade)}"
                 + (" : " + ", ".join(f"{b} → {m}" for b, m in zip(
                     fall["brigade_id"].head(10), fall["methode_retenue"].head(10),
                     strict=True)) + (" …" if len(fall) > 10 else "") if len(fall) else "."))
    methods = [m for m in (*METHODS, ORACLE) if m in dev]
    width = max(len(m) for m in methods) + 1
    gap = ORACLE in dev
    lines += ["", "Déviance de Poisson moyenne par taille de commune"
              + (f" (écart : part de l'écart {best} − oracle comblée) :" if gap else " :"),
              f"{'classe':<20} {'communes':>8}" + "".join(f"{m:>{width}}" for m in methods)
              + (f"{'écart':>8}" if gap else "")]
    for label, part in r.by_size.groupby("classe_taille", sort=False):
        d = dict(zip(part["methode"], part["deviance_poisson"], strict=True))
        closed = gap_closed(d, best) if gap else None
        lines.append(f"{label:<20} {_fr(int(part['communes'].iloc[0]), 0):>8}"
                     + "".join(f"{_fr(d[m]):>{width}}" for m in methods)
                     + ("" if not gap else f"{'–':>8}" if closed is None
                        else f"{_fr(100 * closed, 0) + ' %':>8}"))
    lines += ["", "Calibration par décile de la prévision du modèle (moyennes par cellule) :",
              f"{'décile':>6} {'prévu':>9} {'observé':>9}"]
    for c in r.calibration.itertuples():
        lines.append(f"{c.decile:>6} {_fr(c.predit_moyen):>9} {_fr(c.observe_moyen):>9}")
    return "\n".join(lines)


def _table(dev: dict[str, np.ndarray], err: dict[str, np.ndarray], categories) -> pd.DataFrame:
    rows = []
    for j, cat in enumerate((OVERALL, *categories)):
        for m in dev:
            d = dev[m] if j == 0 else dev[m][:, :, j - 1]
            e = err[m] if j == 0 else err[m][:, :, j - 1]
            rows.append({"categorie": cat, "methode": m, "deviance_poisson": float(d.mean()),
                         "mae": float(e.mean())})
    return pd.DataFrame(rows)


def _by_brigade(panel: Panel, dev: dict[str, np.ndarray]) -> pd.DataFrame:
    brig = panel.communes["brigade_id"].to_numpy(object)
    per_commune = pd.DataFrame({m: dev[m].mean(axis=(1, 2)) for m in METHODS})
    per_commune["brigade_id"] = brig
    means = per_commune.groupby("brigade_id", sort=True)[list(METHODS)].mean()
    best = means[list(BASELINES)].idxmin(axis=1)
    best_dev = means[list(BASELINES)].min(axis=1)
    fallback = means["modele"] > best_dev
    return pd.DataFrame({
        "brigade_id": means.index.astype(object),
        "methode_retenue": np.where(fallback, best, "modele").astype(object),
        "deviance_modele": means["modele"].to_numpy(),
        "deviance_meilleure_reference": best_dev.to_numpy(),
        "meilleure_reference": best.to_numpy().astype(object),
        "repli": fallback.to_numpy(),
    }).reset_index(drop=True)


def _predictions(panel: Panel, start: int, y: np.ndarray,
                 pred: dict[str, np.ndarray]) -> pd.DataFrame:
    n, m, k = y.shape
    c = panel.communes
    commune = pd.Categorical.from_codes(np.repeat(np.arange(n), m * k), categories=c[
        "code_commune"].astype(str))
    brig_codes, brig_names = pd.factorize(c["brigade_id"].astype(str))
    months = pd.DatetimeIndex([(panel.months[0] + start + i).start_time for i in range(m)])
    out = pd.DataFrame({
        "code_commune": commune,
        "brigade_id": pd.Categorical.from_codes(np.repeat(brig_codes, m * k),
                                                categories=brig_names),
        "mois": np.tile(np.repeat(months.to_numpy(), k), n),
        "categorie": pd.Categorical.from_codes(np.tile(np.arange(k), n * m),
                                               categories=list(panel.categories)),
        "observe": y.ravel(),
    })
    for name, values in pred.items():
        out[name] = values.ravel()
    return out


def backtest(panel: Panel, months: int = 12, refit_every: int = 3,
             oracle: np.ndarray | None = None, seed: int = SEED,
             draws: int = BOOTSTRAP_DRAWS) -> BacktestResult:
    """Rolling-origin backtest over the panel's last ``months`` months (see the module's
    docstring). ``oracle``: true expected counts shaped like ``panel.counts`` (demo only), used
    for scoring only."""
    t0 = time.monotonic()
    n, total, k = panel.counts.shape
    start = total - months
    if months < 1 or refit_every < 1:
        raise ValueError("le nombre de mois et l'intervalle de réentraînement doivent être ≥ 1")
    if n == 0:
        raise ValueError("aucune commune à prévoir dans ce périmètre")
    if start < MIN_HISTORY + 1:
        raise ValueError(f"historique insuffisant : {total} mois de faits, il en faut au moins "
                         f"{MIN_HISTORY + 1 + months} pour un backtest sur {months} mois")
    names = METHODS + ((ORACLE,) if oracle is not None else ())
    pred = {m: np.empty((n, months, k)) for m in names}
    model, fits = None, []
    for j, t in enumerate(range(start, total)):
        if j % refit_every == 0:
            model = fit_forecaster(panel, t, seed=seed)
            fits.append(model.seconds)
        pred["modele"][:, j], pred[OFFSET][:, j] = forecast_with_offset(panel, model, t)
        for name, values in baselines(panel, t).items():
            pred[name][:, j] = values
        if oracle is not None:
            pred[ORACLE][:, j] = oracle[:, t]
    y = panel.counts[:, start:].astype(np.float64)
    dev = {m: poisson_deviance(y, pred[m]) for m in names}
    err = {m: absolute_error(y, pred[m]) for m in names}
    table = _table(dev, err, panel.categories)
    overall = {m: float(dev[m].mean()) for m in names}
    best = min(BASELINES, key=overall.__getitem__)  # the strongest reference
    per_commune = {m: dev[m].mean(axis=(1, 2)) for m in names}
    by_size = size_table(panel.communes["population"].to_numpy(float), per_commune,
                         {m: err[m].mean(axis=(1, 2)) for m in names})
    return BacktestResult(
        table=table, predictions=_predictions(panel, start, y, pred),
        calibration=calibration_by_decile(pred["modele"], y),
        by_brigade=_by_brigade(panel, dev), best_baseline=best,
        bootstrap=bootstrap_interval(per_commune["modele"] - per_commune[best], draws, seed),
        oracle_gap_closed=gap_closed(overall, best), by_size=by_size,
        bootstrap_offset=bootstrap_interval(per_commune["modele"] - per_commune[OFFSET], draws,
                                            seed),
        months=[str(panel.months[t]) for t in range(start, total)], refit_every=refit_every,
        communes=n, seconds=time.monotonic() - t0, draws=draws, fit_seconds=fits)

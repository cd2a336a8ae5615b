"""Next month's victim-reported facts per commune × category: a gradient-boosted Poisson model.

Monthly, not weekly: the gendarmerie export and the SSMSI bases count facts per month, and a
commune of a few hundred inhabitants records a handful of facts a year: weeks would be mostly
zeros. Offences revealed by police activity (:data:`ENFORCEMENT_CATEGORIES`) are neither
predicted nor used as inputs (see :mod:`etl.analytics.panel`).

One scikit-learn ``HistGradientBoostingRegressor(loss="poisson")`` covers every commune and
category (category as a categorical feature). Every feature of a target month ``t`` is computed
from the months before ``t`` only (:func:`month_features` slices the history first):

- the commune's own counts: last month, means of the last 3, 12 and 24 months, the same month a
  year earlier, the mean of its whole history and that history's length;
- size and place: log population, the rate per inhabitant of the other communes of its brigade
  (neighbours) and of its département over the last 12 months;
- time: calendar month and the category's seasonal index, national over the panel's whole years
  before ``t`` (a calendar month's total over the mean month's, shrunk towards 1);
- an empirical-Bayes expectation ``attendu_bayes``: a size curve (rate per inhabitant by
  population class, from the history) scaled by the département's level, times the commune's
  own level in the category's family (:data:`FAMILIES`: its recorded facts over the size
  curve's expectation, shrunk towards 1 by a prior weight estimated from the spread between
  communes of its population class, gamma-Poisson moments), times the seasonal index and the
  category's drift (``niveau_recent``: the last 12 months over the history's mean).

The model predicts a multiplicative correction of ``attendu_bayes``: it is fit on
``y / attendu_bayes`` with weights ``attendu_bayes``, which for a Poisson deviance is the same as
using ``log attendu_bayes`` as an offset. The trees are strongly regularised (l2 of 300, leaves
of 1,000 rows): a correction needs many facts behind it. Training targets are the last
:data:`TRAIN_MONTHS` months before the cut-off (from the 13th month of the panel on),
subsampled with a seeded generator to at most :data:`MAX_TRAIN_ROWS` rows: one national fit
takes about 9 s on one core. Same panel, same cut-off: same model, same forecasts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from etl.analytics.panel import ENFORCEMENT_CATEGORIES, TARGET_CATEGORIES, Panel
from etl.sources.categories import FAMILIES

__all__ = ["ENFORCEMENT_CATEGORIES", "TARGET_CATEGORIES", "FEATURES", "Forecaster",
           "month_features", "feature_matrix", "fit_forecaster", "forecast",
           "forecast_with_offset", "forecast_next"]

FEATURES: tuple[str, ...] = (
    "categorie", "mois_annee", "indice_saisonnier", "dernier_mois", "moyenne_3", "moyenne_12",
    "meme_mois_an_dernier", "moyenne_24", "moyenne_historique", "mois_historique",
    "log_population", "taux_brigade", "taux_departement", "attendu_taille", "niveau_recent",
    "niveau_categorie", "niveau_famille", "niveau_commune", "attendu_bayes",
)
#: first target month of the training rows: a year of history before it
MIN_HISTORY = 12
#: training targets: the last TRAIN_MONTHS months before the cut-off
TRAIN_MONTHS = 12
MAX_TRAIN_ROWS = 600_000
SEED = 20211115
#: OpenMP threads of a fit or a prediction. One: on a busy 2-core machine (web workers, other
#: jobs) two spinning OpenMP threads took 6 to 30 s for a fit that one thread does in 7-8 s
FIT_THREADS = 1
SIZE_CLASSES = 20
#: pseudo-count (facts) shrinking the seasonal index towards 1 when the panel is small
SEASON_PSEUDO = 30.0
EPS = 1e-6


def _mean_last(h: np.ndarray, w: int) -> np.ndarray:
    t = h.shape[1]
    if t < w:
        return np.full((h.shape[0], h.shape[2]), np.nan)
    return h[:, t - w:].mean(axis=1)


def seasonal_index(h: np.ndarray, months: pd.PeriodIndex, target: pd.Period) -> np.ndarray:
    """[category]: total of the target's calendar month over the whole years of ``h`` divided
    by the mean month's total (pseudo-count :data:`SEASON_PSEUDO`); 1 with less than a year."""
    t = h.shape[1]
    years = t // 12
    if years == 0:
        return np.ones(h.shape[2])
    tot = h[:, t - 12 * years:].sum(axis=0)  # [month, category]
    same = np.asarray(months[t - 12 * years:t].month == target.month)
    return (tot[same].sum(axis=0) + SEASON_PSEUDO) / (tot.sum(axis=0) / 12 + SEASON_PSEUDO)


def _group_sum(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups, values.shape[1]))
    ok = codes >= 0
    np.add.at(out, codes[ok], values[ok])
    return out


def _size_classes(pop: np.ndarray) -> tuple[np.ndarray, int]:
    """Population classes (quantiles of the inhabited communes; fewer in a small panel)."""
    positive = pop[pop > 0]
    n = int(np.clip(len(positive) // 100, 4, SIZE_CLASSES))
    edges = np.unique(np.quantile(positive, np.linspace(0, 1, n + 1)[1:-1])) if len(
        positive) else np.array([])
    return np.searchsorted(edges, pop, side="right"), len(edges) + 1


def _size_curve(totals: np.ndarray, months: int, pop: np.ndarray, cls: np.ndarray,
                n_cls: int, dep: np.ndarray) -> np.ndarray:
    """[commune, category] expected facts per month from the population class's rate per
    inhabitant, scaled by the département's observed over expected facts."""
    rate = _group_sum(totals, cls, n_cls) / np.maximum(
        np.bincount(cls, weights=pop, minlength=n_cls) * months, 1.0)[:, None]
    expected = pop[:, None] * rate[cls]
    n_dep = int(dep.max()) + 1
    level = (_group_sum(totals, dep, n_dep) + 10.0) / (
        _group_sum(expected * months, dep, n_dep) + 10.0)
    return expected * level[dep]


def _prior_weight(obs: np.ndarray, exp: np.ndarray, cls: np.ndarray, n_cls: int) -> np.ndarray:
    """[commune, group] empirical-Bayes prior weight, in facts, of each commune's level: the
    inverse of the between-commune variance of observed / expected facts in its population
    class, net of the Poisson noise (gamma-Poisson moments), bounded to [1, 1000] facts."""
    out = np.empty_like(exp)
    for g in range(exp.shape[1]):
        e, y = exp[:, g], obs[:, g]
        ok = e > 0
        sum_e = np.bincount(cls[ok], weights=e[ok], minlength=n_cls)
        mean = np.bincount(cls[ok], weights=y[ok], minlength=n_cls) / np.maximum(sum_e, EPS)
        spread = np.bincount(cls[ok], weights=(y[ok] - mean[cls[ok]] * e[ok]) ** 2 / e[ok],
                             minlength=n_cls)
        noise = mean * np.bincount(cls[ok], minlength=n_cls)
        var_u = (spread - noise) / np.maximum(sum_e, EPS) / np.maximum(mean, EPS) ** 2
        out[:, g] = np.clip(1.0 / np.maximum(var_u, 1e-3), 1.0, 1000.0)[cls]
    return out


def _levels(totals: np.ndarray, expected: np.ndarray, categories, cls: np.ndarray,
            n_cls: int) -> dict[str, np.ndarray]:
    """The commune's level (observed over expected facts, shrunk towards 1 by its empirical-
    Bayes prior weight) in the category itself, its family and all categories."""
    fam = pd.factorize(pd.Series([FAMILIES.get(k, k) for k in categories]))[0]
    onehot = np.eye(fam.max() + 1)[fam]  # [category, family]
    out = {}
    for name, groups in (("niveau_categorie", np.eye(len(categories))),
                         ("niveau_famille", onehot), ("niveau_commune", np.ones((len(fam), 1)))):
        obs, exp = totals @ groups, expected @ groups
        a = _prior_weight(obs, exp, cls, n_cls)
        out[name] = ((obs + a) / (exp + a)) @ groups.T
    return out


def recent_level(h: np.ndarray) -> np.ndarray:
    """[category]: the panel's facts of the last 12 months over 12 mean months of its history
    (pseudo-count :data:`SEASON_PSEUDO`): the drift since the history's middle."""
    t = h.shape[1]
    tot = h.sum(axis=0)
    last = tot[max(0, t - 12):].sum(axis=0)
    return (last + SEASON_PSEUDO) / (tot.sum(axis=0) / t * min(t, 12) + SEASON_PSEUDO)


def _feature_columns(panel: Panel, t: int) -> dict[str, np.ndarray]:
    """Every feature of target month ``t`` as a [commune, category] array. Only
    ``counts[:, :t]`` is read: nothing from month ``t`` or later."""
    h = panel.counts[:, :t].astype(np.float64)  # the history: every feature derives from it
    n, _, k = h.shape
    target = panel.months[0] + t
    pop = panel.communes["population"].to_numpy(float)
    dep, brig = panel.codes("departement"), panel.codes("brigade_id")
    last12 = h[:, max(0, t - 12):].sum(axis=1)
    b_sum = _group_sum(last12, brig, brig.max() + 1)
    b_pop = np.bincount(brig, weights=pop, minlength=brig.max() + 1)
    others = b_pop[brig][:, None] - pop[:, None]
    d_pop = np.bincount(dep, weights=pop, minlength=dep.max() + 1)
    per_month = 1000 / max(1, min(t, 12))  # rates per 1,000 inhabitants and month
    with np.errstate(divide="ignore", invalid="ignore"):
        brigade_rate = np.where(others > 0, (b_sum[brig] - last12) / others, np.nan)
    dep_rate = _group_sum(last12, dep, dep.max() + 1)[dep] / np.maximum(d_pop[dep], 1)[:, None]
    nan = np.full((n, k), np.nan)
    season = seasonal_index(h, panel.months, target)
    cols: dict[str, np.ndarray] = {
        "categorie": np.tile(np.arange(k), (n, 1)),
        "mois_annee": np.full((n, k), target.month),
        "indice_saisonnier": np.tile(season, (n, 1)),
        "dernier_mois": h[:, -1] if t else nan,
        "moyenne_3": _mean_last(h, 3),
        "moyenne_12": _mean_last(h, 12),
        "meme_mois_an_dernier": h[:, t - 12] if t >= 12 else nan,
        "moyenne_24": _mean_last(h, min(24, t)) if t else nan,
        "moyenne_historique": h.mean(axis=1) if t else nan,
        "mois_historique": np.full((n, k), t),
        "log_population": np.tile(np.log1p(pop)[:, None], (1, k)),
        "taux_brigade": brigade_rate * per_month,
        "taux_departement": dep_rate * per_month,
    }
    cls, n_cls = _size_classes(pop)
    totals = h.sum(axis=1)
    expected = _size_curve(totals, t, pop, cls, n_cls, dep) if t else np.zeros((n, k))
    levels = _levels(totals, expected * t, panel.categories, cls, n_cls)
    drift = recent_level(h) if t else np.ones(k)
    cols["attendu_taille"] = expected
    cols["niveau_recent"] = np.tile(drift, (n, 1))
    cols.update(levels)
    cols["attendu_bayes"] = expected * levels["niveau_famille"] * (season * drift)[None, :]
    return cols


def feature_matrix(panel: Panel, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(features [commune × category, FEATURES] float32, commune-major; the offset
    ``attendu_bayes`` floored at :data:`EPS`) of target month ``t``."""
    cols = _feature_columns(panel, t)
    x = np.empty((cols["categorie"].size, len(FEATURES)), dtype=np.float32)
    for j, name in enumerate(FEATURES):
        x[:, j] = cols[name].ravel()
    return x, np.maximum(cols["attendu_bayes"].ravel(), EPS)


def month_features(panel: Panel, t: int) -> pd.DataFrame:
    """Features of target month ``t`` (an index into ``panel.months``; ``t`` may be one past
    the last month) for every commune × category, commune-major, as a frame."""
    cols = _feature_columns(panel, t)
    return pd.DataFrame({name: cols[name].ravel() for name in FEATURES})


@dataclass
class Forecaster:
    """A fitted model, the cut-off it was trained before and its training size and time."""

    model: HistGradientBoostingRegressor
    until: int
    rows: int
    seconds: float


def _regressor() -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        loss="poisson", learning_rate=0.05, max_iter=100, max_leaf_nodes=31,
        min_samples_leaf=1000, l2_regularization=300.0, early_stopping=False,
        categorical_features=[FEATURES.index("categorie")], random_state=0)


def fit_forecaster(panel: Panel, until: int, max_rows: int = MAX_TRAIN_ROWS,
                   seed: int = SEED) -> Forecaster:
    """Train on the target months ``s`` of the last :data:`TRAIN_MONTHS` before ``until``,
    from the 13th month on (features from months before each ``s``); rows subsampled
    uniformly with a seeded generator above ``max_rows``."""
    t0 = time.monotonic()
    if panel.counts.shape[0] == 0:
        raise ValueError("aucune commune à prévoir dans ce périmètre")
    end = min(until, panel.n_months)
    targets = list(range(max(MIN_HISTORY, end - TRAIN_MONTHS), end))
    if not targets:
        raise ValueError("pas assez d'historique pour entraîner le modèle (12 mois au moins)")
    cells = panel.counts.shape[0] * panel.counts.shape[2]
    keep = min(1.0, max_rows / (cells * len(targets)))
    rng = np.random.default_rng(seed)
    xs, ys, ws = [], [], []
    for s in targets:
        mask = rng.random(cells) < keep
        x, offset = feature_matrix(panel, s)
        xs.append(x[mask])
        ys.append(panel.counts[:, s].ravel()[mask] / offset[mask])
        ws.append(offset[mask])
    with threadpool_limits(FIT_THREADS):
        model = _regressor().fit(np.concatenate(xs), np.concatenate(ys),
                                 sample_weight=np.concatenate(ws))
    return Forecaster(model, until, int(sum(len(y) for y in ys)), time.monotonic() - t0)


def forecast_with_offset(panel: Panel, model: Forecaster,
                         month_index: int) -> tuple[np.ndarray, np.ndarray]:
    """(the model's expected facts, its offset ``attendu_bayes`` alone), both ``[commune,
    category]``, of month ``month_index``: the offset is the empirical-Bayes expectation the
    trees correct, scored beside the model by the backtest (``offset_bayes``)."""
    x, offset = feature_matrix(panel, month_index)
    with threadpool_limits(FIT_THREADS):
        pred = model.model.predict(x) * offset
    shape = (panel.counts.shape[0], panel.counts.shape[2])
    return pred.reshape(shape), offset.reshape(shape)


def forecast(panel: Panel, model: Forecaster, month_index: int) -> np.ndarray:
    """Expected facts ``[commune, category]`` of month ``month_index`` (may be one past the
    panel's last month), from the months before it only."""
    return forecast_with_offset(panel, model, month_index)[0]


def forecast_next(panel: Panel, model: Forecaster | None = None) -> pd.DataFrame:
    """The month after the panel's last: ``code_commune, categorie, mois, attendu``."""
    t = panel.n_months
    if panel.counts.shape[0] == 0:
        return pd.DataFrame({"code_commune": pd.Series(dtype=object),
                             "categorie": pd.Series(dtype=object),
                             "mois": pd.Series(dtype="datetime64[ns]"),
                             "attendu": pd.Series(dtype=float)})
    model = model or fit_forecaster(panel, t)
    pred = forecast(panel, model, t)
    n, k = pred.shape
    return pd.DataFrame({
        "code_commune": np.repeat(panel.communes["code_commune"].to_numpy(object), k),
        "categorie": np.tile(np.array(panel.categories, dtype=object), n),
        "mois": (panel.months[0] + t).start_time,
        "attendu": pred.ravel(),
    })


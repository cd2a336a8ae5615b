"""The references the forecast is measured against, for a target month ``t`` from the months
before it only (``counts[:, :t]``; nothing from ``t`` on is read).

Naive references, ``[commune, category]`` facts expected in month ``t``:

- ``derniers_4``: mean of the last 4 months;
- ``annee_precedente``: the same month a year earlier;
- ``moyenne_12``: mean of the last 12 months.

Their exact zeros (most cells of a small commune: 57 % of the 12-month means nationally on the
demo) are floored at :data:`NAIVE_FLOOR` = 0.02 facts a month, about one fact in four years: a
reference that predicts exactly 0 and then sees one fact would otherwise pay a Poisson deviance
of ``2 log(1 / 1e-6)`` ≈ 27.6 for it, which says more about the clip than about the reference.
No positive value is below the floor (a 12-month mean is 0 or at least 1/12).

The reference a sceptic would pick, ``moyenne_12_bayes``: the 12-month mean shrunk towards a
prior by empirical Bayes, times the category's seasonal index of the target month. Per commune
``i`` and category: ``prior_i`` is the expected facts a month from the rate per inhabitant of
its population class over the last 12 months, scaled by its département's observed over
expected facts (:func:`etl.analytics.forecast._size_curve`; where the class recorded no fact of
the category in the window, the whole panel's rate with half a fact added); the shrunk mean is

    ``prior_i × (y_i + a) / (12 prior_i + a)``, i.e. ``(y_i + m prior_i) / (12 + m)`` with
    ``m = a / prior_i`` months of prior,

with ``y_i`` the facts of the last 12 months and ``a`` (in facts) the prior weight of its
population class, estimated by gamma-Poisson moments from the spread of observed over expected
facts between the class's communes (:func:`etl.analytics.forecast._prior_weight`, bounded to
[1, 1000]). A commune without a fact in 12 months keeps ``prior_i a / (12 prior_i + a)``: close
to its prior when it is small, close to its own zero when the prior expects many facts. Strictly
positive wherever the prior is, i.e. for every inhabited commune (a commune of population 0 is
predicted 0). It is the 12-month mean's window and nothing else: no trend, no family level, no
lags; the model's own offset (``attendu_bayes``: the whole history, the family's level and the
drift) is scored beside it.
"""

from __future__ import annotations

import numpy as np

from etl.analytics.forecast import (
    _mean_last,
    _prior_weight,
    _size_classes,
    _size_curve,
    seasonal_index,
)
from etl.analytics.panel import Panel

#: facts a month given to a naive reference's exact zero (one fact in about four years)
NAIVE_FLOOR = 0.02
NAIVE_BASELINES: tuple[str, ...] = ("derniers_4", "annee_precedente", "moyenne_12")
SHRUNK = "moyenne_12_bayes"
BASELINES: tuple[str, ...] = (*NAIVE_BASELINES, SHRUNK)
#: months of the shrunk mean's window
WINDOW = 12


def floor_naive(values: np.ndarray) -> np.ndarray:
    """A naive reference's exact zeros (and negatives) set to :data:`NAIVE_FLOOR`; NaN kept."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(values > 0, values, np.where(np.isnan(values), np.nan, NAIVE_FLOOR))


def naive_baselines(h: np.ndarray) -> dict[str, np.ndarray]:
    """The naive references of the month after the history ``h`` ([commune, month, category]),
    zeros floored. ``annee_precedente`` is NaN with less than 12 months."""
    t = h.shape[1]
    return {
        "derniers_4": floor_naive(_mean_last(h, 4)),
        "annee_precedente": floor_naive(h[:, t - 12] if t >= 12
                                        else np.full(h.shape[::2], np.nan)),
        "moyenne_12": floor_naive(_mean_last(h, 12)),
    }


def shrunk_parts(panel: Panel, t: int) -> dict[str, np.ndarray]:
    """The pieces of ``moyenne_12_bayes`` for target month ``t`` ([commune, category] each):
    ``prior`` (facts a month), ``weight`` (``a``, in facts), ``facts`` (last 12 months),
    ``months`` (window length) and ``season`` ([category])."""
    n, _, k = panel.counts.shape
    w = min(t, WINDOW)
    if w == 0:
        raise ValueError("aucun mois avant le mois visé")
    h = panel.counts[:, :t].astype(np.float64)
    facts = h[:, t - w:].sum(axis=1)
    pop = panel.communes["population"].to_numpy(float)
    cls, n_cls = _size_classes(pop)
    dep = panel.codes("departement")
    dep = np.where(dep < 0, dep.max() + 1, dep)
    prior = _size_curve(facts, w, pop, cls, n_cls, dep)
    # a class without a fact of the category in the window: the panel's rate (half a fact
    # added), so that no inhabited commune is predicted exactly 0
    panel_rate = (facts.sum(axis=0) + 0.5) / max(pop.sum() * w, 1.0)
    prior = np.where(prior > 0, prior, pop[:, None] * panel_rate[None, :])
    weight = _prior_weight(facts, prior * w, cls, n_cls)
    return {"prior": prior, "weight": weight, "facts": facts, "months": np.full((n, k), w),
            "season": seasonal_index(h, panel.months, panel.months[0] + t)}


def shrunk_mean_12(panel: Panel, t: int) -> np.ndarray:
    """``moyenne_12_bayes`` of month ``t`` ([commune, category]; see the module docstring)."""
    p = shrunk_parts(panel, t)
    prior, a = p["prior"], p["weight"]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = (p["facts"] + a) / (prior * p["months"] + a)
    return np.where(prior > 0, prior * level, 0.0) * p["season"][None, :]


def baselines(panel: Panel, t: int) -> dict[str, np.ndarray]:
    """Every reference for month ``t`` from the months before it, ``[commune, category]``: the
    naive ones (zeros floored at :data:`NAIVE_FLOOR`) and ``moyenne_12_bayes``."""
    out = naive_baselines(panel.counts[:, :t].astype(np.float64))
    out[SHRUNK] = shrunk_mean_12(panel, t)
    return out

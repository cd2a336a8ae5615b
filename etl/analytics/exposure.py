"""How much recorded facts depend on presence, estimated from the data, and the need corrected.

The feedback loop a presence plan must not feed (Ensign et al. 2018): if recording depends on
presence, a forecast of recorded facts is ``rate × exposure``, and hours in proportion to it
make next week's exposure ∝ rate × this week's — the loop runs away
(``tests/unit/test_feedback_loop.py``: with recording fully driven by presence, shrinkage
toward the prior, the 52-week window and the change cap only slow it). The engine forecasts
victim-reported facts only, which should depend little on presence; but how little is a
question for the data, not an assumption.

**Detection share** (:func:`presence_elasticity`): a Poisson model of the recorded facts of
each commune and period, ``μ_ct = λ_c × ((1 − β) + β × exposure_ct)``, with a rate ``λ_c`` per
commune and its **exposure** — its presence relative to an even split of its brigade's
(``n × share``, 1 at an even share). The commune rates are conditioned out (given a commune's
total, its counts are multinomial over the periods), so ``β`` is learnt from how each commune's
recorded facts move with its own presence over time, not from the fact that presence is larger
where facts are. ``β`` in [0, 1] is the share of the recording that follows presence: 0 when
recording does not follow it (the demo: its presence is drawn independently of its facts), 1
when it follows it fully.

**History**: 36 months (:data:`etl.analytics.inputs.DETECTION_MONTHS`). Once the correction
has steadied presence, what still moves presence is the plan following the facts (a commune's
chance excess of facts raises its hours the next weeks, and its later facts, back to the mean,
meet a larger presence), which pulls the estimate toward 0; a longer history keeps the larger
moves of presence in the data (the simulation: with a year of history the fully
presence-driven loop drifted again after 3 years, with 3 years it holds).

**Correction** (:func:`exposure_divisor`): the forecast is divided by ``(1 − β) + β ×
exposure`` of the current window, which turns a forecast of recorded facts into the facts at
an even presence. With ``β`` = 0 nothing changes. Caveat: a brigade that moves its patrols to
where facts rise *within the same month* (reactive patrols) makes ``β`` look larger than the
detection effect, and a plan that follows the facts makes it look smaller (above); the estimate
is shown on the page and in the audit for that reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

#: exposures are clipped to this range before their log (a commune without presence in a
#: period has exposure 0: it is taken as a tenth of an even share)
EXPOSURE_RANGE = (0.1, 10.0)


def exposure(hours: np.ndarray, brigade: np.ndarray) -> np.ndarray:
    """``n × share``: each commune's hours over the mean hours of its brigade's communes
    (1 when the brigade has no hours), clipped to :data:`EXPOSURE_RANGE`."""
    frame = pd.DataFrame({"b": brigade, "h": np.asarray(hours, dtype=float)})
    mean = frame.groupby("b")["h"].transform("mean").to_numpy()
    out = np.divide(frame["h"].to_numpy(), mean, out=np.ones(len(frame)), where=mean > 0)
    return np.clip(out, *EXPOSURE_RANGE)


def presence_elasticity(facts: np.ndarray, exposures: np.ndarray) -> float:
    """``β`` in [0, 1] from ``facts[c, t]`` (recorded counts) and ``exposures[c, t]`` (see the
    module docstring): the maximum of the conditional log-likelihood
    ``Σ_ct y_ct log m_ct − Σ_c Y_c log Σ_t m_ct``, ``m = (1 − β) + β × exposure``. 0 without
    any variation of exposure within a commune or without facts."""
    y = np.asarray(facts, dtype=float)
    x = np.clip(np.asarray(exposures, dtype=float), *EXPOSURE_RANGE)
    keep = (y.sum(axis=1) > 0) & (np.ptp(x, axis=1) > 1e-9)
    if not keep.any():
        return 0.0
    y, x = y[keep], x[keep]
    totals = y.sum(axis=1)

    def minus_loglik(beta: float) -> float:
        m = (1.0 - beta) + beta * x
        return -float((y * np.log(m)).sum() - (totals * np.log(m.sum(axis=1))).sum())

    best = minimize_scalar(minus_loglik, bounds=(0.0, 1.0), method="bounded",
                           options={"xatol": 1e-4})
    return float(np.clip(best.x, 0.0, 1.0)) if best.success else 0.0


def exposure_divisor(beta: float, exposure_now: np.ndarray) -> np.ndarray:
    """``(1 − β) + β × exposure``: what a forecast of recorded facts is divided by."""
    return (1.0 - beta) + beta * np.asarray(exposure_now, dtype=float)


def detection_share(monthly: pd.DataFrame | None, communes: pd.DataFrame) -> float:
    """``β`` of a territory from its ``monthly`` rows (``code_commune, mois, faits, heures``:
    :attr:`etl.analytics.inputs.Inputs.monthly`) and its ``communes`` (``code, brigade_id``):
    each month's exposure is the commune's hours over the mean of its brigade's communes."""
    if monthly is None or monthly.empty:
        return 0.0
    codes = communes["code"].astype(str)
    months = sorted(pd.to_datetime(monthly["mois"]).unique())
    index = pd.MultiIndex.from_product([codes, months], names=["code_commune", "mois"])
    frame = monthly.assign(code_commune=monthly["code_commune"].astype(str),
                           mois=pd.to_datetime(monthly["mois"])).set_index(
        ["code_commune", "mois"]).reindex(index, fill_value=0).reset_index()
    frame["brigade_id"] = frame["code_commune"].map(
        dict(zip(codes, communes["brigade_id"].astype(str), strict=True)))
    mean = frame.groupby(["brigade_id", "mois"])["heures"].transform("mean").to_numpy(float)
    hours = frame["heures"].to_numpy(float)
    x = np.divide(hours, mean, out=np.ones(len(frame)), where=mean > 0)
    shape = (len(codes), len(months))
    return presence_elasticity(frame["faits"].to_numpy(float).reshape(shape),
                               x.reshape(shape))

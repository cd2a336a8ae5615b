"""The detection share (how much recorded facts follow presence) and the exposure divisor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etl.analytics.exposure import (
    detection_share,
    exposure,
    exposure_divisor,
    presence_elasticity,
)


def _world(d: float, seed: int, communes: int = 60, months: int = 24):
    rng = np.random.default_rng(seed)
    rate = rng.uniform(0.5, 5.0, communes)
    x = np.exp(rng.normal(0.0, 0.5, (communes, months)))
    return rng.poisson(rate[:, None] * ((1 - d) + d * x)), x


@pytest.mark.parametrize("d", [0.0, 0.5, 1.0])
def test_the_detection_share_is_recovered(d):
    estimates = [presence_elasticity(*_world(d, seed)) for seed in range(5)]
    assert np.median(estimates) == pytest.approx(d, abs=0.12)
    assert all(0.0 <= e <= 1.0 for e in estimates)


def test_presence_larger_where_facts_are_is_not_detection():
    """Communes with more facts get more presence, steadily: that is allocation, not
    detection; only the within-commune co-movement counts."""
    rng = np.random.default_rng(3)
    rate = rng.uniform(0.5, 5.0, 80)
    x = np.clip(rate / rate.mean(), 0.1, 10)[:, None] * np.exp(rng.normal(0, 0.3, (80, 24)))
    y = rng.poisson(np.repeat(rate[:, None], 24, axis=1))
    assert presence_elasticity(y, x) < 0.15


def test_no_variation_or_no_facts_means_no_correction():
    assert presence_elasticity(np.ones((3, 5)), np.ones((3, 5))) == 0.0
    assert presence_elasticity(np.zeros((3, 5)), np.random.default_rng(0).uniform(
        0.5, 2, (3, 5))) == 0.0
    assert exposure_divisor(0.0, np.array([0.1, 3.0])).tolist() == [1.0, 1.0]
    assert exposure_divisor(1.0, np.array([0.5, 2.0])).tolist() == [0.5, 2.0]


def test_exposure_is_relative_to_the_brigade_mean_and_clipped():
    hours = np.array([10.0, 30.0, 0.0, 5.0, 0.0])
    brigade = np.array(["A", "A", "A", "B", "C"])
    assert exposure(hours, brigade).tolist() == pytest.approx([0.75, 2.25, 0.1, 1.0, 1.0])


def test_detection_share_of_a_territory_from_its_monthly_rows():
    y, x = _world(1.0, 11, communes=40, months=12)
    months = pd.date_range("2025-12-01", periods=12, freq="MS")
    codes = [f"{i:05d}" for i in range(40)]
    # hours whose brigade mean is 1 per month: the exposure is the hours themselves
    hours = x / x.mean(axis=0, keepdims=True)
    monthly = pd.DataFrame({"code_commune": np.repeat(codes, 12),
                            "mois": np.tile(months, 40), "faits": y.ravel(),
                            "heures": hours.ravel()})
    communes = pd.DataFrame({"code": codes, "brigade_id": "B1"})
    assert detection_share(monthly, communes) > 0.7
    assert detection_share(monthly.iloc[0:0], communes) == 0.0
    assert detection_share(None, communes) == 0.0

"""The backtest's fair references on small synthetic panels: the empirical-Bayes shrunk 12-month
mean reads no month from the target on, stays positive and shrinks a small commune without
history towards its prior; the naive references' zeros are floored; the oracle gap is measured
from the strongest reference; the per-size table and the offset comparison are reported."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from etl.analytics import backtest as bt
from etl.analytics import baselines as bl
from etl.analytics.panel import TARGET_CATEGORIES, Panel

K = len(TARGET_CATEGORIES)


def make_panel(n: int = 120, months: int = 30, seed: int = 0) -> tuple[Panel, np.ndarray]:
    """``n`` communes of four population bands in 3 départements; Poisson counts of a known
    rate (rate per inhabitant × commune level × a winter peak)."""
    rng = np.random.default_rng(seed)
    pop = rng.choice([60, 150, 400, 900, 1_800, 5_000, 20_000], size=n)
    level = rng.gamma(4.0, 1 / 4.0, size=n)
    cat_rate = np.linspace(0.1, 1.0, K) / 1_000
    idx = pd.period_range("2023-01", periods=months, freq="M")
    season = 1 + 0.4 * np.isin(idx.month, (12, 1, 2))
    rate = pop[:, None, None] * level[:, None, None] * season[None, :, None] * cat_rate
    counts = rng.poisson(rate).astype(np.float32)
    communes = pd.DataFrame({
        "code_commune": [f"{35000 + i}" for i in range(n)],
        "departement": [("35", "56", "22")[i % 3] for i in range(n)],
        "brigade_id": [f"B{i % 9}" for i in range(n)],
        "population": pop.astype("int64"),
        "logements": np.round(pop * 0.57),
        "longitude": np.linspace(-2, -1, n), "latitude": np.linspace(47, 48, n),
    })
    return Panel(counts, communes, idx), rate


def test_shrunk_mean_reads_no_month_from_the_target_on():
    panel, _ = make_panel(seed=1)
    t = 20
    before = bl.shrunk_mean_12(panel, t)
    future = panel.counts.copy()
    future[:, t:] = np.random.default_rng(5).poisson(7.0, size=future[:, t:].shape)
    changed = Panel(future, panel.communes, panel.months)
    np.testing.assert_array_equal(before, bl.shrunk_mean_12(changed, t))
    for name, values in bl.baselines(panel, t).items():
        np.testing.assert_array_equal(values, bl.baselines(changed, t)[name], err_msg=name)
    # and the months before ``t`` do count
    past = panel.counts.copy()
    past[:, t - 1] += 3
    assert not np.array_equal(before, bl.shrunk_mean_12(Panel(past, panel.communes,
                                                                panel.months), t))


def test_shrunk_mean_positive_and_shrinks_a_small_commune_towards_its_prior():
    panel, _ = make_panel(seed=2)
    t = 24
    counts = panel.counts.copy()
    small = int(np.argmin(panel.communes["population"]))
    big = int(np.argmax(panel.communes["population"]))
    counts[[small, big], :t] = 0.0  # no fact at all before ``t``
    panel = Panel(counts, panel.communes, panel.months)
    parts = bl.shrunk_parts(panel, t)
    values = bl.shrunk_mean_12(panel, t)
    assert (parts["prior"] > 0).all() and (values > 0).all() and np.isfinite(values).all()
    season = parts["season"]
    # the 12-month mean is 0; the shrunk one stays close to the prior for a small commune…
    small_share = values[small] / (parts["prior"][small] * season)
    assert (small_share > 0.5).all() and (small_share < 1).all()
    # …and moves further towards its own zero for a big one (more facts expected, more evidence)
    big_share = values[big] / (parts["prior"][big] * season)
    assert (big_share < small_share).all()
    # the formula, (facts + m × prior) / (12 + m) with m = a / prior months, × seasonality
    i, k = 7, 3
    a, prior, y = parts["weight"][i, k], parts["prior"][i, k], parts["facts"][i, k]
    m = a / prior
    assert values[i, k] == pytest.approx((y + m * prior) / (12 + m) * season[k])
    assert y == panel.counts[i, t - 12:t, k].sum()


def test_naive_references_floor_their_zeros():
    panel, _ = make_panel(30, 16, seed=3)
    counts = panel.counts.copy()
    counts[0] = 0.0
    counts[1, :, 0] = np.arange(16)
    panel = Panel(counts, panel.communes, panel.months)
    b = bl.baselines(panel, 14)
    for name in bl.NAIVE_BASELINES:
        assert (b[name][0] == bl.NAIVE_FLOOR).all(), name
        assert (b[name] >= bl.NAIVE_FLOOR).all(), name
    assert b["derniers_4"][1, 0] == pytest.approx(np.mean([10, 11, 12, 13]))
    assert b["annee_precedente"][1, 0] == 2
    assert b["moyenne_12"][1, 0] == pytest.approx(np.mean(np.arange(2, 14)))
    assert set(b) == set(bl.BASELINES) == {*bl.NAIVE_BASELINES, "moyenne_12_bayes"}
    # the fallback forecasts of the national run floor them the same way
    from etl.analytics.runs import baseline_next

    for name in bl.NAIVE_BASELINES:
        nxt = baseline_next(counts, name)
        assert (nxt[0] == bl.NAIVE_FLOOR).all() and (nxt >= bl.NAIVE_FLOOR).all()
    rows = np.arange(30) < 10
    np.testing.assert_allclose(
        baseline_next(counts[rows], "moyenne_12_bayes", panel=panel, rows=rows),
        bl.shrunk_mean_12(panel, panel.n_months)[rows])
    with pytest.raises(ValueError):
        baseline_next(counts, "moyenne_12_bayes")
    # the floor is paid as a forecast: one fact on a floored zero costs far less than 27.6
    assert bt.poisson_deviance(np.array([1.0]), np.array([bl.NAIVE_FLOOR]))[0] == \
        pytest.approx(2 * (np.log(1 / bl.NAIVE_FLOOR) - 1 + bl.NAIVE_FLOOR))


@pytest.fixture(scope="module")
def result():
    panel, rate = make_panel(seed=4)
    return bt.backtest(panel, months=6, refit_every=3, oracle=rate, draws=200)


def test_gap_measured_from_the_strongest_reference(result):
    dev = result.deviances()
    assert set(dev) == {"modele", "offset_bayes", *bl.BASELINES, "oracle"}
    strongest = min(bl.BASELINES, key=dev.__getitem__)
    assert result.best_baseline == strongest == "moyenne_12_bayes"
    for name in bl.NAIVE_BASELINES:
        assert dev["moyenne_12_bayes"] < dev[name]
    assert result.oracle_gap_closed == pytest.approx(
        (dev[strongest] - dev["modele"]) / (dev[strongest] - dev["oracle"]))
    # from a weaker reference the same model would look better
    assert bt.gap_closed(dev, "moyenne_12") > result.oracle_gap_closed
    text = result.render()
    assert f"Référence la plus forte (plus faible déviance de Poisson des références) : " \
           f"{strongest}" in text
    assert f"Part de l'écart entre {strongest} (la référence la plus forte) et l'oracle" in text
    assert "prédire 0 partout" in text and "EAM" in text
    summary = result.summary()
    assert summary["reference_ecart_oracle"] == strongest
    assert summary["plancher_references_naives"] == bl.NAIVE_FLOOR


def test_offset_and_new_methods_in_the_table_and_json(result):
    records = json.loads(result.to_json())
    assert all(set(r) == {"categorie", "methode", "deviance_poisson", "mae"} for r in records)
    methods = {r["methode"] for r in records}
    assert methods == {"modele", "offset_bayes", "derniers_4", "annee_precedente", "moyenne_12",
                       "moyenne_12_bayes", "oracle"}
    assert len([r for r in records if r["categorie"] == "ensemble"]) == 7
    assert "offset_bayes" in result.predictions.columns
    assert (result.predictions["moyenne_12_bayes"] > 0).all()
    lo, hi = result.bootstrap_offset
    assert lo <= hi and result.trees_help == (hi < 0)
    assert "Modèle contre son décalage bayésien seul (offset_bayes)" in result.render()
    # no brigade falls back to the model's own offset
    assert "offset_bayes" not in set(result.by_brigade["methode_retenue"])


def test_size_class_table_and_summaries(result):
    size = result.by_size
    assert list(size.columns) == ["classe_taille", "communes", "methode", "deviance_poisson",
                                  "mae"]
    labels = [label for _, label in bt.SIZE_BANDS]
    assert list(dict.fromkeys(size["classe_taille"])) == labels
    per_class = size.drop_duplicates("classe_taille").set_index("classe_taille")["communes"]
    assert per_class.sum() == result.communes
    assert bt.size_band(np.array([0, 499, 500, 1_999, 2_000, 9_999, 10_000])).tolist() == [
        0, 0, 1, 1, 2, 2, 3]
    # the classes' deviances, weighted by their communes, give the overall one
    model = size[size["methode"] == "modele"].set_index("classe_taille")
    assert (model["deviance_poisson"] * model["communes"]).sum() / result.communes == \
        pytest.approx(result.overall("modele"))
    text = result.render()
    assert "Déviance de Poisson moyenne par taille de commune" in text
    assert all(label in text for label in labels)
    assert "Calibration par décile" in text and len(result.calibration) == 10
    from etl.analytics.runs import backtest_summary

    stored = backtest_summary(result)
    json.dumps(stored, default=str)
    assert set(stored["deviance_par_taille"]) == set(labels)
    assert stored["reference_ecart_oracle"] == result.best_baseline
    assert stored["deviance_offset_bayes"] == pytest.approx(result.overall("offset_bayes"))
    assert stored["arbres_utiles"] == result.trees_help

"""The monthly forecast and its backtest on small synthetic panels: no look-ahead, baselines and
metrics checked by hand, enforcement categories kept out, deterministic results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from etl.analytics import backtest as bt
from etl.analytics import baselines as bl
from etl.analytics import forecast as fc
from etl.analytics.panel import ENFORCEMENT_CATEGORIES, TARGET_CATEGORIES, Panel
from etl.sources.categories import CATEGORIES

K = len(TARGET_CATEGORIES)


def make_panel(n: int = 24, months: int = 24, seed: int = 0,
               counts: np.ndarray | None = None) -> tuple[Panel, np.ndarray]:
    """``n`` communes in 2 départements of 3 brigades each, Poisson counts of a known rate
    (commune level × category level × a winter peak); returns the panel and the true rates."""
    rng = np.random.default_rng(seed)
    pop = rng.choice([80, 300, 1_200, 4_000, 15_000], size=n)
    level = rng.gamma(3.0, 1 / 3.0, size=n)
    cat_rate = np.linspace(0.2, 2.0, K) / 1_000  # facts per inhabitant and month
    idx = pd.period_range("2023-01", periods=months, freq="M")
    season = 1 + 0.3 * np.isin(idx.month, (12, 1, 2))
    rate = pop[:, None, None] * level[:, None, None] * season[None, :, None] * cat_rate
    if counts is None:
        counts = rng.poisson(rate).astype(np.float32)
    communes = pd.DataFrame({
        "code_commune": [f"{35000 + i}" for i in range(n)],
        "departement": ["35" if i < n // 2 else "56" for i in range(n)],
        "brigade_id": [f"B{i % 6}" for i in range(n)],
        "population": pop.astype("int64"),
        "logements": np.round(pop * 0.57),
        "longitude": np.linspace(-2, -1, n), "latitude": np.linspace(47, 48, n),
    })
    return Panel(counts, communes, idx), rate


def test_enforcement_categories_are_never_target_nor_feature():
    assert set(ENFORCEMENT_CATEGORIES) == {"trafic_stupefiants", "usage_stupefiants"}
    assert not set(TARGET_CATEGORIES) & set(ENFORCEMENT_CATEGORIES)
    assert set(TARGET_CATEGORIES) | set(ENFORCEMENT_CATEGORIES) == set(CATEGORIES)
    assert not any("stupefiant" in name for name in fc.FEATURES)
    assert set(fc.FAMILIES) == set(TARGET_CATEGORIES)
    panel, _ = make_panel(4, 13)
    with pytest.raises(ValueError):
        Panel(np.zeros((4, 13, K + 1), np.float32), panel.communes, panel.months,
              (*TARGET_CATEGORIES, "usage_stupefiants"))


def test_features_never_look_ahead():
    panel, _ = make_panel(30, 30, seed=1)
    t = 20
    before = fc.month_features(panel, t)
    future = panel.counts.copy()
    future[:, t:] = np.random.default_rng(9).poisson(5.0, size=future[:, t:].shape)
    changed = Panel(future, panel.communes, panel.months)
    pd.testing.assert_frame_equal(before, fc.month_features(changed, t))
    # nor does the model: trained before ``t``, it forecasts ``t`` the same
    a = fc.forecast(panel, fc.fit_forecaster(panel, t), t)
    b = fc.forecast(changed, fc.fit_forecaster(changed, t), t)
    np.testing.assert_array_equal(a, b)


def test_simple_features_by_hand():
    counts = np.zeros((3, 26, K), np.float32)
    counts[0, :, 0] = np.arange(26)  # commune 0, first category: 0, 1, 2, ...
    counts[1, :, 0] = 2.0
    panel, _ = make_panel(3, 26, counts=counts)
    panel.communes["brigade_id"] = ["B1", "B1", "B2"]
    panel.communes["population"] = [1_000, 3_000, 500]
    f = fc.month_features(panel, 25).iloc[0]  # commune 0, first category, target month 25
    assert f["dernier_mois"] == 24
    assert f["moyenne_3"] == pytest.approx(23)
    assert f["moyenne_12"] == pytest.approx(np.mean(np.arange(13, 25)))
    assert f["meme_mois_an_dernier"] == 13
    assert f["moyenne_24"] == pytest.approx(np.mean(np.arange(1, 25)))
    assert f["moyenne_historique"] == pytest.approx(12)
    assert f["mois_historique"] == 25
    assert f["mois_annee"] == (panel.months[0] + 25).month
    assert f["categorie"] == 0
    # the other commune of its brigade: 2 facts a month for 3,000 inhabitants
    assert f["taux_brigade"] == pytest.approx(2 / 3_000 * 1_000)
    alone = fc.month_features(panel, 25).iloc[2 * K]
    assert np.isnan(alone["taux_brigade"])


def test_seasonal_index_by_hand():
    counts = np.full((1, 24, K), 100.0, np.float32)
    idx = pd.period_range("2023-01", periods=24, freq="M")
    counts[0, idx.month == 1] = 200.0
    si = fc.seasonal_index(counts.astype(float), idx, pd.Period("2025-01", "M"))
    expected = (400 + fc.SEASON_PSEUDO) / (2 * (11 * 100 + 200) / 12 + fc.SEASON_PSEUDO)
    assert si == pytest.approx(np.full(K, expected))
    assert fc.seasonal_index(counts[:, :11].astype(float), idx, idx[11]) == pytest.approx(1.0)


def test_baselines_by_hand():
    counts = np.zeros((2, 16, K), np.float32)
    counts[0, :, 0] = np.arange(16)
    panel, _ = make_panel(2, 16, counts=counts)
    b = bl.baselines(panel, 14)
    assert b["derniers_4"][0, 0] == pytest.approx(np.mean([10, 11, 12, 13]))
    assert b["annee_precedente"][0, 0] == 2
    assert b["moyenne_12"][0, 0] == pytest.approx(np.mean(np.arange(2, 14)))
    # a commune without a fact: the naive references' zeros are floored
    assert (b["moyenne_12"][1] == bl.NAIVE_FLOOR).all()


def test_poisson_deviance_and_mae_formulas():
    y = np.array([0.0, 1.0, 2.0, 1.0])
    mu = np.array([0.5, 1.0, 4.0, 0.0])
    d = bt.poisson_deviance(y, mu)
    assert d[0] == pytest.approx(1.0)
    assert d[1] == pytest.approx(0.0)
    assert d[2] == pytest.approx(2 * (2 * np.log(0.5) + 2))
    # a zero prediction is clipped to 1e-6
    assert d[3] == pytest.approx(2 * (np.log(1 / bt.EPS) - 1 + bt.EPS))
    assert bt.absolute_error(y, mu).tolist() == [0.5, 0.0, 2.0, 1.0]
    from sklearn.metrics import mean_poisson_deviance

    assert d[:3].mean() == pytest.approx(mean_poisson_deviance(y[:3], mu[:3]))


def test_bootstrap_and_calibration():
    lo, hi = bt.bootstrap_interval(np.full(50, -0.2), draws=200)
    assert lo == pytest.approx(-0.2) and hi == pytest.approx(-0.2)
    lo, hi = bt.bootstrap_interval(np.r_[np.full(50, -1.0), np.full(50, 1.0)], draws=500)
    assert lo < 0 < hi
    cal = bt.calibration_by_decile(np.arange(100.0), np.arange(100.0) + 1)
    assert cal["decile"].tolist() == list(range(1, 11))
    assert (cal["cellules"] == 10).all()
    assert cal["observe_moyen"].iloc[0] == pytest.approx(5.5)


def test_forecast_next_frame():
    panel, _ = make_panel(12, 20, seed=2)
    out = fc.forecast_next(panel)
    assert list(out.columns) == ["code_commune", "categorie", "mois", "attendu"]
    assert len(out) == 12 * K
    assert (out["mois"] == pd.Timestamp("2024-09-01")).all()
    assert set(out["categorie"]) == set(TARGET_CATEGORIES)
    assert (out["attendu"] >= 0).all() and np.isfinite(out["attendu"]).all()


def test_backtest_result_and_determinism():
    panel, rate = make_panel(36, 24, seed=3)
    a = bt.backtest(panel, months=6, refit_every=3, oracle=rate, draws=200)
    b = bt.backtest(panel, months=6, refit_every=3, oracle=rate, draws=200)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.bootstrap == b.bootstrap
    assert list(a.table.columns) == ["categorie", "methode", "deviance_poisson", "mae"]
    assert set(a.table["methode"]) == {"modele", "offset_bayes", "derniers_4",
                                       "annee_precedente", "moyenne_12", "moyenne_12_bayes",
                                       "oracle"}
    assert set(a.table["categorie"]) == {"ensemble", *TARGET_CATEGORIES}
    assert len(a.fit_seconds) == 2 and a.months[0] == "2024-07"
    records = json.loads(a.to_json())
    assert all(set(r) == {"categorie", "methode", "deviance_poisson", "mae"} for r in records)
    assert list(a.predictions.columns) == [
        "code_commune", "brigade_id", "mois", "categorie", "observe", "modele",
        "offset_bayes", "derniers_4", "annee_precedente", "moyenne_12", "moyenne_12_bayes",
        "oracle"]
    assert len(a.predictions) == 36 * 6 * K
    assert set(a.by_brigade.columns) >= {"brigade_id", "methode_retenue", "deviance_modele",
                                         "deviance_meilleure_reference", "repli"}
    fall = a.by_brigade[a.by_brigade["repli"]]
    assert (fall["methode_retenue"] != "modele").all()
    assert (a.by_brigade.loc[~a.by_brigade["repli"], "methode_retenue"] == "modele").all()
    # the overall deviance is the mean of the cells' deviances
    cells = a.predictions
    assert a.overall("modele") == pytest.approx(
        bt.poisson_deviance(cells["observe"], cells["modele"]).mean())
    text = a.render()
    assert "intervalle bootstrap à 95 %" in text
    assert "oracle comblée" in text and "Brigades où le modèle perd" in text
    assert a.summary()["meilleure_reference"] == a.best_baseline


def test_backtest_needs_history():
    panel, _ = make_panel(6, 20)
    with pytest.raises(ValueError, match="historique insuffisant"):
        bt.backtest(panel, months=12)


def test_demo_oracle_rebuilds_the_generator_expectation():
    from datetime import date

    from etl.analytics import oracle
    from etl.demo import crime
    from etl.demo.context import Territory, demo_period

    class Recorder:  # stands for the generator's random stream: records each month's mean
        def __init__(self):
            self.means = []

        def poisson(self, mu):
            self.means.append(np.array(mu))
            return np.zeros(np.shape(mu), dtype=np.int64)

    codes = ["01001", "01002", "01004"]
    territory = Territory(pd.DataFrame({"code": codes}), pd.DataFrame(), pd.DataFrame())
    period = demo_period(date(2026, 11, 15), 2)
    lam = np.random.default_rng(4).gamma(2.0, 3.0, size=(3, len(crime.CATEGORY_CODES)))
    extra = {(1, 5): 4, (2, 20): 7}
    rec = Recorder()
    crime.draw_facts(territory, period, lam, extra, rec)
    rates, sprees = crime.oracle_frames(territory, period, lam, extra)
    assert sprees["cambriolages_serie"].sum() == 11
    full = oracle.oracle_expected(rates, sprees, codes, period.months, crime.CATEGORY_CODES)
    k = crime.CATEGORY_CODES.index("cambriolages_logement")
    full[1, 5, k] -= 4
    full[2, 20, k] -= 7
    np.testing.assert_allclose(full, np.stack(rec.means, axis=1), rtol=1e-12)
    # and only the target categories for the panel, in its order
    part = oracle.oracle_expected(rates, sprees, codes, period.months[:3], TARGET_CATEGORIES)
    assert part.shape == (3, 3, K)


def test_load_panel_dense_gendarmerie_zone_only():
    import duckdb

    from etl.analytics.panel import load_oracle, load_panel

    con = duckdb.connect()
    con.execute("CREATE TABLE communes (code VARCHAR, departement VARCHAR, population BIGINT, "
                "zone VARCHAR, brigade_id VARCHAR, longitude DOUBLE, latitude DOUBLE)")
    con.execute("CREATE TABLE facts_monthly (code_commune VARCHAR, mois DATE, "
                "categorie VARCHAR, nombre BIGINT)")
    con.execute("CREATE TABLE crime_annual (code_commune VARCHAR, annee INTEGER, "
                "insee_log DOUBLE)")
    con.executemany("INSERT INTO communes VALUES (?, ?, ?, ?, ?, -1.5, 48.0)", [
        ("35001", "35", 1_000, "ZGN", "B1"), ("35002", "35", 500, "ZGN", "B1"),
        ("35238", "35", 200_000, "ZPN", None), ("56001", "56", 800, "ZGN", "B2")])
    con.executemany("INSERT INTO facts_monthly VALUES (?, ?::DATE, ?, ?)", [
        ("35001", "2025-01-01", "cambriolages_logement", 2),
        ("35001", "2025-03-01", "usage_stupefiants", 9),
        ("35238", "2025-02-01", "cambriolages_logement", 40),
        ("56001", "2025-02-01", "escroqueries", 1)])
    con.execute("INSERT INTO crime_annual VALUES ('35002', 2024, 250), ('35002', 2023, 240)")
    panel = load_panel(con)
    assert panel.communes["code_commune"].tolist() == ["35001", "35002", "56001"]
    assert [str(m) for m in panel.months] == ["2025-01", "2025-02", "2025-03"]
    assert panel.counts.shape == (3, 3, K) and panel.counts.sum() == 3
    assert panel.counts[0, 0, TARGET_CATEGORIES.index("cambriolages_logement")] == 2
    assert panel.communes["logements"].tolist() == [570, 250, 456]
    only35 = load_panel(con, "35")
    assert only35.communes["code_commune"].tolist() == ["35001", "35002"]
    assert load_panel(con, brigade_ids=["B2"]).counts.sum() == 1
    assert load_oracle(con, panel) is None  # no demo oracle in this warehouse

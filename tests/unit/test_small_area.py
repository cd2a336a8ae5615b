"""Small-area rates (etl.analytics.small_area): the Poisson-gamma shrinkage on small frames."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.analytics import small_area as sa
from etl.analytics.rates_command import run_rates


def _communes(seed: int = 1, n: int = 200, alpha: float = 8.0):
    """Communes whose true rates are gamma draws (mean 5 per 1,000) and counts Poisson."""
    rng = np.random.default_rng(seed)
    pop = np.round(np.exp(rng.uniform(np.log(80), np.log(20_000), n)))
    theta = rng.gamma(alpha, 5e-3 / alpha, n)
    y = rng.poisson(theta * pop)
    return y, pop, theta * 1000


def test_shrinks_toward_the_prior_and_beats_raw_rates():
    y, pop, truth = _communes()
    rates, prior = sa.smooth_rates(y, pop, prior="departement")
    assert not prior.vague
    raw_mse = np.mean((rates["taux_brut"] - truth) ** 2)
    smooth_mse = np.mean((rates["taux_lisse"] - truth) ** 2)
    assert smooth_mse < 0.5 * raw_mse
    # the smoothed rate lies between the raw rate and the prior mean
    mean = prior.mean * 1000
    low = np.minimum(rates["taux_brut"], mean)
    high = np.maximum(rates["taux_brut"], mean)
    assert ((rates["taux_lisse"] >= low - 1e-9) & (rates["taux_lisse"] <= high + 1e-9)).all()
    # a small commune moves more than a large one
    assert (rates["taux_bas"] <= rates["taux_lisse"]).all()
    assert (rates["taux_lisse"] <= rates["taux_haut"]).all()
    coverage = np.mean((truth >= rates["taux_bas"]) & (truth <= rates["taux_haut"]))
    assert coverage >= 0.8


def test_the_fitted_shape_follows_the_spread_between_communes_up_to_its_bound():
    y, pop, _ = _communes(alpha=2.0, n=600)
    _, wide = sa.smooth_rates(y, pop, prior="departement")
    y, pop, _ = _communes(alpha=60.0, n=600)
    _, narrow = sa.smooth_rates(y, pop, prior="departement")
    assert wide.alpha < 5 < narrow.alpha
    assert narrow.alpha == pytest.approx(sa.ALPHA_BOUNDS[1])


def test_a_covariate_that_predicts_is_used_one_that_does_not_is_ignored():
    rng = np.random.default_rng(3)
    n = 400
    pop = np.round(np.exp(rng.uniform(np.log(100), np.log(10_000), n)))
    level = rng.gamma(4.0, 0.25, n)  # a commune's persistent level, mean 1
    history = rng.poisson(level * pop * 0.01)  # two years before, same level
    noise = rng.poisson(pop * 0.005)  # unrelated
    y = rng.poisson(level * pop * 0.005)
    rates, prior = sa.smooth_rates(y, pop, historique=history, famille=noise)
    assert prior.coefficients["niveau_historique"] > 0.3
    assert abs(prior.coefficients["niveau_famille"]) < 0.2
    plain, _ = sa.smooth_rates(y, pop, prior="departement")
    truth = level * 5.0
    assert np.mean((rates["taux_lisse"] - truth) ** 2) < np.mean((plain["taux_lisse"] - truth) ** 2)


def test_zero_or_unknown_denominators_have_no_rate_and_do_not_stop_the_others():
    y, pop, _ = _communes(n=50)
    pop = pop.astype(float)
    pop[[0, 1]] = [0.0, np.nan]
    y[0] = 3
    rates, _ = sa.smooth_rates(y, pop)
    assert rates.loc[[0, 1], list(sa.RATE_COLUMNS)].isna().all().all()
    assert rates.loc[[0, 1], "incertain"].isna().all()
    assert rates.loc[2:, "taux_lisse"].notna().all()


def test_no_fact_at_all_gives_small_rates_with_an_interval_from_zero():
    rates, prior = sa.smooth_rates(np.zeros(30), np.full(30, 1000.0))
    assert prior.vague
    assert (rates["taux_brut"] == 0).all()
    assert (rates["taux_lisse"] > 0).all() and (rates["taux_bas"] < 1e-3).all()
    assert np.isfinite(rates["taux_haut"]).all()


def test_a_single_commune_keeps_an_honest_interval():
    rates, prior = sa.smooth_rates([7], [152.0])
    assert prior.vague
    row = rates.iloc[0]
    assert row["taux_brut"] == pytest.approx(7 / 152 * 1000)
    # close to the exact Poisson interval of 7 facts (3.3 to 13.1 facts at 90 %)
    assert 15 < row["taux_bas"] < 25 and 75 < row["taux_haut"] < 95
    assert bool(row["incertain"])


def test_empty_input_and_unknown_prior():
    rates, _ = sa.smooth_rates([], [])
    assert rates.empty and list(rates.columns) == [*sa.RATE_COLUMNS, "incertain"]
    with pytest.raises(ValueError, match="a priori inconnu"):
        sa.smooth_rates([1], [10.0], prior="voisins")


def test_size_prior_uses_the_population():
    y, pop, _ = _communes(n=120)
    rates, prior = sa.smooth_rates(y, pop, prior="taille", population=pop)
    assert "log_population" in prior.coefficients
    assert rates["taux_lisse"].notna().all()


def test_uncertain_means_an_interval_wider_than_the_estimate():
    rates, _ = sa.smooth_rates([0, 1, 400], [100.0, 300.0, 80_000.0], prior="departement")
    width = rates["taux_haut"] - rates["taux_bas"]
    assert (rates["incertain"] == (width > rates["taux_lisse"])).all()
    assert not bool(rates["incertain"].iloc[2])
    assert sa.uncertain_text(True) == "estimation incertaine"
    assert sa.uncertain_text(pd.NA) == sa.uncertain_text(False) == ""


def test_families_are_the_forecasts():
    from etl.analytics.forecast import FAMILIES

    assert sa.FAMILIES is FAMILIES  # one definition: etl.sources.categories
    assert "cambriolages_logement" not in sa.family_of("cambriolages_logement")
    assert "vols_vehicules" in sa.family_of("cambriolages_logement")
    assert sa.family_of("trafic_stupefiants") == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.floats(0, 50_000, allow_nan=False)),
                min_size=0, max_size=25),
       st.sampled_from(sa.PRIORS))
def test_any_input_gives_ordered_finite_rates_where_there_is_a_denominator(rows, prior):
    y = [r[0] for r in rows]
    n = [r[1] for r in rows]
    rates, _ = sa.smooth_rates(y, n, prior=prior, population=n, historique=y, famille=y)
    assert len(rates) == len(rows)
    has = np.array(n) >= sa.MIN_DENOMINATOR if rows else np.array([], dtype=bool)
    got = rates[has]
    assert np.isfinite(got[list(sa.RATE_COLUMNS)].to_numpy(float)).all()
    assert (got["taux_bas"] <= got["taux_lisse"] + 1e-9).all()
    assert (got["taux_lisse"] <= got["taux_haut"] + 1e-9).all()
    assert (got["taux_bas"] >= 0).all()
    assert rates[~has][list(sa.RATE_COLUMNS)].isna().all().all()


def test_audit_scores_raw_and_smoothed_rates():
    rates = pd.DataFrame({"taux_brut": [10.0, 0.0, 5.0, 1.0], "taux_lisse": [6.0, 2.0, 5.0, 1.5],
                          "taux_bas": [3.0, 1.0, 4.0, 0.5], "taux_haut": [9.0, 4.0, 6.0, 2.0]})
    truth = pd.Series([6.0, 2.0, 7.0, 1.0])
    a = sa.audit(rates, truth, top=1, top_share=0.25)
    assert a["communes"] == 4
    assert a["mse_brut"] == pytest.approx((16 + 4 + 4 + 0) / 4)
    assert a["mse_lisse"] == pytest.approx((0 + 0 + 4 + 0.25) / 4)
    assert a["tete_brut"] == 0.0 and a["tete_lisse"] == 0.0  # the truth's top is commune 2
    assert a["couverture"] == 0.75


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE communes (code VARCHAR, nom VARCHAR, departement VARCHAR, "
                "population BIGINT)")
    con.execute("INSERT INTO communes VALUES ('35001', 'Acigné', '35', 6000), "
                "('35002', 'Amanlis', '35', 1700), ('35003', 'Andouillé', '35', 0), "
                "('22001', 'Autre', '22', 500)")
    con.execute("CREATE TABLE facts_monthly (code_commune VARCHAR, mois DATE, categorie VARCHAR, "
                "nombre INTEGER)")
    con.execute("INSERT INTO facts_monthly VALUES "
                "('35001', '2026-10-01', 'cambriolages_logement', 3), "
                "('35001', '2024-12-01', 'cambriolages_logement', 2), "
                "('35001', '2023-10-01', 'cambriolages_logement', 9), "
                "('35002', '2026-01-01', 'vols_vehicules', 4), "
                "('22001', '2026-10-01', 'cambriolages_logement', 5)")
    con.execute("CREATE TABLE crime_annual (code_commune VARCHAR, annee INTEGER, "
                "insee_log DOUBLE)")
    con.execute("INSERT INTO crime_annual VALUES ('35001', 2024, 2900), ('35001', 2025, 3000), "
                "('35002', 2025, 900), ('35003', 2025, 0)")
    return con


def test_read_inputs_window_history_family_and_dwellings():
    frame, info = sa.read_inputs(_warehouse(), "35", "cambriolages_logement")
    assert info["debut"] == "2025-11" and info["fin"] == "2026-10"
    assert info["denominateur"] == "logements" and info["mois_historique"] == 24
    row = frame.set_index("commune").loc["35001"]
    assert (row["nombre"], row["historique"], row["denominateur"]) == (3, 2, 3000)
    assert frame.set_index("commune").loc["35002", "famille"] == 4
    assert list(frame["commune"]) == ["35001", "35002", "35003"]
    table, _ = sa.rates_table(frame)
    assert list(table.columns) == ["commune", "nom", "denominateur", "nombre", *sa.RATE_COLUMNS,
                                   "incertain"]
    assert table.set_index("commune").loc["35003", list(sa.RATE_COLUMNS)].isna().all()
    records = json.loads(sa.rates_text(table, "json"))
    assert records[2]["taux_lisse"] is None and records[0]["incertain"] in (True, False)
    assert sa.rates_text(table, "csv").splitlines()[0] == (
        "commune;nom;denominateur;nombre;taux_brut;taux_lisse;taux_bas;taux_haut;incertain")


@pytest.mark.parametrize(("dep", "cat", "month", "message"), [
    ("99", "cambriolages_logement", None, "département inconnu"),
    ("35", "foo", None, "catégorie inconnue"),
    ("35", "cambriolages_logement", "2026-13", "mois invalide"),
    ("35", "cambriolages_logement", "2031-01", "mois hors des faits"),
])
def test_read_inputs_refuses_in_french(dep, cat, month, message):
    with pytest.raises(sa.RateInputError, match=message):
        sa.read_inputs(_warehouse(), dep, cat, month)


def test_population_denominator_when_a_dwelling_count_is_missing():
    con = _warehouse()
    con.execute("DELETE FROM crime_annual WHERE code_commune = '35002'")
    frame, info = sa.read_inputs(con, "35", "cambriolages_logement", "2026-10")
    assert info["denominateur"] == "habitants"
    assert frame.set_index("commune").loc["35001", "denominateur"] == 6000


def test_command_line_errors_exit_2_without_traceback(tmp_path, capsys):
    from etl.cli import main

    path = tmp_path / "warehouse.duckdb"
    con = _warehouse()
    con.execute(f"ATTACH '{path}' AS w")
    con.execute("CREATE TABLE w.communes AS SELECT * FROM communes")
    con.execute("CREATE TABLE w.facts_monthly AS SELECT * FROM facts_monthly")
    con.execute("CREATE TABLE w.crime_annual AS SELECT * FROM crime_annual")
    con.close()
    code = run_rates(path, "35", "foo", None)
    assert code == 2 and "Erreur : catégorie inconnue" in capsys.readouterr().err
    assert run_rates(tmp_path / "absent.duckdb", "35", "foo", None) == 2
    assert run_rates(path, "35", "cambriolages_logement", None, fmt="json") == 0
    out = capsys.readouterr()
    assert json.loads(out.out)[0]["commune"] == "35001"
    assert "taux pour 1 000 logements" in out.err
    assert callable(main)

"""The national recommendation run written by `build --demo`: its tables hold what they say."""

from __future__ import annotations

import json
import time

import pytest

from etl import cli
from etl.analytics.inputs import Territory, load_inputs
from etl.analytics.panel import ENFORCEMENT_CATEGORIES
from etl.warehouse import parts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def con(national_demo):
    c = parts.connect(str(national_demo))
    yield c
    c.close()


def q(con, sql: str, params=None):
    return con.execute(sql, params or []).df()


def test_run_recorded_with_its_backtest_summary(con):
    runs = q(con, "SELECT * FROM reco_runs")
    assert len(runs) == 1
    summary = json.loads(runs["resume"].iloc[0])
    lo, hi = summary["bootstrap_95"]
    assert lo <= hi < 0  # the model beats the best baseline, significantly
    # from the strongest reference, the empirical-Bayes shrunk 12-month mean (45 % nationally)
    assert summary["reference_ecart_oracle"] == "moyenne_12_bayes"
    assert summary["part_ecart_oracle_comblee"] >= 0.3
    overall = q(con, "SELECT methode, deviance_poisson FROM reco_backtest "
                "WHERE categorie = 'ensemble'").set_index("methode")["deviance_poisson"]
    assert set(overall.index) == {"modele", "offset_bayes", "derniers_4", "annee_precedente",
                                  "moyenne_12", "moyenne_12_bayes", "oracle"}
    assert overall["modele"] < overall.drop(["modele", "offset_bayes", "oracle"]).min()
    # the model beside its empirical-Bayes offset alone: stored, whichever wins
    assert summary["deviance_offset_bayes"] == pytest.approx(overall["offset_bayes"])
    assert set(summary["deviance_par_taille"]) >= {"moins de 500 hab.", "500 à 1 999 hab."}


def test_forecasts_never_hold_enforcement_categories_and_follow_fallbacks(con):
    cats = set(q(con, "SELECT DISTINCT categorie FROM reco_forecasts")["categorie"])
    assert cats and not cats & set(ENFORCEMENT_CATEGORIES)
    mismatch = q(con, """
        SELECT count(*) AS n
        FROM reco_forecasts f JOIN reco_backtest_brigades b USING (brigade_id)
        WHERE (b.repli AND f.methode <> b.methode_retenue)
           OR (NOT b.repli AND f.methode <> 'modele')
    """)["n"].iloc[0]
    assert mismatch == 0


def test_every_plan_respects_capacity_and_minimum(con):
    per_brigade = q(con, """
        SELECT brigade_id, sum(heures_recommandees) AS h, max(capacite_brigade) AS cap
        FROM reco_plans GROUP BY brigade_id""")
    assert len(per_brigade) == q(con, "SELECT count(DISTINCT brigade_id) AS n FROM communes "
                                 "WHERE zone = 'ZGN'")["n"].iloc[0]
    assert (per_brigade["h"] <= per_brigade["cap"] + 1e-6).all()
    visits = q(con, "SELECT code_commune, sum(visites) AS v FROM reco_plans GROUP BY ALL")
    assert (visits["v"] >= 2).mean() > 0.999  # all but brigades without a plan
    explained = q(con, "SELECT explication FROM reco_communes")["explication"]
    assert explained.str.match(r"^[+−±]").all()


def test_audit_for_france_and_every_departement(con):
    audit = q(con, "SELECT perimetre, indicateur, valeur FROM reco_audit")
    france = audit[audit["perimetre"] == "France"].set_index("indicateur")["valeur"]
    for key in ("gini_heures_par_habitant", "distance_population_pct",
                "distance_demande_pct", "rejeu_capture_plan", "rejeu_capture_population"):
        assert key in france.index
    assert france["rejeu_capture_plan"] > 1.0  # hours where the facts were, more than uniform
    assert audit["perimetre"].nunique() > 90


def test_plan_reads_the_stored_forecast_quickly(con, national_demo, monkeypatch, capsys):
    t = time.perf_counter()
    inputs = load_inputs(con, Territory(departement="35"))
    assert inputs.forecast_source == "entrepot"
    assert time.perf_counter() - t < 30  # generous: no model fitted on the spot
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(national_demo.parent))
    assert cli.main(["recommend", "plan", "--departement", "35", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["creneau"] for r in records} == {"semaine_jour", "semaine_soiree", "semaine_nuit",
                                               "weekend_jour", "weekend_soiree", "weekend_nuit"}
    assert len({r["brigade_id"] for r in records}) > 10

"""Warehouse tables of the national recommendation run (``python -m etl recommend build``)."""

from __future__ import annotations

from etl.warehouse.tables import Column as C
from etl.warehouse.tables import Table

SOURCE = "recommendation run (etl.analytics, `python -m etl recommend build`)"

RECO_RUNS = Table(
    "reco_runs", "Recommendation runs: when, for which week, with which parameters.", SOURCE,
    (C("run_id", "VARCHAR", "Run id", False), C("cree_le", "TIMESTAMP", "When (UTC)", False),
     C("semaine", "VARCHAR", "Planned ISO week (YYYY-Www)", False),
     C("mois_prevu", "DATE", "Month of the forecast"),
     C("parametres", "VARCHAR", "Parameters (JSON)", False),
     C("resume", "VARCHAR", "Backtest summary (JSON): strongest baseline, bootstrap interval, "
       "share of the oracle gap closed from the strongest baseline, the model against its "
       "empirical-Bayes offset alone, deviance per commune-size class, brigades falling back",
       False)),
    primary_key=("run_id",),
)
RECO_FORECASTS = Table(
    "reco_forecasts", "Forecast of next month's victim-reported facts per commune and category "
    "(the model, or the best baseline where the model lost the brigade's backtest).", SOURCE,
    (C("run_id", "VARCHAR", "Run", False), C("code_commune", "VARCHAR", "Commune", False),
     C("brigade_id", "VARCHAR", "Brigade", False), C("categorie", "VARCHAR", "Category", False),
     C("mois", "DATE", "Forecast month", False),
     C("attendu", "DOUBLE", "Expected facts in the month", False),
     C("methode", "VARCHAR", "'modele' or the baseline used instead", False)),
    order_by=("code_commune", "categorie"),
)
RECO_BACKTEST = Table(
    "reco_backtest", "Rolling-origin backtest of the forecast against its baselines (naive "
    "ones with zeros floored at 0.02 facts a month, and the empirical-Bayes shrunk 12-month "
    "mean) and its own offset.", SOURCE,
    (C("run_id", "VARCHAR", "Run", False), C("categorie", "VARCHAR", "Category or 'ensemble'",
                                              False),
     C("methode", "VARCHAR", "modele, offset_bayes (the model's empirical-Bayes offset without "
       "the trees), derniers_4, annee_precedente, moyenne_12, moyenne_12_bayes (12-month mean "
       "shrunk towards its population class's rate × seasonality), oracle (demo only)", False),
     C("deviance_poisson", "DOUBLE", "Mean Poisson deviance", False),
     C("mae", "DOUBLE", "Mean absolute error", False)),
)
RECO_BACKTEST_BRIGADES = Table(
    "reco_backtest_brigades", "Backtest per brigade: the model, or the baseline it falls back "
    "to where it loses.", SOURCE,
    (C("run_id", "VARCHAR", "Run", False), C("brigade_id", "VARCHAR", "Brigade", False),
     C("methode_retenue", "VARCHAR", "Method used for the brigade's forecast", False),
     C("deviance_modele", "DOUBLE", "Model's mean Poisson deviance"),
     C("deviance_meilleure_reference", "DOUBLE", "Brigade's best baseline's mean Poisson "
       "deviance"),
     C("repli", "BOOLEAN", "True where the model lost and the baseline is used", False)),
)
RECO_PLANS = Table(
    "reco_plans", "Recommended weekly plan per commune and slot (default parameters).", SOURCE,
    (C("run_id", "VARCHAR", "Run", False), C("semaine", "VARCHAR", "ISO week", False),
     C("brigade_id", "VARCHAR", "Brigade", False), C("code_commune", "VARCHAR", "Commune", False),
     C("creneau", "VARCHAR", "Slot (etl.analytics.slots)", False),
     C("heures_actuelles", "DOUBLE", "Current weekly gendarme-hours", False),
     C("heures_recommandees", "DOUBLE", "Recommended weekly gendarme-hours", False),
     C("heures_cibles", "DOUBLE", "Target weekly gendarme-hours (the plan without the change "
       "cap: proportional to need above the minimum presence)", False),
     C("visites", "INTEGER", "Recommended visits (the plan's unit)", False),
     C("capacite_brigade", "DOUBLE", "Brigade's weekly capacity (gendarme-hours)", False),
     C("besoin", "DOUBLE", "Need score (severity-weighted facts a week)", False)),
    order_by=("brigade_id", "code_commune"),
)
RECO_COMMUNES = Table(
    "reco_communes", "Recommended change per commune with its explanation.", SOURCE,
    (C("run_id", "VARCHAR", "Run", False), C("semaine", "VARCHAR", "ISO week", False),
     C("brigade_id", "VARCHAR", "Brigade", False), C("code_commune", "VARCHAR", "Commune", False),
     C("actuel", "DOUBLE", "Current weekly hours (recorded, or the last applied plan)", False),
     C("actuel_ramene", "DOUBLE", "Current weekly hours brought to the brigade's capacity (what "
       "the change cap applies to)", False),
     C("cible", "DOUBLE", "Target weekly hours (no change cap)", False),
     C("recommande", "DOUBLE", "Recommended weekly hours", False),
     C("part_besoin", "DOUBLE", "Share of the brigade's need", False),
     C("part_actuelle", "DOUBLE", "Share of the brigade's current hours", False),
     C("valeur_marginale", "DOUBLE", "Need per hour over the brigade's (1: served like the "
       "brigade's average)"),
     C("explication", "VARCHAR", "Top drivers in French", False),
     C("methode", "VARCHAR", "Forecast method", False)),
    order_by=("brigade_id", "code_commune"),
)
RECO_AUDIT = Table(
    "reco_audit", "Audit figures of the run (fairness, distance from simple rules, capture "
    "replay, drift flags), for France and each département.", SOURCE,
    (C("run_id", "VARCHAR", "Run", False),
     C("perimetre", "VARCHAR", "'France' or a département code", False),
     C("indicateur", "VARCHAR", "Figure", False), C("valeur", "DOUBLE", "Value"),
     C("detail", "VARCHAR", "Text or JSON detail")),
)
RECO_TABLES: tuple[Table, ...] = (RECO_RUNS, RECO_FORECASTS, RECO_BACKTEST,
                                  RECO_BACKTEST_BRIGADES, RECO_PLANS, RECO_COMMUNES, RECO_AUDIT)

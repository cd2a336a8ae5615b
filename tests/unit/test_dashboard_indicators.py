"""Indicators of the organisation map and their tables."""

import math

import pandas as pd

from dashboard.views import organisation_indicators as indicators
from dashboard.views.organisation_indicators import BRIGADE_INDICATORS, DEPARTEMENT, NATIONAL


def test_gendarmes_per_10000_inhabitants_in_zgn():
    departements = pd.DataFrame({
        "code": ["56", "35", "75"], "nom": ["Morbihan", "Ille-et-Vilaine", "Paris"],
        "population_zgn": [11_500, 32_500, 0], "nb_brigades": [1, 2, 0],
        "effectif_brigades": [18, 36, 0],
    })
    frame = indicators.departement_frame(departements)
    assert frame["code"].tolist() == ["35", "56", "75"]
    assert frame["gendarmes_10000"].tolist()[:2] == [11.1, 15.7]
    assert math.isnan(frame["gendarmes_10000"].iloc[2])  # Paris: no ZGN, no ratio


def test_brigade_frame():
    brigades = pd.DataFrame({"brigade_id": ["B2", "B1"], "nom": ["b", "a"], "population": [2, 1],
                             "nb_communes": [1, 1], "effectif": [5, 6], "source": ["x", "x"]})
    frame = indicators.brigade_frame(brigades)
    assert frame.columns.tolist() == ["code", "nom", "population", "nb_communes", "effectif"]
    assert frame["code"].tolist() == ["B1", "B2"]


def test_pick_indicator_falls_back_to_the_levels_first():
    assert indicators.pick_indicator(NATIONAL, "nb_brigades").key == "nb_brigades"
    assert indicators.pick_indicator(DEPARTEMENT, "nb_brigades") == BRIGADE_INDICATORS[0]
    assert indicators.pick_indicator(DEPARTEMENT, "'; DROP TABLE x") == BRIGADE_INDICATORS[0]


def test_table_columns_follow_the_indicators():
    assert list(indicators.table_columns(NATIONAL)) == [
        "code", "nom", "population_zgn", "nb_brigades", "gendarmes_10000"]
    assert indicators.table_columns(DEPARTEMENT)["nom"] == "Brigade"

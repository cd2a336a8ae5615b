"""DCAS expectations against recorded facts (etl.analytics.expectations), on hand-made frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from etl.analytics import expectations as ex
from etl.sources.categories import CATEGORIES
from etl.sources.dcas import THEMES


def test_the_mapping_names_known_themes_and_categories_and_no_drug_offence():
    assert set(ex.THEME_CATEGORIES) <= set(THEMES)
    for categories in ex.THEME_CATEGORIES.values():
        assert categories and set(categories) <= set(CATEGORIES)
        assert not {"usage_stupefiants", "trafic_stupefiants"} & set(categories)


def test_change_z_by_hand():
    z = ex.change_z([4, 400, 3, 0, 5], [2, 200, 3, 0, 0])
    assert z[0] == pytest.approx(2 / math.sqrt(6))
    assert z[1] == pytest.approx(200 / math.sqrt(600))
    assert z[2] == 0.0
    assert math.isnan(z[3])
    assert z[4] == pytest.approx(math.sqrt(5))


def _dcas(cites: dict[str, int], consultations: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"code": list(consultations), "consultations": list(consultations.values()),
                         "citant": [cites.get(c, 0) for c in consultations]})


def _facts(current: dict[str, int], reference: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"code": list(current), "population": [1000] * len(current),
                         "faits": list(current.values()),
                         "faits_reference": [reference[c] for c in current]})


def test_commune_themes_sums_a_themes_categories_and_marks_unconsulted_communes():
    consultations = {"A": 2, "B": 1, "C": 0}
    dcas = {"presence_heures_sensibles": _dcas({"A": 1, "B": 1}, consultations),
            "cambriolages": _dcas({"B": 1}, consultations),
            "rodeos": _dcas({"A": 2}, consultations)}  # no fact counterpart: left out
    facts = {"violences_hors_famille": _facts({"A": 3, "B": 1, "C": 0}, {"A": 1, "B": 1, "C": 0}),
             "vols_sans_violence": _facts({"A": 5, "B": 0, "C": 2}, {"A": 1, "B": 0, "C": 2})}
    frame = ex.commune_themes(dcas, facts)
    assert list(frame.columns) == list(ex.COMMUNE_THEME_COLUMNS)
    assert set(frame["theme"]) == {"presence_heures_sensibles", "cambriolages"}
    a = frame[(frame["code"] == "A") & (frame["theme"] == "presence_heures_sensibles")].iloc[0]
    assert (a["faits"], a["faits_reference"], a["part_citant"]) == (8, 2, 0.5)
    assert a["taux"] == pytest.approx(8.0)
    assert a["evolution_z"] == pytest.approx(6 / math.sqrt(10))
    c = frame[(frame["code"] == "C") & (frame["theme"] == "presence_heures_sensibles")].iloc[0]
    assert math.isnan(c["part_citant"])
    # no burglary category read: no fact, no rate
    burglary = frame[frame["theme"] == "cambriolages"]
    assert (burglary["faits"] == 0).all() and burglary["taux"].isna().all()
    assert burglary["evolution_z"].isna().all()


def test_commune_themes_without_any_mapped_theme_is_empty_with_its_columns():
    frame = ex.commune_themes({"rodeos": _dcas({}, {"A": 1})}, {})
    assert frame.empty and list(frame.columns) == list(ex.COMMUNE_THEME_COLUMNS)


def test_rank_association_perfect_reversed_and_undefined():
    x = np.arange(10.0)
    assert ex.rank_association(x, x ** 2)["rho"] == pytest.approx(1.0)
    back = ex.rank_association(x, -x)
    assert back["rho"] == pytest.approx(-1.0) and back["p"] < 1e-6 and back["n"] == 10
    # NaN pairs dropped; too few pairs, or a constant side: nothing computed
    assert ex.rank_association([1, 2, np.nan, 4, 5, 6], [1, 2, 3, np.nan, 5, 6])["n"] == 4
    assert math.isnan(ex.rank_association([1, 2, 3, 4], [4, 3, 2, 1])["rho"])
    constant = ex.rank_association([1.0] * 8, x[:8])
    assert math.isnan(constant["rho"]) and math.isnan(constant["p"]) and constant["n"] == 8


def test_rank_association_of_independent_draws_is_rarely_significant():
    rng = np.random.default_rng(7)
    significant = sum(ex.rank_association(rng.random(40), rng.random(40))["p"] < 0.05
                      for _ in range(200))
    assert significant <= 20  # about 5 % expected


def test_theme_associations_level_and_change_over_consulted_communes():
    codes = [f"C{i}" for i in range(8)]
    consultations = dict.fromkeys(codes, 1) | {"X": 0}
    # élus cite burglaries where burglaries rose, whatever their level
    rose = {"C4", "C5", "C6", "C7"}
    dcas = {"cambriolages": _dcas({c: 1 for c in rose}, consultations)}
    current = {c: (20 if c in rose else 10) + i for i, c in enumerate(codes)} | {"X": 50}
    reference = {c: 10 + i for i, c in enumerate(codes)} | {"X": 0}
    facts = {"cambriolages_logement": _facts(current, reference)}
    table = ex.theme_associations(ex.commune_themes(dcas, facts))
    row = table.set_index("theme").loc["cambriolages"]
    assert row["communes"] == 8  # X never consulted: left out
    assert row["part_citant_moyenne"] == pytest.approx(0.5)
    assert row["rho_evolution"] > 0.8
    assert row["p_evolution"] < 0.05


def test_pooled_association_reads_within_each_theme():
    """Burglaries rose everywhere and every commune cites them: alone, that is no association;
    within each theme, the citing communes are those whose facts rose more."""
    codes = [f"C{i}" for i in range(6)]
    consultations = dict.fromkeys(codes, 1)
    high = {"C0", "C1", "C2"}
    dcas = {"cambriolages": _dcas(dict.fromkeys(codes, 1), consultations),
            "cyber": _dcas(dict.fromkeys(high, 1), consultations)}
    facts = {"cambriolages_logement": _facts(dict.fromkeys(codes, 40), dict.fromkeys(codes, 10)),
             "escroqueries": _facts({c: 20 if c in high else 10 for c in codes},
                                    dict.fromkeys(codes, 10))}
    frame = ex.commune_themes(dcas, facts)
    naive = ex.rank_association(frame["part_citant"], frame["evolution_z"])
    pooled = ex.pooled_association(frame)
    assert naive["rho"] > 0.5  # driven by the theme everybody cites, whose facts rose everywhere
    assert pooled["n"] == 12
    assert pooled["rho"] == pytest.approx(1.0)
    assert math.isnan(ex.pooled_association(frame.iloc[0:0])["rho"])

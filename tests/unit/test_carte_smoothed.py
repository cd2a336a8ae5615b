"""The « Carte » page's smoothed rates (#20): values, table columns, map outline and hover."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.core.scope import Period, Scope
from dashboard.views import carte as cv
from dashboard.views import map_indicators as mi
from dashboard.views import map_values as mv

PERIOD = Period.parse("2025-11", "2026-10", Period.parse(None, None,
                                                         pd.Timestamp("2026-10-01").date()).end)


def _raw(n: int = 40, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pop = np.round(np.exp(rng.uniform(np.log(60), np.log(30_000), n))).astype("int64")
    faits = rng.poisson(pop * 0.004 * rng.gamma(1.5, 1 / 1.5, n))  # communes unlike
    return pd.DataFrame({
        "code": [f"35{i:03d}" for i in range(n)], "communes": 1, "population": pop,
        "faits": faits, "faits_reference": faits, "faits_historique": rng.poisson(pop * 0.008),
        "faits_famille": rng.poisson(pop * 0.02), "communes_avec_faits": (faits > 0).astype(int),
        "logements": (pop * 0.57).round(),
    })


def test_one_category_is_smoothed_by_default_and_says_so():
    values = mv.facts_values(mi.BY_KEY["faits_taux"], _raw(),
                             mi.Choices(categorie="violences_sexuelles"))
    frame = values.frame
    assert values.label == ("Violences sexuelles — taux lissé (bayésien empirique), "
                            "pour 1 000 habitants")
    assert (frame["value"] == frame["taux_lisse"]).all()
    assert (frame["taux_bas"] <= frame["taux_lisse"]).all()
    assert (frame["taux_lisse"] <= frame["taux_haut"]).all()
    assert values.details["taux_lisse"] == "Taux lissé"
    assert values.details["incertitude"] == "Incertitude"
    assert any(n.startswith("Taux lissé (bayésien empirique)") for n in values.notes)
    # the smoothed rates spread less than the raw ones
    assert frame["taux_lisse"].std() < frame["taux_brut"].std()


def test_raw_rate_one_click_away_keeps_the_interval_columns():
    values = mv.facts_values(mi.BY_KEY["faits_taux"], _raw(),
                             mi.Choices(categorie="violences_sexuelles", taux=mi.RAW))
    frame = values.frame
    assert values.label.startswith("Violences sexuelles — taux brut")
    assert frame["value"].tolist() == pytest.approx(frame["taux_brut"].tolist())
    assert {"taux_lisse", "taux_bas", "taux_haut", "incertitude"} <= set(values.details)


def test_burglaries_smoothed_per_dwelling():
    values = mv.facts_values(mi.BY_KEY["faits_taux"], _raw(),
                             mi.Choices(categorie="cambriolages_logement"))
    assert values.label.endswith("pour 1 000 logements")
    assert values.frame["base"].iloc[0] == _raw()["logements"].iloc[0]


def test_all_facts_and_counts_are_not_smoothed():
    values = mv.facts_values(mi.BY_KEY["faits_taux"], _raw(), mi.Choices())
    assert "taux_lisse" not in values.frame and values.label == ""
    counts = mv.facts_values(mi.BY_KEY["faits_nombre"], _raw(),
                             mi.Choices(categorie="violences_sexuelles"))
    assert "taux_lisse" not in counts.frame


def test_choices_rate_mode_is_checked():
    assert mi.Choices.parse(taux="forged").taux == mi.SMOOTHED
    assert mi.Choices.parse(taux="brut").taux == mi.RAW
    assert mi.Choices(categorie="violences_sexuelles").smoothed
    assert not mi.Choices().smoothed  # all facts: the raw rate
    assert not mi.Choices(categorie="violences_sexuelles", taux=mi.RAW).smoothed
    assert mi.TAUX in mi.BY_KEY["faits_taux"].controls


def _shown(choices: mi.Choices):
    raw = _raw()
    units = pd.DataFrame({"code": raw["code"], "nom": [f"Commune {i}" for i in range(len(raw))],
                          "departement": "35", "population": raw["population"], "zone": "ZGN",
                          "outre_mer": False})
    # one commune with no fact and a tiny population: an uncertain estimate
    raw.loc[0, ["population", "faits", "faits_historique", "faits_famille"]] = [3, 0, 0, 0]
    units.loc[0, "population"] = 3
    return cv.map_result(mi.BY_KEY["faits_taux"], choices, PERIOD,
                         Scope("departement", "35"), "commune", "Ille-et-Vilaine", "35", units,
                         {"raw": raw})


def test_uncertain_units_are_outlined_and_said_in_the_hover_and_table():
    shown = _shown(mi.Choices(categorie="violences_sexuelles"))
    flags = cv.uncertain_flags(shown.valued)
    assert any(flags) and not all(flags)
    trace = cv.map_traces(shown, "/geo.json")[0]
    widths = trace["marker"]["line"]["width"]
    assert [w == cv.UNCERTAIN_WIDTH for w in widths] == flags
    hovers = [c[3] for c in trace["customdata"]]
    assert all("Intervalle à 90 %" in h for h in hovers)
    assert ["Estimation incertaine" in h for h in hovers] == flags
    assert "%{customdata[3]}" in trace["hovertemplate"]
    columns = shown.columns()
    assert columns["incertitude"] == "Incertitude"
    export = shown.export_frame()
    assert {"taux_brut", "taux_lisse", "taux_bas", "taux_haut"} <= set(export.columns)
    row = export.set_index("code").loc["35000"]
    assert row["incertitude"] == "estimation incertaine"
    # one decimal in the export, as in the table
    assert row["taux_haut"] == round(row["taux_haut"], 1)
    # the patch recolours the outline too
    assert "marker" in cv.PATCHED


def test_other_indicators_have_no_outline_nor_interval():
    raw = pd.DataFrame({"code": ["1", "2"], "plaintes": [1, 0]})
    units = pd.DataFrame({"code": ["1", "2"], "nom": ["A", "B"], "zone": "ZGN",
                          "outre_mer": False, "departement": "35"})
    shown = cv.map_result(mi.BY_KEY["plaintes"], mi.Choices(), PERIOD,
                          Scope("departement", "35"), "commune", "Ille-et-Vilaine", "35", units,
                          {"raw": raw})
    trace = cv.map_traces(shown, "/geo.json")[0]
    assert trace["marker"]["line"]["width"] == 0.5
    assert all(c[3] == "" for c in trace["customdata"])


def test_delivery_rate_says_it_in_french():
    description = mi.BY_KEY["taux_remise"].description
    assert "DELIVRD" not in description and "remis au destinataire" in description


def test_commune_profile_rates_per_category_from_its_departement():
    from dashboard.views.profil_figures import smoothed_by_category

    rng = np.random.default_rng(5)
    communes = [f"35{i:03d}" for i in range(30)]
    pop = rng.integers(100, 20_000, len(communes))
    rows = []
    for c, p in zip(communes, pop, strict=True):
        for k, rate in (("cambriolages_logement", 0.004), ("vols_vehicules", 0.003),
                        ("violences_sexuelles", 0.001)):
            rows.append({"commune": c, "population": int(p), "logements": round(p * 0.57),
                         "categorie": k, "faits": int(rng.poisson(p * rate)),
                         "faits_historique": int(rng.poisson(p * rate * 2))})
    rows.append({"commune": "35999", "population": 50, "logements": 28, "categorie": None,
                 "faits": 0, "faits_historique": 0})  # a commune without any fact
    frame = pd.DataFrame(rows)
    out = smoothed_by_category(frame, "35003").set_index("categorie")
    assert list(out.index) == ["Cambriolages de logement", "Violences sexuelles",
                               "Vols de véhicule"]
    assert out.loc["Cambriolages de logement", "base"] == "logements"
    assert out.loc["Violences sexuelles", "base"] == "habitants"
    assert (out["taux_bas"] <= out["taux_lisse"]).all()
    assert (out["taux_lisse"] <= out["taux_haut"]).all()
    alone = smoothed_by_category(frame, "35999")
    assert alone["taux_lisse"].notna().all()  # no fact: its département's prior
    assert smoothed_by_category(frame, "22001").empty
    assert smoothed_by_category(frame.iloc[0:0], "35003").empty

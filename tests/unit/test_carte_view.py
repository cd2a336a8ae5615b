"""Pure functions of the « Carte » page: rates, changes, ranks, SSMSI « non diffusé », presence
gap, units without a value, colour ranges and the figure/patch split."""

import json
import math

import pandas as pd
import pytest

from dashboard.core.export import to_csv_bytes
from dashboard.core.scope import Scope
from dashboard.views import carte as cv
from dashboard.views import map_indicators as mi
from dashboard.views import map_values as mv
from dashboard.views import measures as ms
from etl.analytics import presence


def test_rates_changes_and_shares():
    assert ms.per_thousand(pd.Series([5, 3, 1]), pd.Series([1000, 0, None])).tolist()[0] == 5.0
    rates = ms.per_thousand(pd.Series([5, 3, 1]), pd.Series([1000, 0, None]))
    assert math.isnan(rates[1]) and math.isnan(rates[2])
    change = ms.percent_change(pd.Series([12, 3, 5]), pd.Series([10, 1, 0]))
    assert change[0] == pytest.approx(20.0)
    assert math.isnan(change[1])  # 1 → 3 is below the 5-fact base: no percentage
    assert math.isnan(change[2])
    assert ms.percent_change(pd.Series([3]), pd.Series([1]), min_base=1)[0] == pytest.approx(200)
    share = ms.share_percent(pd.Series([1, 0]), pd.Series([4, 0]))
    assert share[0] == 25.0 and math.isnan(share[1])


def test_ranks_highest_first_with_ties_and_missing_values():
    ranks = ms.ranks(pd.Series([3.0, 7.0, float("nan"), 7.0, 1.0]))
    assert ranks.tolist()[:2] == [3, 1]
    assert ranks.isna().tolist() == [False, False, True, False, False]
    assert ranks.tolist()[3:] == [1, 4]
    assert ms.rank_text(1, 40) == "1er sur 40"
    assert ms.rank_text(3, 1200) == "3e sur 1\u202f200"
    assert ms.rank_text(pd.NA, 40) == "—"


def test_ndiff_commune_has_no_value_never_the_departement_average():
    rows = pd.DataFrame({
        "est_diffuse": ["diff", "ndiff", None],
        "taux_pour_mille": [6.4, None, None],
        # what the SSMSI publishes for an ndiff commune: the département's average
        "moyenne_dep_taux": [None, 4.2, None],
    })
    values = mv.ssmsi_commune_values(rows)
    assert values["value"].iloc[0] == 6.4
    assert math.isnan(values["value"].iloc[1]) and math.isnan(values["value"].iloc[2])
    assert values["status"].tolist() == [None, "non_diffuse", "sans_donnee"]
    assert 4.2 not in values["value"].tolist()


def test_ssmsi_aggregate_uses_diffused_communes_only():
    rows = pd.DataFrame({
        "code": ["B1", "B1", "B2", "B2", None],
        "est_diffuse": ["diff", "ndiff", "ndiff", "ndiff", "diff"],
        "nombre": [30, None, None, None, 99],
        "insee_pop": [10_000, 1_000, 500, 400, 1],
        "insee_log": [5_000, None, None, None, 1],
    })
    by_pop = mv.ssmsi_aggregate(rows, per_dwelling=False).set_index("code")
    assert by_pop.loc["B1", "value"] == pytest.approx(3.0)  # 30 / 10,000, the ndiff left out
    assert by_pop.loc["B1", "non_diffusees"] == 1
    assert math.isnan(by_pop.loc["B2", "value"])
    assert by_pop.loc["B2", "status"] == "non_diffuse"
    by_dwelling = mv.ssmsi_aggregate(rows, per_dwelling=True).set_index("code")
    assert by_dwelling.loc["B1", "value"] == pytest.approx(6.0)


def _presence_rows():
    return pd.DataFrame({
        "brigade_id": ["B1", "B1", "B2"],
        "population": [3_000, 1_000, 500],
        "faits": [10, 30, 0],
        "effectif": [10, 10, 6],
    })


def test_expected_presence_shares_the_brigade_capacity():
    params = presence.PresenceParameters(annual_hours_per_gendarme=1200, public_road_share=0.5,
                                   population_weight=0.5)
    assert params.monthly_hours_per_gendarme == 50
    rows = _presence_rows()
    expected = presence.expected_presence(rows, months=3, params=params)
    capacity_b1 = 10 * 50 * 3
    assert expected[:2].sum() == pytest.approx(capacity_b1)
    # commune 1: 3/4 of the population, 1/4 of the facts → weight 0.5
    assert expected[0] == pytest.approx(capacity_b1 * 0.5)
    # a brigade without facts: population only
    assert expected[2] == pytest.approx(6 * 50 * 3)
    gap = presence.presence_gap(pd.Series([375.0, 0.0]), pd.Series([750.0, 0.0]))
    assert gap[0] == pytest.approx(-50.0) and math.isnan(gap[1])


def test_presence_values_aggregate_hours_and_expected_hours():
    rows = _presence_rows().assign(commune=["1", "2", "3"], code=["B1", "B1", "B2"],
                                   heures=[100.0, 50.0, 0.0], dans_perimetre=True,
                                   mois_presence=2)
    values = mv.presence_values(mi.BY_KEY["ecart_presence"], rows)
    frame = values.frame.set_index("code")
    capacity = 10 * presence.PRESENCE_PARAMETERS.monthly_hours_per_gendarme * 2
    assert frame.loc["B1", "attendu"] == pytest.approx(capacity)
    assert frame.loc["B1", "value"] == pytest.approx((150 / capacity - 1) * 100)
    assert "2 mois" in values.notes[0]
    empty = mv.presence_values(mi.BY_KEY["ecart_presence"], rows.assign(mois_presence=0))
    assert empty.empty_message and "présence" in empty.empty_message


def _facts_raw(logements):
    return pd.DataFrame({"code": ["a", "b"], "communes": [1, 1], "population": [1000, 2000],
                         "faits": [10, 0], "faits_reference": [8, 0],
                         "communes_avec_faits": [1, 0], "logements": logements})


def test_burglaries_per_dwelling_only_when_dwellings_are_known():
    burglary = mi.Choices(categorie="cambriolages_logement", taux=mi.RAW)
    indicator = mi.BY_KEY["faits_taux"]
    known = mv.facts_values(indicator, _facts_raw([500.0, 800.0]), burglary)
    assert known.label == "Cambriolages de logement — taux brut, pour 1 000 logements"
    assert known.frame["value"].iloc[0] == pytest.approx(20.0)
    unknown = mv.facts_values(indicator, _facts_raw([None, None]), burglary)
    assert unknown.label == "Cambriolages de logement — taux brut, pour 1 000 habitants"
    assert unknown.frame["value"].iloc[0] == pytest.approx(10.0)
    assert any("pour 1 000 habitants, et non pour 1 000 logements" in n for n in unknown.notes)
    change = mv.facts_values(mi.BY_KEY["faits_evolution"], _facts_raw([None, None]),
                             mi.Choices(), "Même période un an plus tôt")
    assert change.frame["value"].iloc[0] == pytest.approx(25.0)
    assert change.frame["status"].tolist() == [None, "base_insuffisante"]


def test_assemble_greys_police_zone_and_missing_values():
    units = pd.DataFrame({"code": ["1", "2", "3", "4"], "nom": ["A", "B", "C", "D"],
                          "zone": ["ZGN", "ZGN", "ZPN", "ZGN"], "outre_mer": False})
    values = mv.Values(pd.DataFrame({"code": ["1", "2", "4"], "value": [2.0, 5.0, None],
                                     "status": [None, None, "non_diffuse"]}))
    frame = cv.assemble(units, values, mi.BY_KEY["faits_taux"]).set_index("code")
    assert frame.loc["2", "rank_text"] == "1er sur 2"
    assert frame.loc["1", "value_text"] == "2,0"
    assert frame.loc["3", "status"] == "zone_police"
    assert frame.loc["4", "status_text"].startswith("Non diffusé")
    assert frame.loc["4", "rank_text"] == "—"


def _shown(values, maille=mi.COMMUNE, key="faits_evolution"):
    units = pd.DataFrame({"code": [str(i) for i in range(len(values))],
                          "nom": [f"U{i}" for i in range(len(values))], "zone": "ZGN",
                          "outre_mer": False})
    frame = cv.assemble(units, mv.Values(pd.DataFrame({
        "code": units["code"], "value": values,
        "status": [None if v is not None else "non_diffuse" for v in values]})),
        mi.BY_KEY[key])
    return cv.MapResult(mi.BY_KEY[key], maille, Scope("departement", "35"), "35",
                        mi.Geometry("commune", "departement", "35"), frame,
                        mi.BY_KEY[key].label)


def test_diverging_scale_is_centred_on_zero():
    shown = _shown([-10.0, 40.0, None])
    coloured, grey = cv.map_traces(shown, "/geo/commune/departement/35.json?v=1")
    assert coloured["zmin"] == -coloured["zmax"] == -40.0
    assert coloured["colorscale"] == mi.DIVERGING
    assert grey["locations"] == ["2"]
    assert grey["customdata"][0][1].startswith("Non diffusé")
    assert cv.colour_range(pd.Series([10.0, 90.0]), mi.BY_KEY["score_cyber"]) == (0, 100)


def test_figure_names_its_geometry_by_url_and_the_patch_never_resends_it():
    shown = _shown([1.0, 2.0, None], key="faits_taux")
    url = "/geo/commune/departement/35.json?v=abc"
    figure = cv.map_figure(shown, url)
    assert [t["geojson"] for t in figure["data"]] == [url, url]
    assert figure["data"][0]["locations"] == ["0", "1"]
    assert "Rang : %{customdata[2]}" in figure["data"][0]["hovertemplate"]
    patch = json.loads(json.dumps(cv.map_patch(shown, url).to_plotly_json()))
    text = json.dumps(patch)
    assert "geojson" not in text and "geo" not in {op["location"][0] for op in
                                                    patch["operations"]}
    assert {"data"} == {op["location"][0] for op in patch["operations"]}


def test_national_map_leaves_overseas_out_of_the_drawing_not_of_the_table():
    units = pd.DataFrame({"code": ["35", "972"], "nom": ["Ille", "Martinique"],
                          "zone": "ZGN", "outre_mer": [False, True]})
    frame = cv.assemble(units, mv.Values(pd.DataFrame({"code": ["35", "972"],
                                                       "value": [1.0, 2.0],
                                                       "status": [None, None]})),
                        mi.BY_KEY["faits_nombre"])
    shown = cv.MapResult(mi.BY_KEY["faits_nombre"], mi.DEPARTEMENT, Scope(), "France",
                         mi.Geometry("departement", "national", "france"), frame, "x")
    assert shown.valued["code"].tolist() == ["35"]
    assert len(shown.export_frame()) == 2
    assert shown.frame.set_index("code").loc["972", "rank_text"] == "1er sur 2"


def test_map_units_and_geometry_levels():
    # the national commune map (points: views/carte_communes.py); none for a région
    assert mi.pick_maille(Scope(), "commune") == mi.COMMUNE
    assert mi.pick_maille(Scope("region", "53"), "commune") == mi.DEPARTEMENT
    assert mi.pick_maille(Scope(), "brigade") == mi.BRIGADE
    assert mi.pick_maille(Scope("departement", "35"), None) == mi.COMMUNE
    assert mi.pick_maille(Scope("brigade", "B1"), "departement") == mi.COMMUNE
    assert mi.geometry_for(Scope(), mi.BRIGADE, None) == mi.Geometry("brigade", "national",
                                                                     "france")
    assert mi.geometry_for(Scope("brigade", "B35047"), mi.COMMUNE, "35") == mi.Geometry(
        "commune", "departement", "35")


def test_choices_ignore_forged_values():
    offered = pd.DataFrame({"indicateur": ["Cambriolages de logement"] * 2 + ["Vols"],
                            "annee": [2024, 2025, 2025]})
    choices = mi.Choices.parse("'; DROP", "x", "y", "z", "1999", offered)
    assert choices == mi.Choices(ssmsi="Cambriolages de logement", annee=2025)
    assert choices.fact_category is None
    assert mi.Choices.parse(ssmsi="Vols", annee="2025", ssmsi_offered=offered).annee == 2025
    assert mi.pick_indicator("nope") == mi.DEFAULT_INDICATOR


def test_value_texts():
    assert mi.format_value(12.34, mi.BY_KEY["faits_evolution"]) == "+12,3\u202f%"
    assert mi.format_value(-2.0, mi.BY_KEY["ecart_presence"]) == "\u22122,0\u202f%"
    assert mi.format_value(0.01, mi.BY_KEY["faits_evolution"]) == "0,0\u202f%"
    assert mi.format_value(95, mi.BY_KEY["delai_alerte"]) == "1\u202fh35"
    assert mi.format_value(80, mi.BY_KEY["score_cyber"]) == "80 / 100"
    assert mi.format_value(float("nan"), mi.BY_KEY["faits_taux"]) == "—"


def test_the_csv_has_the_decimals_the_table_shows():
    """A rate was written 39,12099596827788 in the map's CSV: rounded as the indicator shows it
    (one decimal for a rate per 1,000, whole numbers for counts and minutes)."""
    rate = mi.BY_KEY["faits_taux"]
    assert rate.decimals == 1
    shown = _shown([39.12099596827788, 3.04999, None], key="faits_taux")
    exported = shown.export_frame().set_index("nom")["value"]
    assert exported.loc["U0"] == 39.1 and mi.format_value(39.12099596827788, rate) == "39,1"
    assert exported.loc["U1"] == 3.0 and pd.isna(exported.loc["U2"])
    csv = to_csv_bytes(shown.export_frame(), shown.columns()).decode("utf-8-sig")
    assert ";39,1;" in csv and "39,12" not in csv
    counts = _shown([12.4, 7.6], key="faits_nombre").export_frame()
    assert str(counts["value"].dtype) == "Int64" and counts["value"].tolist() == [12, 8]
    minutes = next(i for i in mi.INDICATORS if i.kind == "minutes")
    delays = _shown([75.4, 12.6], key=minutes.key).export_frame()
    assert delays["value"].tolist() == [75, 13]

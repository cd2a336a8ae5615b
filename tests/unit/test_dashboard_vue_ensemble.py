"""Page « Vue d'ensemble »: KPI arithmetic (pure) and its callbacks on the fixture warehouse."""

from __future__ import annotations

import base64
import csv
import io
import sys
from datetime import date

import duckdb
import pandas as pd
import pytest

from dashboard.core import categories, page_state
from dashboard.core.access import User
from dashboard.core.formatting import MISSING, THOUSANDS
from dashboard.core.scope import Period, Scope
from dashboard.core.warehouse import Warehouse
from dashboard.queries import vue_ensemble as vue_queries
from dashboard.views import measures
from dashboard.views import vue_ensemble as overview
from tests.support.dash_callbacks import client_for, operational_app, post, text, update

NB = THOUSANDS  # narrow no-break space of French numbers
PERIOD = Period(date(2025, 11, 1), date(2026, 10, 1))  # the fixture's default period


# --- pure arithmetic -------------------------------------------------------------------------

def test_changes_ratios_and_missing_values():
    assert measures.relative_change(110, 100) == pytest.approx(0.1)
    assert measures.relative_change(5, 0) is None  # a rise from nothing has no percentage
    assert measures.relative_change(None, 3) is None
    assert measures.relative_change(3, float("nan")) is None
    assert measures.difference(0.75, 0.5) == pytest.approx(0.25)
    assert measures.difference(0.75, None) is None
    assert measures.share(3, 4) == 0.75
    assert measures.share(None, 4) == 0  # no part counted: none
    assert measures.share(3, 0) is None
    assert measures.per_1000(50, 20_000) == pytest.approx(2.5)
    assert measures.per_1000(50, 0) is None


def test_french_changes_and_durations():
    assert measures.format_change(0.123, "percent") == f"+12,3{NB}%"
    assert measures.format_change(-0.025, "points") == "\u22122,5 points"
    assert measures.format_change(-15.4, "minutes") == f"\u221215{NB}min"
    assert measures.format_change(0.0004, "percent") == f"0,0{NB}%"  # rounds to 0: no sign
    assert measures.format_change(None, "percent") == MISSING
    with pytest.raises(ValueError):
        measures.format_change(0.1, "days")
    assert measures.format_duration(40) == f"40{NB}min"
    assert measures.format_duration(95) == f"1{NB}h 35{NB}min"
    assert measures.format_duration(120) == f"2{NB}h"
    assert measures.format_duration(1500) == f"1{NB}j 1{NB}h"
    assert measures.format_duration(None) == MISSING
    assert measures.plural(1, "alerte datée", "alertes datées") == "1 alerte datée"
    assert measures.plural(0, "alerte datée", "alertes datées") == "0 alerte datée"
    assert measures.plural(2500, "alerte", "alertes") == f"2{NB}500 alertes"
    assert measures.format_duration(float("nan")) == MISSING


def test_sums_of_overlapping_periods():
    monthly = pd.DataFrame({
        "mois": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 1)],
        "categorie": ["cambriolages_logement", "cambriolages_logement",
                      "violences_intrafamiliales", "violences_hors_famille"],
        "nombre": [1, 2, 4, 8],
    })
    periods = {"a": Period(date(2026, 1, 1), date(2026, 2, 1)),
               "b": Period(date(2026, 2, 1), date(2026, 3, 1))}
    sums = vue_queries.sum_by_period(monthly, periods, categories.MAIN[:2])
    assert sums["a"] == {"cambriolages_logement": 3, "violences_physiques": 0}
    assert sums["b"] == {"cambriolages_logement": 2, "violences_physiques": 12}
    empty = vue_queries.sum_by_period(monthly.iloc[0:0], periods, categories.MAIN[:1])
    assert empty["a"] == {"cambriolages_logement": 0}


FIGURES = {
    overview.CURRENT: {"faits_cambriolages_logement": 120, "plaintes": 4, "alertes": 10,
                       "messages": 200, "messages_remis": 190, "delai_median_min": 75.0,
                       "alertes_datees": 10, "dcas": 8, "dcas_notees": 8,
                       "dcas_satisfaits": 6, "elus_formes": 3, "communes_formees": 2,
                       "communes_zgn": 8, "diagnostics": 0, "diagnostics_rouges": 0,
                       "heures_presence": 1234.5},
    overview.PREVIOUS: {"faits_cambriolages_logement": 100, "plaintes": 0, "alertes": 5,
                        "messages": 100, "messages_remis": 80, "delai_median_min": 90.0,
                        "dcas": 4, "dcas_notees": 4, "dcas_satisfaits": 2, "communes_zgn": 8},
    overview.YEAR_BEFORE: {},
}


def test_cards_values_changes_and_links():
    scope = Scope("departement", "35")
    sections = overview.overview_kpis(FIGURES, {"population": 40_000}, scope, PERIOD)
    cards = {k.key: k for kpis in sections.values() for k in kpis}
    burglaries = cards["faits_cambriolages_logement"]
    assert burglaries.value == "120"
    assert burglaries.detail == "3,00 pour 1 000 habitants sur la période"
    assert burglaries.notes == (f"Période précédente : +20,0{NB}%",
                                f"Un an plus tôt : {MISSING}")
    assert burglaries.href == ("/tendances?perimetre=departement%3A35&debut=2025-11&fin=2026-10"
                               "&categorie=cambriolages_logement")
    assert cards["plaintes"].notes[0] == f"Période précédente : {MISSING}"  # from 0
    assert cards["taux_remise"].value == f"95,0{NB}%"
    assert cards["taux_remise"].notes[0] == "Période précédente : +15,0 points"
    assert cards["delai_alerte"].value == f"1{NB}h 15{NB}min"
    assert cards["delai_alerte"].notes[0] == f"Période précédente : \u221215{NB}min"
    assert cards["satisfaction"].value == f"75,0{NB}%"
    assert cards["couverture_formation"].value == f"25,0{NB}%"
    assert cards["diagnostics_rouges"].value == MISSING  # no diagnostic: no share
    assert cards["heures_presence"].value == f"1{NB}234"
    assert cards["alertes"].href.startswith("/carte?perimetre=departement%3A35&")
    assert cards["alertes"].href.endswith("&indicateur=alertes")
    assert list(sections) == list(overview.SECTIONS)


def test_export_frame_is_in_the_units_shown():
    frame, columns = overview.export_frame(FIGURES)
    row = frame.set_index("cle").loc["taux_remise"]
    assert row[overview.CURRENT] == 95.0 and row[overview.PREVIOUS] == 80.0
    assert row["evolution_precedente"] == 15.0 and row["unite_evolution"] == "points"
    assert pd.isna(row[overview.YEAR_BEFORE])
    burglaries = frame.set_index("cle").loc["faits_cambriolages_logement"]
    assert burglaries["evolution_precedente"] == 20.0 and burglaries["unite"] == "nombre"
    assert set(columns) <= set(frame.columns)
    assert overview.has_data(FIGURES)
    assert not overview.has_data({overview.CURRENT: {"alertes": 0, "communes_zgn": 3,
                                                     "delai_median_min": None}})


# --- page state ------------------------------------------------------------------------------

def test_address_scope_falls_back_to_the_users_own(tmp_path):
    from tests.support.dashboard_fixture import build_small_warehouse

    warehouse = Warehouse(build_small_warehouse(tmp_path / "w.duckdb"))
    prefet = User("p", "prefet", "35")
    assert page_state.resolve_scope(prefet, warehouse, "departement:56") == (
        Scope("departement", "35"), page_state.NOT_YOURS)
    scope, message = page_state.resolve_scope(prefet, warehouse, "brigade:B99")
    assert scope == Scope("departement", "35") and "inconnu" in message
    assert page_state.resolve_scope(prefet, warehouse, "brigade:B35047") == (
        Scope("brigade", "B35047"), None)
    period, message = page_state.resolve_period("2026-13", None, date(2026, 10, 1), 12)
    assert period.months == 12 and "Mois invalide" in message
    # no facts loaded: the last three years up to last month, and a message
    state = page_state.resolve(prefet, warehouse, None, None, None)
    assert not state.has_facts and state.messages == (page_state.NO_FACTS,)
    values = [o["value"] for o in page_state.options(User("a", "analyste"), warehouse,
                                                     Scope("brigade", "B56003"))]
    assert "brigade:B56003" in values and "brigade:B35047" not in values
    assert "departement:972" in values and "region:53" in values
    warehouse.close()


# --- callbacks through the test client -------------------------------------------------------

OUTPUTS = [("vue-ensemble-titre", "children"), ("vue-ensemble-periodes", "children"),
           ("vue-ensemble-indicateurs", "children"), ("vue-ensemble-tableau", "children")]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    accounts = {"analyste.test": ("analyste", None, None), "prefet35": ("prefet", "35", None),
                "brigade35": ("brigade", "35", "B35047")}
    with operational_app(tmp_path_factory.mktemp("vue"), accounts) as app:
        yield app


def _cards(client, perimetre, debut="2025-11", fin="2026-10"):
    state = {"perimetre": perimetre, "debut": debut, "fin": fin}
    return post(client, OUTPUTS, [("vue-ensemble-vue", "data", state)])


def _card_values(response) -> dict[str, str]:
    """kpi id → value text, from the cards' JSON."""
    out = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if str(props.get("id", "")).startswith("kpi-"):
                out[props["id"][4:]] = props["children"][1]["props"]["children"]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(response)
    return out


def test_departement_cards_have_the_fixture_figures(app, tmp_path_factory):
    client = client_for(app, "prefet35")
    response = _cards(client, "departement:35")
    assert response.status_code == 200
    outputs = response.get_json()["response"]
    assert outputs["vue-ensemble-titre"]["children"] == "Chiffres clés — 35 — Ille-et-Vilaine"
    values = _card_values(outputs["vue-ensemble-indicateurs"]["children"])
    warehouse_path = app.server.extensions["presence_warehouse"].path
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        burglaries = con.execute(
            "SELECT sum(nombre) FROM facts_monthly f JOIN communes c ON c.code = f.code_commune "
            "WHERE c.departement = '35' AND f.categorie = 'cambriolages_logement' "
            "AND f.mois BETWEEN DATE '2025-11-01' AND DATE '2026-10-01'").fetchall()[0][0]
    assert values["faits_cambriolages_logement"] == f"{burglaries:,}".replace(",", NB)
    assert values["plaintes"] == "12"  # 4 ZGN communes × 3 complaints, all in 2026
    assert values["alertes"] == "1" and values["taux_remise"] == f"100,0{NB}%"
    assert values["delai_alerte"] == f"1{NB}h 30{NB}min"
    assert values["dcas"] == "4" and values["satisfaction"] == f"75,0{NB}%"
    assert values["elus_formes"] == "4" and values["couverture_formation"] == f"100,0{NB}%"
    assert values["diagnostics"] == "4" and values["diagnostics_rouges"] == f"25,0{NB}%"
    assert values["heures_presence"] == "126"
    body = text(outputs)
    assert "Période précédente" in body and "/tendances?perimetre=departement%3A35" in body
    assert "vue-ensemble-tableau-donnees" in body


def test_brigade_and_national_scopes(app):
    brigade = client_for(app, "brigade35")
    values = _card_values(_cards(brigade, "brigade:B35047").get_json()["response"])
    assert values["plaintes"] == "6" and values["heures_presence"] == "45"
    national = client_for(app, "analyste.test")
    values = _card_values(_cards(national, "france").get_json()["response"])
    assert values["plaintes"] == "24" and values["alertes"] == "2"
    assert values["taux_remise"] == f"50,0{NB}%"
    assert _cards(national, "region:53").status_code == 200


def test_forged_scopes_are_refused(app):
    prefet = client_for(app, "prefet35")
    assert _cards(prefet, "departement:56").status_code == 403
    assert _cards(prefet, "france").status_code == 403
    assert _cards(prefet, "brigade:B56003").status_code == 403
    brigade = client_for(app, "brigade35")
    assert _cards(brigade, "departement:35").status_code == 403
    export = post(prefet, [("vue-ensemble-telechargement", "data")],
                  [("vue-ensemble-export", "n_clicks", 1)],
                  [("vue-ensemble-vue", "data", {"perimetre": "departement:56",
                                                 "debut": "2025-11", "fin": "2026-10"})])
    assert export.status_code == 403
    assert "Morbihan" not in export.get_data(as_text=True)


def test_bad_period_and_empty_scope_get_french_messages(app):
    client = client_for(app, "analyste.test")
    outputs = update(client, OUTPUTS, [("vue-ensemble-vue", "data", {
        "perimetre": "departement:35", "debut": "2026-13", "fin": "2026-10"})])
    assert "Mois invalide" in text(outputs["vue-ensemble-indicateurs"])
    outputs = update(client, OUTPUTS, [("vue-ensemble-vue", "data", {
        "perimetre": "departement:35", "debut": "2010-01", "fin": "2010-12"})])
    assert "Aucune donnée pour ce territoire" in text(outputs["vue-ensemble-indicateurs"])


def test_csv_export(app):
    client = client_for(app, "prefet35")
    outputs = update(client, [("vue-ensemble-telechargement", "data")],
                     [("vue-ensemble-export", "n_clicks", 1)],
                     [("vue-ensemble-vue", "data", {"perimetre": "departement:35",
                                                    "debut": "2025-11", "fin": "2026-10"})])
    download = outputs["vue-ensemble-telechargement"]["data"]
    assert download["filename"] == "vue_ensemble_departement_35_2025-11_2026-10.csv"
    raw = base64.b64decode(download["content"])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Rubrique", "Indicateur", "Unité", "Période"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["Atteintes aux élus (plaintes)"][3] == "12,0"
    assert by_name["Élus satisfaits (DCAS)"][3] == "75,0"
    assert len(rows) == 1 + len(overview.MEASURES)


def test_layout_renders_the_address_for_a_scoped_user(app):
    import flask

    page = sys.modules["dashboard.pages.vue_ensemble"]
    with app.server.test_request_context("/vue-ensemble?perimetre=departement:56"):
        flask.g.user = User("prefet35", "prefet", "35")
        body = text(page.layout(perimetre="departement:56", debut="2026-01",
                                fin="2026-06").to_plotly_json())
    assert "pas dans votre périmètre" in body
    assert '"perimetre": "departement:35"' in body and '"debut": "2026-01"' in body
    assert "Morbihan" not in body
    with app.server.test_request_context("/vue-ensemble"):
        flask.g.user = User("analyste.test", "analyste")
        body = text(page.layout().to_plotly_json())
    assert '"perimetre": "france"' in body and "Région — Bretagne" in body
    assert "Brigade de Bruz" not in body  # units are offered once a département is chosen
    with app.server.test_request_context("/vue-ensemble"):
        flask.g.user = User("analyste.test", "analyste")
        body = text(page.layout(perimetre="commune:35047").to_plotly_json())
    assert "Commune — Bruz" in body and "Brigade de Bruz" in body
    # Dash's start-up check: no user, the ids only
    with app.server.test_request_context("/vue-ensemble"):
        assert "vue-ensemble-perimetre" in text(page.layout().to_plotly_json())


def test_without_a_warehouse_both_pages_say_what_to_do(tmp_path, monkeypatch):
    import flask

    from dashboard.app import create_app
    from etl.settings import get_settings
    from tests.support.dashboard_fixture import add_account

    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))  # no warehouse.duckdb there
    app = create_app(get_settings())
    add_account(tmp_path, "prefet35", "prefet", "35")
    client = client_for(app, "prefet35")
    for name, store, outputs in (
        ("vue_ensemble", "vue-ensemble-vue", OUTPUTS),
        ("tendances", "tendances-vue", [
            ("tendances-compstat-titre", "children"), ("tendances-compstat", "children"),
            ("tendances-serie-titre", "children"), ("tendances-serie", "figure"),
            ("tendances-serie-legende", "children"), ("tendances-serie-tableau", "children"),
            ("tendances-calendrier", "figure"), ("tendances-calendrier-tableau", "children"),
            ("tendances-inhabituels", "children")]),
    ):
        page = sys.modules[f"dashboard.pages.{name}"]
        with app.server.test_request_context("/"):
            flask.g.user = User("prefet35", "prefet", "35")
            body = text(page.layout().to_plotly_json())
        assert "python -m etl build" in body
        state = {"perimetre": "departement:35"}
        assert f'"perimetre": "{state["perimetre"]}"' in body  # a territory the user may see
        assert "python -m etl build" in text(update(client, outputs, [(store, "data", state)]))


def test_card_links_lead_to_existing_categories_and_map_indicators():
    carte_view = pytest.importorskip("dashboard.views.map_indicators")
    for measure in overview.MEASURES:
        page, _, key = measure.link.partition(":")
        if page == "tendances":
            assert categories.pick(key).key == key, measure.key
        else:
            assert page == "carte" and key in carte_view.BY_KEY, measure.key

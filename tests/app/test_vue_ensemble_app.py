"""The overview page's layout and callbacks (Flask's test client, fixture warehouse)."""

from __future__ import annotations

import base64
import csv
import io
import sys
from datetime import date

import pytest

from dashboard.core import page_state
from dashboard.core.access import User
from dashboard.core.formatting import THOUSANDS
from dashboard.core.scope import Scope
from dashboard.core.warehouse import Warehouse
from dashboard.views import vue_ensemble as overview
from etl.warehouse import parts
from tests.support.dash_callbacks import client_for, layout_as, operational_app, post, text, update

NB = THOUSANDS  # narrow no-break space of French numbers

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
    with parts.connect(str(warehouse_path)) as con:
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
    assert "/tendances?perimetre=departement%3A35" in body
    # the operator's code in French, never « DELIVRD » in a sentence
    assert "1 remis au destinataire sur 1 adressés aux élus" in body and "DELIVRD" not in body
    # 12 months: the months before are the same period a year earlier, said once per card
    assert body.count("Un an plus tôt : ") == len(values) and "Période précédente" not in body
    assert outputs["vue-ensemble-periodes"]["children"].startswith(
        "Période : novembre 2025 – octobre 2026. Comparée aux 12 mois précédents, la même "
        "période un an plus tôt (novembre 2024 – octobre 2025). Population")
    quarter = text(_cards(client, "departement:35", "2026-08", "2026-10").get_json())
    assert quarter.count("3 mois précédents : ") == len(values)
    assert quarter.count("Un an plus tôt : ") == len(values)
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
    body = layout_as(app, "dashboard.pages.vue_ensemble", "/vue-ensemble?perimetre=departement:56",
                     User("prefet35", "prefet", "35"), perimetre="departement:56",
                     debut="2026-01", fin="2026-06")
    assert "pas dans votre périmètre" in body
    assert '"perimetre": "departement:35"' in body and '"debut": "2026-01"' in body
    assert "Morbihan" not in body
    analyste = User("analyste.test", "analyste")
    body = layout_as(app, "dashboard.pages.vue_ensemble", "/vue-ensemble", analyste)
    assert '"perimetre": "france"' in body and "Région — Bretagne" in body
    assert "Brigade de Bruz" not in body  # units are offered once a département is chosen
    body = layout_as(app, "dashboard.pages.vue_ensemble", "/vue-ensemble", analyste,
                     perimetre="commune:35047")
    assert "Commune — Bruz" in body and "Brigade de Bruz" in body
    # Dash's start-up check: no user, the ids only
    assert "vue-ensemble-perimetre" in layout_as(app, "dashboard.pages.vue_ensemble",
                                                 "/vue-ensemble", None)


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

"""The « Carte » and profile pages through Flask's test client, on the fixture warehouse with
its operational data: values, « non diffusé » communes, patches, geometry route, CSV exports,
refusals (French message in a layout, 403 for a forged callback) and phone numbers."""

from __future__ import annotations

import csv
import io
import json
import sys

import duckdb
import flask
import pytest
from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import select

from dashboard.app import create_app
from dashboard.core.access import User
from etl.ops.store import audit_log, get_engine
from etl.settings import get_settings
from tests.support.dashboard_fixture import (
    add_account,
    add_operational_data,
    build_small_warehouse,
    sign_in,
)

VIEW_35 = {"perimetre": "departement:35", "maille": "commune", "debut": "2025-11",
           "fin": "2026-10"}
CONTROLS = ("categorie", "comparaison", "theme", "ssmsi", "annee", "taux")
MAP_OUTPUTS = [("carte-carte", "figure"), ("carte-titre", "children"), ("carte-info", "children"),
               ("carte-legende-gris", "children"), ("carte-legende", "children"),
               ("carte-dessin", "data")]
ACCOUNTS = [("analyste.test", "analyste", None, None), ("prefet35", "prefet", "35", None),
            ("brigade35", "brigade", "35", "B35047"), ("commandant56", "commandant", "56", None)]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("carte")
    path = add_operational_data(build_small_warehouse(data_dir / "warehouse.duckdb"))
    con = duckdb.connect(str(path))
    # Javené: not diffused by the SSMSI, which publishes the département's average instead
    con.execute("UPDATE crime_annual SET est_diffuse = 'ndiff', nombre = NULL, "
                "taux_pour_mille = NULL, moyenne_dep_nombre = 3.1, moyenne_dep_taux = 4.2 "
                "WHERE code_commune = '35142'")
    con.execute("CHECKPOINT")
    con.close()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRESENCE_DATA_DIR", str(data_dir))
        app = create_app(get_settings())
        for login, role, dep, brigade in ACCOUNTS:
            add_account(data_dir, login, role, dep, brigade)
        client = app.server.test_client()  # Dash collects the pages' callbacks now
        sign_in(client, "analyste.test")
        assert client.get("/carte").status_code == 200
        app.warehouse_path = path
        app.data_dir = data_dir
        yield app


def client_for(app, login="analyste.test"):
    client = app.server.test_client()
    sign_in(client, login)
    return client


def _key(component_id) -> str:
    if isinstance(component_id, dict):
        return json.dumps(component_id, separators=(",", ":"), sort_keys=True)
    return component_id


def post(client, outputs, inputs, state=(), changed=None):
    """Post a callback the way Dash's front end does (pattern-matching ids included)."""
    def pattern(i):
        if not isinstance(i, dict):
            return i
        return _key({k: (v if k == "type" else ["MATCH"]) for k, v in i.items()})

    multi = len(outputs) > 1
    body = {
        "output": (".." + "...".join(f"{pattern(i)}.{p}" for i, p in outputs) + ".." if multi
                   else f"{pattern(outputs[0][0])}.{outputs[0][1]}"),
        "outputs": ([{"id": i, "property": p} for i, p in outputs] if multi
                    else {"id": outputs[0][0], "property": outputs[0][1]}),
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": changed or [f"{_key(i)}.{p}" for i, p, _ in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
    }
    return client.post("/_dash-update-component", json=body)


def map_call(client, view, indicator="faits_taux", controls=None, drawn=None,
             changed="carte-vue"):
    controls = controls or {}
    inputs = [("carte-vue", "data", view), ("carte-indicateur", "value", indicator)]
    inputs += [(f"carte-{c}", "value", controls.get(c)) for c in CONTROLS]
    return post(client, MAP_OUTPUTS, inputs, [("carte-dessin", "data", drawn)],
                changed=[f"{changed}.{'data' if changed == 'carte-vue' else 'value'}"])


def table_call(client, drawn, rows="50"):
    """The table callback, fed by what the map callback drew."""
    r = post(client, [("carte-tableau", "children")],
             [("carte-dessinee", "data", drawn), ("carte-lignes", "value", rows)])
    return text(response_of(r)["carte-tableau"]["children"])


def response_of(r) -> dict:
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_json()["response"]


def text(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, cls=PlotlyJSONEncoder)


def facts_of(app, code: str, start="2025-11-01", end="2026-10-01") -> int:
    con = duckdb.connect(str(app.warehouse_path), read_only=True)
    try:
        return con.execute("SELECT sum(nombre) FROM facts_monthly WHERE code_commune = ? "
                           "AND mois BETWEEN ? AND ?", [code, start, end]).fetchall()[0][0]
    finally:
        con.close()


# --- Carte -----------------------------------------------------------------------------------

def test_commune_map_of_a_departement_values_ranks_and_grey_police_zone(app):
    response = response_of(map_call(client_for(app), VIEW_35))
    figure = response["carte-carte"]["figure"]
    coloured, grey = figure["data"]
    # recorded facts cover every commune, police zone included (FACTS_RULE)
    assert coloured["locations"] == ["35047", "35066", "35115", "35142", "35238", "35253"]
    assert grey["locations"] == []
    bruz = coloured["locations"].index("35047")
    assert coloured["z"][bruz] == pytest.approx(facts_of(app, "35047") / 18_500 * 1000)
    ranks = {loc: data[2] for loc, data in zip(coloured["locations"], coloured["customdata"],
                                               strict=True)}
    highest = coloured["locations"][coloured["z"].index(max(coloured["z"]))]
    assert ranks[highest] == "1er sur 6"
    # an operational indicator: the police zone has no DCAS, Fougères and Rennes are grey
    dcas = response_of(map_call(client_for(app), VIEW_35, "dcas"))["carte-carte"]["figure"]
    assert dcas["data"][1]["locations"] == ["35115", "35238"]
    assert {c[1] for c in dcas["data"][1]["customdata"]} == {"Zone police nationale"}
    assert coloured["geojson"].startswith("/geo/commune/departement/35.json?v=")
    drawn = response["carte-dessin"]["data"]
    assert drawn["url"] == coloured["geojson"]
    title = response["carte-titre"]["children"]
    assert title.startswith("Communes — 35 — Ille-et-Vilaine — Faits enregistrés pour 1 000")
    table = table_call(client_for(app), drawn)
    assert "/commune?code=35047&debut=2025-11&fin=2026-10" in table
    assert table.count('"Tr"') == 7  # header and 6 communes
    assert table_call(client_for(app), drawn, "toutes").count('"Tr"') == 7


def test_one_rule_per_figure_on_the_overview_map_and_profile(app, tmp_path):
    """FACTS_RULE and SMS_RULE: one territory gets the same recorded facts, population and SMS
    delivery on the Vue d'ensemble, the Carte (national map of départements, a département's
    brigades) and the brigade profile — also for an alert on Bruz (35) whose SMS also went,
    undelivered, to an élu of the Morbihan (56): it counts where its recipient is."""
    import shutil
    from datetime import date

    from dashboard.core.scope import Period, Scope
    from dashboard.core.warehouse import Warehouse
    from dashboard.queries import carte as qc
    from dashboard.queries import vue_ensemble as qv
    from dashboard.queries.profils import ProfileReader

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(app.warehouse_path, path)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO alert_deliveries SELECT 'M-56', id_alerte, 'CT-56003-1', "
                "soumis_le, 'UNDELIV', etat_le, synthetique, fichier, run_id, 'x' "
                "FROM alert_deliveries WHERE id_message = 'M-0'")
    con.close()
    warehouse = Warehouse(path)
    period = Period.parse("2025-11", "2026-10", date(2026, 10, 1))
    periods = {"courante": period, "precedente": period, "annee_precedente": period}
    cases = [(Scope.parse("france"), "departement", Scope.parse("departement:35"), "35"),
             (Scope.parse("france"), "departement", Scope.parse("departement:56"), "56"),
             (Scope.parse("departement:35"), "brigade", Scope.parse("brigade:B35047"),
              "B35047")]
    expected_sms = {"35": (1, 1), "56": (2, 0), "B35047": (1, 1)}
    try:
        for map_scope, maille, scope, code in cases:
            facts = qc.facts(warehouse, map_scope, maille, period, period.year_before(),
                             None).set_index("code").loc[code]
            overview = qv.monthly_facts(warehouse, scope, period.start, period.end_exclusive)
            assert facts["faits"] == overview["nombre"].sum() > 0
            assert facts["population"] == qv.scope_figures(warehouse, scope)["population"]
            sms = qc.alerts(warehouse, map_scope, maille, period).set_index("code").loc[code]
            figures = qv.period_figures(warehouse, scope, periods)["courante"]
            assert (sms["messages"], sms["remis"]) == (figures["messages"],
                                                       figures["messages_remis"])
            assert (sms["messages"], sms["remis"]) == expected_sms[code]
        profile = ProfileReader(warehouse, Scope.parse("brigade:B35047"), period)
        on_profile = profile.get("sms").iloc[0]
        assert (on_profile["messages"], on_profile["remis"]) == (sms["messages"], sms["remis"])
    finally:
        warehouse.close()


def test_geometry_route_gzipped_cached_and_scoped(app):
    client = client_for(app)
    url = response_of(map_call(client, VIEW_35))["carte-dessin"]["data"]["url"]
    r = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert "max-age" in r.headers["Cache-Control"]
    import gzip

    shapes = json.loads(gzip.decompress(r.data))
    assert len(shapes["features"]) == 6 and shapes["features"][0]["id"] == "35047"
    again = client.get(url, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    prefet = client_for(app, "prefet35")
    assert prefet.get("/geo/commune/departement/35.json").status_code == 200
    assert prefet.get("/geo/commune/departement/56.json").status_code == 403
    assert prefet.get("/geo/brigade/national/france.json").status_code == 403
    assert prefet.get("/geo/departement/national/france.json").status_code == 200
    assert client.get("/geo/x/national/france.json").status_code == 404
    assert app.server.test_client().get(url).status_code == 302  # not signed in


def test_new_indicator_recolours_the_drawn_map_without_geometry(app):
    client = client_for(app)
    drawn = response_of(map_call(client, VIEW_35))["carte-dessin"]["data"]
    response = response_of(map_call(client, VIEW_35, "faits_evolution", drawn=drawn,
                                    changed="carte-indicateur"))
    patch = response["carte-carte"]["figure"]
    assert patch["__dash_patch_update"] == "__dash_patch_update"
    assert "geojson" not in text(patch)
    z = next(op["params"]["value"] for op in patch["operations"]
             if op["location"] == ["data", 0, "zmin"])
    zmax = next(op["params"]["value"] for op in patch["operations"]
                if op["location"] == ["data", 0, "zmax"])
    assert z == -zmax  # a change is centred on 0
    # another territory (the view changed): the whole figure again
    full = response_of(map_call(client, dict(VIEW_35, maille="brigade"), "faits_evolution",
                                drawn=drawn))["carte-carte"]["figure"]
    assert full["data"][0]["geojson"].startswith("/geo/brigade/departement/35.json")


def test_ndiff_commune_is_grey_never_the_departement_average(app):
    client = client_for(app)
    response = response_of(map_call(client, VIEW_35, "ssmsi_taux"))
    coloured, grey = response["carte-carte"]["figure"]["data"]
    assert "35142" not in coloured["locations"]
    assert "35142" in grey["locations"]
    javene = grey["customdata"][grey["locations"].index("35142")]
    assert javene[1].startswith("Non diffusé")
    assert 4.2 not in coloured["z"] and 3.1 not in coloured["z"]
    assert "4,2" not in table_call(client, response["carte-dessin"]["data"])
    # the SSMSI covers the police zone too: Rennes has its published rate
    assert coloured["z"][coloured["locations"].index("35238")] == 6.4
    # a brigade of two communes, one not diffused: the rate of the diffused one only
    brigades = response_of(map_call(client, dict(VIEW_35, maille="brigade"), "ssmsi_taux"))
    b = brigades["carte-carte"]["figure"]["data"][0]
    assert b["z"][b["locations"].index("B35253")] == pytest.approx(13 / 4000 * 1000)
    assert "pour 1 000 habitants" in brigades["carte-legende"]["children"]


def test_every_indicator_answers_and_no_phone_number_reaches_a_map(app):
    from dashboard.views.map_indicators import INDICATORS

    client = client_for(app, "brigade35")  # a role that may see phone numbers elsewhere
    view = {"perimetre": "brigade:B35047", "maille": "commune"}
    for indicator in INDICATORS:
        response = response_of(map_call(client, view, indicator.key))
        assert "+336" not in text(response), indicator.key
        assert response["carte-carte"]["figure"]["data"][0]["locations"] or \
            response["carte-carte"]["figure"]["data"][1]["locations"], indicator.key


def test_presence_gap_and_dcas_values(app):
    client = client_for(app)
    view = dict(VIEW_35, maille="brigade")
    gap = response_of(map_call(client, view, "ecart_presence"))
    coloured = gap["carte-carte"]["figure"]["data"][0]
    # B35047: 45 h recorded over 3 months; 24 gendarmes × 40 h × 3 months expected
    assert coloured["z"][coloured["locations"].index("B35047")] == pytest.approx(
        (45 / (24 * 40 * 3) - 1) * 100)
    dcas = response_of(map_call(client, VIEW_35, "satisfaction"))["carte-carte"]["figure"]
    values = dict(zip(dcas["data"][0]["locations"], dcas["data"][0]["z"], strict=True))
    assert values["35253"] == 0.0 and values["35047"] == 100.0  # ratings 2 and 5


def test_forged_territory_is_refused_and_logged(app):
    prefet = client_for(app, "prefet35")
    assert map_call(prefet, VIEW_35).status_code == 200
    assert map_call(prefet, dict(VIEW_35, perimetre="departement:56")).status_code == 403
    assert map_call(prefet, {"perimetre": "france", "maille": "brigade"}).status_code == 403
    assert map_call(prefet, {"perimetre": "commune:56003"}).status_code == 403
    export = post(prefet, [("carte-telechargement", "data")], [("carte-export", "n_clicks", 1)],
                  [("carte-vue", "data", dict(VIEW_35, perimetre="departement:56")),
                   ("carte-indicateur", "value", "faits_taux"),
                   *[(f"carte-{c}", "value", None) for c in CONTROLS]])
    assert export.status_code == 403
    with get_engine(f"sqlite:///{app.data_dir / 'operations.sqlite'}").connect() as con:
        rows = con.execute(select(audit_log.c.login, audit_log.c.detail)
                           .where(audit_log.c.action == "acces_refuse")).fetchall()
    assert ("prefet35", "territoire demandé : 'departement:56'") in rows


def test_layout_of_another_departement_shows_a_french_refusal(app):
    page = sys.modules["dashboard.pages.carte"]
    with app.server.test_request_context("/carte"):
        flask.g.user = User("prefet35", "prefet", "35")
        layout = text(page.layout(perimetre="departement:56", indicateur="nope").to_plotly_json())
    assert "pas dans votre périmètre" in layout
    assert '"perimetre": "departement:35"' in layout
    assert "Morbihan" not in layout


def _export(app, indicator: str, controls: dict | None = None
            ) -> tuple[str, list[list[str]]]:
    controls = controls or {}
    response = response_of(post(
        client_for(app), [("carte-telechargement", "data")], [("carte-export", "n_clicks", 1)],
        [("carte-vue", "data", VIEW_35), ("carte-indicateur", "value", indicator),
         *[(f"carte-{c}", "value", controls.get(c)) for c in CONTROLS]]))
    download = response["carte-telechargement"]["data"]
    import base64

    raw = base64.b64decode(download["content"]).decode("utf-8-sig")
    return download["filename"], list(csv.reader(io.StringIO(raw), delimiter=";"))


def test_map_csv_export_has_every_unit(app):
    filename, rows = _export(app, "faits_nombre")
    assert filename == "carte_faits_nombre_commune_departement_35.csv"
    assert rows[0] == ["Code", "Commune", "Faits enregistrés (nombre)", "Rang", "Remarque"]
    # Rennes, in the police zone, has the most recorded facts (FACTS_RULE)
    assert rows[1] == ["35238", "Rennes", str(facts_of(app, "35238")), "1", ""]
    assert len(rows) == 7 and all(r[3] for r in rows[1:])
    _filename, rows = _export(app, "dcas")
    assert [r[0] for r in rows[1:]][-2:] == ["35115", "35238"]
    assert rows[-1][-1] == "Zone police nationale"


# --- smoothed rates (#20) and comparisons (#19) -------------------------------------------------

BURGLARIES = {"categorie": "cambriolages_logement"}


def test_one_category_shows_the_smoothed_rate_by_default_and_the_raw_one_on_a_click(app):
    client = client_for(app)
    smoothed = response_of(map_call(client, VIEW_35, controls=BURGLARIES))
    title = smoothed["carte-titre"]["children"]
    assert "taux lissé (bayésien empirique), pour 1 000" in title
    assert "Taux lissé (bayésien empirique)" in smoothed["carte-legende"]["children"]
    coloured = smoothed["carte-carte"]["figure"]["data"][0]
    assert all("Intervalle à 90 %" in c[3] for c in coloured["customdata"])
    drawn = smoothed["carte-dessin"]["data"]
    # the raw rate, one click away: only the colours change (a patch)
    raw = response_of(map_call(client, VIEW_35, controls=BURGLARIES | {"taux": "brut"},
                               drawn=drawn, changed="carte-taux"))
    assert "taux brut, pour 1 000" in raw["carte-titre"]["children"]
    patch = raw["carte-carte"]["figure"]
    assert patch["__dash_patch_update"] == "__dash_patch_update"
    z = next(op["params"]["value"] for op in patch["operations"]
             if op["location"] == ["data", 0, "z"])
    locations = next(op["params"]["value"] for op in patch["operations"]
                     if op["location"] == ["data", 0, "locations"])
    raw_z = dict(zip(locations, z, strict=True))
    smooth_z = dict(zip(coloured["locations"], coloured["z"], strict=True))
    assert raw_z.keys() == smooth_z.keys() and raw_z != smooth_z
    # the smoothed rates lie closer together than the raw ones
    assert max(smooth_z.values()) - min(smooth_z.values()) <= \
        max(raw_z.values()) - min(raw_z.values())
    table = table_call(client, raw["carte-dessin"]["data"])
    for header in ("Taux brut", "Taux lissé", "Taux bas (90 %)", "Taux haut (90 %)",
                   "Incertitude"):
        assert header in table


def test_map_csv_carries_raw_and_smoothed_rates_and_their_interval(app):
    _filename, rows = _export(app, "faits_taux", BURGLARIES)
    header = rows[0]
    for column in ("Taux brut", "Taux lissé", "Taux bas (90 %)", "Taux haut (90 %)",
                   "Incertitude"):
        assert column in header
    low, mid, high = (header.index(c) for c in ("Taux bas (90 %)", "Taux lissé",
                                                 "Taux haut (90 %)"))
    for row in rows[1:]:
        assert float(row[low].replace(",", ".")) <= float(row[mid].replace(",", ".")) <= \
            float(row[high].replace(",", "."))


def _layout(app, **query) -> str:
    page = sys.modules["dashboard.pages.carte"]
    with app.server.test_request_context("/carte"):
        flask.g.user = User("analyste.test", "analyste")
        return text(page.layout(perimetre="departement:35", **query).to_plotly_json())


def test_layout_keeps_the_rate_mode_from_the_address(app):
    layout = _layout(app, categorie="cambriolages_logement", taux="brut")
    assert '"id": "carte-taux"' in layout and '"value": "brut"' in layout
    assert "Taux lissé (bayésien empirique)" in layout  # the other choice, one click away


def test_a_twelve_month_period_offers_its_comparison_once(app):
    twelve = _layout(app, debut="2025-11", fin="2026-10", indicateur="faits_evolution",
                     comparaison="precedente")
    assert twelve.count("Même période un an plus tôt (") == 1
    assert "mois précédents (" not in twelve
    three = _layout(app, debut="2026-08", fin="2026-10", indicateur="faits_evolution")
    assert "3 mois précédents (mai 2026 – juillet 2026)" in three
    assert "Même période un an plus tôt (août 2025 – octobre 2025)" in three


def test_without_operational_data_the_map_says_so(tmp_path, monkeypatch):
    build_small_warehouse(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    app = create_app(get_settings())
    add_account(tmp_path, "analyste.test", "analyste")
    client = client_for(app)
    assert client.get("/carte").status_code == 200
    response = response_of(map_call(client, VIEW_35))
    assert "Aucun fait enregistré pour ce territoire" in text(response["carte-info"])
    gap = response_of(map_call(client, VIEW_35, "ecart_presence"))
    assert "Aucune heure de présence" in text(gap["carte-info"])


# --- profiles ----------------------------------------------------------------------------------

def profile_call(client, kind, view):
    return post(client, [(f"fiche-{kind}-chiffres", "children"),
                         (f"fiche-{kind}-sections", "children")],
                [(f"fiche-{kind}-vue", "data", view)])


COMMUNE_VIEW = {"perimetre": "commune:35047", "debut": "2025-11", "fin": "2026-10"}
BRIGADE_VIEW = {"perimetre": "brigade:B35047", "debut": "2025-11", "fin": "2026-10"}


def test_commune_profile_layout_and_french_refusal(app):
    page = sys.modules["dashboard.pages.profil_commune"]
    with app.server.test_request_context("/commune"):
        flask.g.user = User("prefet35", "prefet", "35")
        mine = text(page.layout(code="35047").to_plotly_json())
        other = text(page.layout(code="56003").to_plotly_json())
        nothing = text(page.layout().to_plotly_json())
    assert "Bruz (35047)" in mine and "Brigade de Bruz" in mine
    assert '"perimetre": "commune:35047"' in mine
    assert "Cette commune est inconnue ou n'est pas dans votre périmètre." in other
    assert "Arradon" not in other
    assert "Aucune commune choisie" in nothing


def test_commune_profile_figures_and_sections(app):
    client = client_for(app, "prefet35")
    response = response_of(profile_call(client, "commune", COMMUNE_VIEW))
    kpis = text(response["fiche-commune-chiffres"])
    assert f'"{facts_of(app, "35047")}"' in kpis
    assert "SMS remis aux élus : 100,0" in kpis
    sections = text(response["fiche-commune-sections"])
    for title in ("Faits enregistrés par mois", "Délinquance enregistrée (SSMSI)",
                  "Plaintes d'élus", "Alertes SMS", "Attentes exprimées (DCAS)",
                  "Consultations DCAS et leur suivi", "Formations et sensibilisation",
                  "Diagnostics cyber", "Présence sur la voie publique",
                  "Contacts d'alerte des élus"):
        assert title in sections, title
    assert "PL-35047-0" in sections and "Réalisée" in sections
    assert "+336" not in sections  # a prefect never sees élus' phone numbers
    assert "ne sont visibles que des brigades" in sections
    # the facts per category: the smoothed rate first, its interval, the raw rate beside
    for header in ("Taux lissé pour 1 000", "Bas (90 %)", "Haut (90 %)", "Incertitude",
                   "Taux brut pour 1 000 habitants"):
        assert header in sections, header
    assert "Taux lissé (bayésien empirique)" in sections


def test_profile_callbacks_refuse_forged_territories(app):
    prefet = client_for(app, "prefet35")
    for view in ({"perimetre": "commune:56003"}, {"perimetre": "departement:35"},
                 {"perimetre": "brigade:B56003"}, {"perimetre": "commune:35047';--"}):
        assert profile_call(prefet, "commune", view).status_code == 403, view
    export = {"type": "fiche-commune-export", "section": "plaintes"}
    download = {"type": "fiche-commune-telechargement", "section": "plaintes"}
    r = post(prefet, [(download, "data")], [(export, "n_clicks", 1)],
             [("fiche-commune-vue", "data", {"perimetre": "commune:56003"})])
    assert r.status_code == 403
    brigade = client_for(app, "brigade35")
    assert profile_call(brigade, "brigade", {"perimetre": "brigade:B35253"}).status_code == 403


def test_profile_section_csv_export(app):
    export = {"type": "fiche-commune-export", "section": "plaintes"}
    download = {"type": "fiche-commune-telechargement", "section": "plaintes"}
    response = response_of(post(client_for(app, "prefet35"), [(download, "data")],
                                [(export, "n_clicks", 1)],
                                [("fiche-commune-vue", "data", COMMUNE_VIEW)]))
    data = response[_key(download)]["data"]
    assert data["filename"] == "commune_35047_plaintes_2025-11_2026-10.csv"
    import base64

    rows = list(csv.reader(io.StringIO(base64.b64decode(data["content"]).decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[0][:3] == ["Plainte", "Date des faits", "Dépôt"]
    assert sorted(r[0] for r in rows[1:]) == ["PL-35047-0", "PL-35047-1", "PL-35047-2"]


def test_brigade_profile_lists_its_communes_and_shows_phones_to_the_brigade(app):
    client = client_for(app, "brigade35")
    sections = text(response_of(profile_call(client, "brigade", BRIGADE_VIEW))[
        "fiche-brigade-sections"])
    assert "Communes desservies" in sections
    assert "/commune?code=35066&debut=2025-11&fin=2026-10" in sections
    assert "+33639980000" in sections  # the brigade may call its élus
    page = sys.modules["dashboard.pages.profil_brigade"]
    with app.server.test_request_context("/brigade"):
        flask.g.user = User("brigade35", "brigade", "35", "B35047")
        card = text(page.layout(id="B35047").to_plotly_json())
        refused = text(page.layout(id="B35253").to_plotly_json())
    assert "Brigade de Bruz" in card and "effectif 24 (modélisé)" in card
    assert "Téléphone, adresse et horaires non renseignés" in card
    assert "Cette brigade est inconnue ou n'est pas dans votre périmètre." in refused

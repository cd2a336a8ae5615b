"""The national commune map through the Dash app (Flask's test client, fixture warehouse): an
analyst's national « maille commune » is the map of every commune (WebGL points), not the
départements' map it used to fall back to; a préfet asking for it is refused (403) and his
page keeps his own département."""

from __future__ import annotations

import sys

import flask
import pytest

from dashboard.core.access import User
from dashboard.views.map_indicators import CONTROLS
from tests.support.dash_callbacks import callback_body, client_for, operational_app, text
from tests.support.dashboard_fixture import COMMUNES

ACCOUNTS = {"analyste.test": ("analyste", None, None), "admin.test": ("admin", None, None),
            "prefet35": ("prefet", "35", None)}
NATIONAL = {"perimetre": "france", "maille": "commune", "debut": "2025-11", "fin": "2026-10"}
MAP_OUTPUTS = [("carte-carte", "figure"), ("carte-titre", "children"),
               ("carte-info", "children"), ("carte-legende-gris", "children"),
               ("carte-legende", "children"), ("carte-dessin", "data")]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("carte_communes"), ACCOUNTS) as app:
        yield app


def map_call(client, view, indicator="faits_taux", drawn=None, changed="carte-vue.data"):
    """The map callback as Dash's front end posts it (``changed``: the input that fired)."""
    inputs = [("carte-vue", "data", view), ("carte-indicateur", "value", indicator)]
    inputs += [(f"carte-{c}", "value", None) for c in CONTROLS]
    body = callback_body(MAP_OUTPUTS, inputs, [("carte-dessin", "data", drawn)])
    body["changedPropIds"] = [changed]
    return client.post("/_dash-update-component", json=body)


@pytest.mark.parametrize("login", ["analyste.test", "admin.test"])
def test_national_commune_map_shows_every_commune_for_national_roles(app, login):
    response = map_call(client_for(app, login), NATIONAL)
    assert response.status_code == 200, response.data[:300]
    out = response.get_json()["response"]
    figure = out["carte-carte"]["figure"]
    assert {t["type"] for t in figure["data"]} == {"scattergl"}
    assert figure["layout"]["shapes"][0]["type"] == "path"  # the départements' outlines
    drawn = [c for t in figure["data"] for c in t.get("ids", [])]
    # every commune of the fixture, Martinique's included (an inset): not 3 départements
    assert sorted(drawn) == sorted(c[0] for c in COMMUNES)
    assert "Rennes" in [n for t in figure["data"] for n in t.get("text", [])]
    assert figure["data"][0]["hovertemplate"].startswith("<b>%{text} (%{id})</b>")
    assert out["carte-titre"]["children"].startswith("Communes — France entière")
    caption = out["carte-legende"]["children"]
    assert caption.startswith("Vue nationale par commune")
    assert "Taux : faits enregistrés pour 1 000 habitants." in caption
    assert out["carte-dessin"]["data"]["vue"]["maille"] == "commune"


def test_a_new_indicator_patches_the_points_only(app):
    client = client_for(app, "analyste.test")
    first = map_call(client, NATIONAL).get_json()["response"]
    drawn = first["carte-dessin"]["data"]
    again = map_call(client, NATIONAL, "dcas", drawn=drawn, changed="carte-indicateur.value")
    assert again.status_code == 200
    figure = again.get_json()["response"]["carte-carte"]["figure"]
    assert "__dash_patch_update" in figure
    touched = {op["location"][1] for op in figure["operations"]}
    # every trace (which class a commune is in changes); the layout (outlines) stays
    assert touched == set(range(len(first["carte-carte"]["figure"]["data"])))
    assert not any(op["location"][0] == "layout" for op in figure["operations"])
    assert "Consultations DCAS" in text(figure)


def test_the_national_map_offers_the_commune_unit(app):
    page = sys.modules["dashboard.pages.carte"]
    with app.server.test_request_context("/carte"):
        flask.g.user = User("analyste.test", "analyste")
        layout = text(page.layout(perimetre="france", maille="commune").to_plotly_json())
    assert '"value": "commune"' in layout and '"type": "scattergl"' in layout
    assert "Vue nationale par commune" in layout


def test_a_prefet_gets_his_scope_only(app):
    prefet = client_for(app, "prefet35")
    assert map_call(prefet, NATIONAL).status_code == 403
    page = sys.modules["dashboard.pages.carte"]
    with app.server.test_request_context("/carte"):
        flask.g.user = User("prefet35", "prefet", "35")
        layout = text(page.layout(perimetre="france", maille="commune").to_plotly_json())
    assert '"perimetre": "departement:35"' in layout
    assert '"type": "scattergl"' not in layout and '"type": "choropleth"' in layout
    assert "Vue nationale par commune" not in layout and "Vannes" not in layout

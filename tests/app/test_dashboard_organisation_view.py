"""What the organisation page shows, read from the small fixture warehouse."""

import duckdb
import pytest

from dashboard.core.components import data_table, kpi_cards
from dashboard.core.warehouse import Warehouse
from dashboard.queries import organisation as queries
from dashboard.views import organisation as view
from tests.support.dashboard_fixture import build_small_warehouse


def shown_map(warehouse, departement, indicator):
    """The page's path: the queries read the frames, the view shapes them."""
    return view.map_view(queries.map_frames(warehouse, departement), departement, indicator)


def scope_kpis(warehouse, departement):
    frames = queries.scope_frames(warehouse, departement)
    return view.scope_kpis(frames.departements, frames.summary, frames.modelled, departement)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = build_small_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")
    wh = Warehouse(path)
    yield wh
    wh.close()


def test_national_view_draws_metropolitan_departements_and_lists_all(warehouse):
    shown = shown_map(warehouse, None, "gendarmes_10000")
    assert shown.message is None and shown.map_message is None
    assert shown.frame["code"].tolist() == ["35", "56", "972"]
    figure = shown.figure()
    assert list(figure.data[0].locations) == ["35", "56"]
    assert figure.data[0].customdata[0][0] == "35 — Ille-et-Vilaine"
    assert shown.export_filename() == "organisation_france.csv"
    assert "Cliquez" in shown.figure_caption


def test_departement_view_shows_its_brigades(warehouse):
    shown = shown_map(warehouse, "972", "effectif")
    assert shown.title.startswith("Brigades — 972 Martinique")
    assert shown.frame["code"].tolist() == ["B97213"]
    assert not shown.metropolitan
    figure = shown.figure()
    assert figure.layout.geo.projection.type == "mercator"
    assert list(figure.data[0].z) == [30.0]
    assert shown.export_filename() == "organisation_departement_972.csv"


def test_indicator_of_the_other_level_falls_back(warehouse):
    assert shown_map(warehouse, "35", "nb_brigades").indicator.key == "population"


def test_unknown_departement_is_refused(warehouse):
    shown = shown_map(warehouse, "x" * 40, None)
    assert shown.message.startswith("Département inconnu : « xxxxxxxxxxxx… »")
    assert shown.figure().layout.annotations[0].text == shown.message


def test_departement_without_brigade(tmp_path):
    path = build_small_warehouse(tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM brigades WHERE departement = ?", ["56"])
    con.close()
    wh = Warehouse(path)
    try:
        assert shown_map(wh, "56", None).message == view.NO_BRIGADE
    finally:
        wh.close()


def test_scope_kpis(warehouse):
    heading, kpis = scope_kpis(warehouse, None)
    assert heading == "France entière" and len(kpis) == 8
    heading, kpis = scope_kpis(warehouse, "35")
    assert heading == "35 — Ille-et-Vilaine" and len(kpis) == 7
    assert scope_kpis(warehouse, "99")[1] == []


def test_departement_options_mark_overseas(warehouse):
    options = view.departement_options(warehouse.departements())
    assert options[-1] == {"label": "972 — Martinique (outre-mer)", "value": "972"}


def test_components_render_an_accessible_table_and_cards(warehouse):
    shown = shown_map(warehouse, None, None)
    table = data_table(shown.frame, shown.columns, shown.caption, decimals=shown.decimals)
    caption, head, body = table.children
    assert caption.children == shown.caption
    assert all(th.scope == "col" for th in head.children.children)
    # the rows travel in Dash's wire format (components.wire), as html.Tr(...) would
    first_row = body.children[0]["props"]["children"]
    assert body.children[0]["type"] == "Tr"
    assert first_row[0] == {"type": "Th", "namespace": "dash_html_components",
                            "props": {"children": "35", "scope": "row"}}
    assert first_row[-1]["props"] == {"children": "11,1", "className": "text-end"}
    cards = kpi_cards(scope_kpis(warehouse, None)[1])
    assert len(cards.children) == 8


def test_wire_elements_are_what_dash_components_serialise_to():
    import json

    from dash import html
    from plotly.utils import PlotlyJSONEncoder

    from dashboard.core.components import wire

    def as_json(obj):
        return json.loads(json.dumps(obj, cls=PlotlyJSONEncoder))

    assert as_json(wire("Td", "12,5", className="text-end")) == as_json(
        html.Td("12,5", className="text-end"))
    assert as_json(wire("Tr", [wire("Th", "Rennes", scope="row")])) == as_json(
        html.Tr([html.Th("Rennes", scope="row")]))
    assert wire("Td", "x", className=None)["props"] == {"children": "x"}

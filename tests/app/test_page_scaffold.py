"""Every data page goes through one scaffold: an out-of-scope shared link gets the same refusal
and exactly one audit record everywhere; the pages share the default period and the failure
message."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from etl.ops.store import audit_log, get_engine
from tests.conftest import make_settings
from tests.support.dash_callbacks import client_for, find, operational_app, page, text

#: every page's links, derived from the pages the app registers: the Morbihan (56), then
#: Ille-et-Vilaine (35), in the territory parameter every data page reads...
DEFAULT_LINKS = ("?perimetre=departement:56", "?perimetre=departement:35")
#: ...but for these pages, which read another parameter or which only another role may open:
#: path -> (out-of-scope link, in-scope link, who opens them; default: the préfet of 35)
LINKS: dict[str, tuple[str, str, str]] = {
    "/": ("?departement=56", "?departement=35", "prefet35"),
    "/carte": ("?perimetre=departement:56&maille=commune", "?perimetre=departement:35",
               "prefet35"),
    "/commune": ("?code=56003", "?code=35047", "prefet35"),
    "/brigade": ("?id=B56003", "?id=B35047", "prefet35"),
    "/alertes": ("?departement=56", "?departement=35", "prefet35"),
    "/alertes/contacts": ("?departement=56", "?departement=35", "prefet35"),
    # a préfet may not write alerts: the composer is opened by a commandant
    "/alertes/nouvelle": ("?departement=56", "?departement=35", "commandant35"),
}
#: registered pages with no territory in their address, and why
EXCEPTED: dict[str, str] = {
    "/methodologie": "the same page for everyone: no territory",
    "/404": "no data",
    "/alertes/alerte": "one alert by its id: another département's alert is refused in "
                       "tests/app/test_alertes_app.py",
    **{f"/saisie/{form}": "a form: its commune is chosen in the form among the user's own "
                          "(tests/app/test_saisie_app.py)"
       for form in ("dcas", "plainte", "formation", "immersion", "diagnostic")},
    "/saisie/mes-saisies": "the month's entries of the user's own communes "
                           "(tests/app/test_mes_saisies_app.py)",
    "/administration/journal": "the audit log, administrators only: no territory in its "
                               "address; other roles refused in tests/app/test_journal_app.py",
}


def _registered_paths() -> list[str]:
    """The paths of the pages the app registers (``dash.page_registry``, which creating the
    app fills), in the registry's order."""
    import dash

    from dashboard.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        create_app(make_settings(Path(tmp)))
        return [p["path"] for p in dash.page_registry.values()]


REGISTERED = _registered_paths()
#: (path, out-of-scope link, in-scope link, who) of every registered page not excepted
COVERED = [(path, *LINKS.get(path, (*DEFAULT_LINKS, "prefet35")))
           for path in REGISTERED if path not in EXCEPTED]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("scaffold"),
                         {"prefet35": ("prefet", "35", None),
                          "commandant35": ("commandant", "35", None)}) as app:
        yield app


def _refusals(app) -> int:
    url = app.server.config["PRESENCE_OPS_ENGINE"].url
    with get_engine(str(url)).connect() as con:
        return con.execute(select(func.count()).select_from(audit_log)
                           .where(audit_log.c.action == "acces_refuse")).scalar_one()


def test_every_registered_page_has_its_links_or_a_reason():
    """A new page is checked below with the default links; one that reads another parameter
    or needs another role declares it in LINKS, one with no territory says why in EXCEPTED;
    an entry for a page no longer registered is an error."""
    assert set(LINKS) <= set(REGISTERED) and set(EXCEPTED) <= set(REGISTERED)
    assert not set(LINKS) & set(EXCEPTED)
    assert {c[0] for c in COVERED} | set(EXCEPTED) == set(REGISTERED)


@pytest.mark.parametrize(("path", "search", "login"), [(p, out, who) for p, out, _in, who
                                                       in COVERED], ids=[c[0] for c in COVERED])
def test_an_out_of_scope_link_gets_the_same_refusal_and_one_audit_record(app, path, search,
                                                                         login):
    client = client_for(app, login)
    before = _refusals(app)
    tree = page(client, path, search)
    block = find(tree, "acces-refuse")
    assert block is not None, f"{path}{search}: no refusal block"
    assert "Accès refusé" in text(block) and "périmètre" in text(block)
    assert block["role"] == "alert"
    assert _refusals(app) == before + 1, f"{path}{search}: not exactly one audit record"
    assert "Morbihan" not in text(tree) and "Arradon" not in text(tree)


@pytest.mark.parametrize(("path", "search", "login"), [(p, own, who) for p, _out, own, who
                                                       in COVERED], ids=[c[0] for c in COVERED])
def test_a_link_in_scope_is_not_refused_nor_audited(app, path, search, login):
    client = client_for(app, login)
    before = _refusals(app)
    assert find(page(client, path, search), "acces-refuse") is None
    assert _refusals(app) == before


def test_the_brigade_role_gets_its_brigade_instead_of_the_organisation(tmp_path):
    with operational_app(tmp_path, {"brigade35": ("brigade", "35", "B35047")}) as app:
        client = client_for(app, "brigade35")
        tree = page(client, "/", "?departement=35")
        shown = text(tree)
        assert "Ouvrir la fiche de votre brigade" in shown and "/brigade?id=B35047" in shown
        assert find(tree, "organisation-carte") is None  # no map of the département
        assert "Morbihan" not in shown

"""Every data page goes through one scaffold: an out-of-scope shared link gets the same refusal
and exactly one audit record everywhere; the pages share the default period and the failure
message."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from etl.ops.store import audit_log, get_engine
from tests.support.dash_callbacks import client_for, find, operational_app, page, text

#: a link to the Morbihan (56) on each data page, opened by the prefect of Ille-et-Vilaine
FOREIGN_LINKS = [
    ("/", "?departement=56"),
    ("/vue-ensemble", "?perimetre=departement:56"),
    ("/carte", "?perimetre=departement:56&maille=commune"),
    ("/tendances", "?perimetre=departement:56"),
    ("/commune", "?code=56003"),
    ("/brigade", "?id=B56003"),
    ("/recommandations", "?perimetre=departement:56"),
    ("/suivi-dcas", "?perimetre=departement:56"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("scaffold"),
                         {"prefet35": ("prefet", "35", None)}) as app:
        yield app


def _refusals(app) -> int:
    url = app.server.config["PRESENCE_OPS_ENGINE"].url
    with get_engine(str(url)).connect() as con:
        return con.execute(select(func.count()).select_from(audit_log)
                           .where(audit_log.c.action == "acces_refuse")).scalar_one()


@pytest.mark.parametrize(("path", "search"), FOREIGN_LINKS)
def test_an_out_of_scope_link_gets_the_same_refusal_and_one_audit_record(app, path, search):
    client = client_for(app, "prefet35")
    before = _refusals(app)
    tree = page(client, path, search)
    block = find(tree, "acces-refuse")
    assert block is not None, f"{path}{search}: no refusal block"
    assert "Accès refusé" in text(block) and "périmètre" in text(block)
    assert block["role"] == "alert"
    assert _refusals(app) == before + 1, f"{path}{search}: not exactly one audit record"
    assert "Morbihan" not in text(tree) and "Arradon" not in text(tree)


@pytest.mark.parametrize(("path", "search"), [
    ("/", "?departement=35"), ("/vue-ensemble", "?perimetre=departement:35"),
    ("/carte", "?perimetre=departement:35"), ("/tendances", "?perimetre=departement:35"),
    ("/commune", "?code=35047"), ("/brigade", "?id=B35047"),
    ("/recommandations", "?perimetre=departement:35")])
def test_a_link_in_scope_is_not_refused_nor_audited(app, path, search):
    client = client_for(app, "prefet35")
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

"""The « Fiche préfet » page and its PDF, and the « Plan de la brigade » page, through Flask's test
client on the fixture warehouse: who gets what (a brigade is refused a département's brief with
a 403 and one audit record; a forged territory is a 403), the page's sections and its CSV, the
PDF read back with pypdf, the applied plan of a brigade or « Aucun plan appliqué »."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from etl.ops import plans
from etl.ops.store import audit_log, get_engine
from tests.support.dash_callbacks import client_for, find, operational_app, page, post, update

ACCOUNTS = {"prefet35": ("prefet", "35", None), "commandant35": ("commandant", "35", None),
            "analyste.test": ("analyste", None, None), "brigade35": ("brigade", "35", "B35047")}
CONTENT = [("fiche-contenu", "children")]
PDF = [("fiche-pdf-telechargement", "data")]
CSV = [("fiche-communes-telechargement", "data")]
PLAN = [("plan-brigade-contenu", "children")]
STATE = {"perimetre": "departement:35", "debut": "2025-11", "fin": "2026-10"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("fiche"), ACCOUNTS) as app:
        yield app


def text(value) -> str:
    """A callback's output as text with its accents (plain JSON: plotly's encoder escapes every
    accent when the text holds « NaN », as the base64 of a picture may)."""
    return json.dumps(value, ensure_ascii=False)


def _engine(app):
    return get_engine(str(app.server.config["PRESENCE_OPS_ENGINE"].url))


def _refusals(app) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(audit_log)
                           .where(audit_log.c.action == "acces_refuse")).scalar_one()


def _pdf(client, state):
    return post(client, PDF, [("fiche-pdf", "n_clicks", 1)], [("fiche-vue", "data", state)])


def _content(client, state):
    return post(client, CONTENT, [("fiche-vue", "data", state)])


# --- the brief ---------------------------------------------------------------------------------

def test_the_prefet_reads_the_brief_of_his_departement(app):
    client = client_for(app, "prefet35")
    tree = page(client, "/fiche", "?perimetre=departement:35")
    assert find(tree, "acces-refuse") is None and find(tree, "fiche-pdf") is not None
    shown = text(update(client, CONTENT, [("fiche-vue", "data", STATE)]))
    for expected in ("35 — Ille-et-Vilaine", "Chiffres clés", "Carte des communes",
                     "Suivi des attentes DCAS", "Alertes SMS envoyées", "Formations et immersions",
                     "Toutes les communes", "Chartres-de-Bretagne", "Saint-Aubin-du-Cormier",
                     "Sources et méthode", "heure de Paris", "data:image/png;base64,",
                     "(synthétiques)"):
        assert expected in shown, expected
    # every indicator of every commune, police-zone communes included
    table = find(update(client, CONTENT, [("fiche-vue", "data", STATE)])["fiche-contenu"][
        "children"], "fiche-communes-tableau")
    assert table is not None
    rows = text(table)
    for commune in ("Bruz", "Javené", "Rennes", "Fougères"):
        assert commune in rows
    # each commune links to its profile on this host (« //commune » would be a host « commune »)
    assert "/commune?code=35047" in rows and "//commune" not in rows
    assert "Morbihan" not in shown and "Arradon" not in shown


def test_the_communes_table_exports_as_csv(app):
    client = client_for(app, "prefet35")
    data = update(client, CSV, [("fiche-communes-export", "n_clicks", 1)],
                  [("fiche-vue", "data", STATE)])["fiche-communes-telechargement"]["data"]
    content = base64.b64decode(data["content"]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content), delimiter=";"))
    assert data["filename"] == "fiche_prefet_35_ille_et_vilaine_communes.csv"
    assert sorted(r["Commune"] for r in rows) == sorted(
        ["Bruz", "Chartres-de-Bretagne", "Fougères", "Javené", "Rennes",
         "Saint-Aubin-du-Cormier"])
    assert {"Faits", "Plaintes d'élus", "Attentes DCAS ouvertes", "Score cyber"} <= set(rows[0])
    assert all(r["Zone"] in ("gend.", "police") for r in rows)


def test_the_pdf_is_drawn_on_the_server(app):
    client = client_for(app, "prefet35")
    response = update(client, PDF, [("fiche-pdf", "n_clicks", 1)],
                      [("fiche-vue", "data", STATE)])["fiche-pdf-telechargement"]["data"]
    assert response["filename"] == "fiche_prefet_35_ille_et_vilaine.pdf"
    assert response["type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(base64.b64decode(response["content"])))
    assert len(reader.pages) >= 3
    words = "\n".join(p.extract_text() for p in reader.pages)
    for expected in ("35 — Ille-et-Vilaine", "Chiffres clés", "Javené",
                     "Données de démonstration", "Sources et méthode"):
        assert expected in words, expected
    assert "Arradon" not in words
    # the communes' table is on landscape pages
    assert any(p.mediabox.width > p.mediabox.height for p in reader.pages)


def test_a_brigade_is_refused_the_departements_brief_and_audited(app):
    client = client_for(app, "brigade35")
    before = _refusals(app)
    assert _pdf(client, STATE).status_code == 403
    assert _refusals(app) == before + 1
    assert _content(client, STATE).status_code == 403
    assert _refusals(app) == before + 2
    # its own brigade's brief is its to read
    own = {"perimetre": "brigade:B35047", "debut": "2025-11", "fin": "2026-10"}
    response = update(client, PDF, [("fiche-pdf", "n_clicks", 1)], [("fiche-vue", "data", own)])
    reader = PdfReader(io.BytesIO(base64.b64decode(
        response["fiche-pdf-telechargement"]["data"]["content"])))
    words = "\n".join(p.extract_text() for p in reader.pages)
    assert "Brigade de Bruz" in words and "Chartres-de-Bretagne" in words
    assert "Javené" not in words


@pytest.mark.parametrize("forged", ["departement:56", "commune:56003", "brigade:B56003",
                                    "departement:99", ["departement:35"], "france"])
def test_a_forged_territory_is_a_403_and_audited(app, forged):
    client = client_for(app, "prefet35")
    before = _refusals(app)
    assert _pdf(client, {**STATE, "perimetre": forged}).status_code == 403
    assert _refusals(app) == before + 1


def test_a_national_analyst_chooses_a_departement(app):
    client = client_for(app, "analyste.test")
    shown = text(update(client, CONTENT, [("fiche-vue", "data", {"perimetre": "france"})]))
    assert "choisissez-en un" in shown
    response = _pdf(client, {"perimetre": "france"})  # nothing to download
    assert response.status_code in (200, 204) and b"base64" not in response.data
    shown = text(update(client, CONTENT, [("fiche-vue", "data", {
        **STATE, "perimetre": "departement:56"})]))
    assert "56 — Morbihan" in shown and "Arradon" in shown


# --- the brigade's plan ------------------------------------------------------------------------

def _plan(client, perimetre):
    return post(client, PLAN, [("plan-brigade-vue", "data", {"perimetre": perimetre})])


def test_a_brigade_without_an_applied_plan_says_so(app):
    client = client_for(app, "brigade35")
    tree = page(client, "/plan-brigade", "")
    assert find(tree, "acces-refuse") is None
    shown = text(update(client, PLAN, [("plan-brigade-vue", "data",
                                        {"perimetre": "brigade:B35047"})]))
    assert "Aucun plan appliqué pour cette brigade" in shown


def test_the_brigade_reads_the_plan_applied_for_it(app):
    engine = _engine(app)
    rows = [{"code_commune": "35047", "creneau": "semaine_soiree", "heures": 2.5, "visites": 10},
            {"code_commune": "35047", "creneau": "weekend_nuit", "heures": 1.0, "visites": 4},
            {"code_commune": "35066", "creneau": "semaine_jour", "heures": 0.75, "visites": 3}]
    older = [dict(rows[0], visites=99)]
    plans.record_decision(engine, "commandant35", "B35047", "2026-W44", "run-test", {}, older)
    decision = plans.record_decision(engine, "commandant35", "B35047", "2026-W45", "run-test",
                                     {}, rows)
    client = client_for(app, "brigade35")
    shown = text(update(client, PLAN, [("plan-brigade-vue", "data",
                                        {"perimetre": "brigade:B35047"})]))
    assert f"décision n° {decision}" in shown and "commandant35" in shown
    assert "semaine 45 de 2026, du lundi 2 au dimanche 8 novembre 2026" in shown
    for expected in ("Bruz", "Chartres-de-Bretagne", "Semaine, soirée (19h-23h)", "17 visites"):
        assert expected in shown, expected
    assert "99" not in text(find(update(client, PLAN, [("plan-brigade-vue", "data", {
        "perimetre": "brigade:B35047"})])["plan-brigade-contenu"]["children"],
        "plan-brigade-tableau"))
    # another brigade's plan is refused, and audited
    before = _refusals(app)
    assert _plan(client, "brigade:B35253").status_code == 403
    assert _plan(client, "departement:35").status_code == 403
    assert _refusals(app) == before + 2
    # the commandant reads his département's brigades, then any of them
    boss = client_for(app, "commandant35")
    listed = text(update(boss, PLAN, [("plan-brigade-vue", "data",
                                       {"perimetre": "departement:35"})]))
    assert "2026-W45" in listed and "Saint-Aubin-du-Cormier" in listed and "aucun" in listed
    assert "/plan-brigade?perimetre=brigade%3AB35047" in listed
    assert "Aucun plan appliqué" in text(_plan(boss, "brigade:B35253").get_json())
    assert _plan(boss, "brigade:B56003").status_code == 403

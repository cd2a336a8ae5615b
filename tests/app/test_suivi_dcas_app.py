"""The « Suivi des attentes DCAS » page through Flask's test client, on the fixture warehouse
(its open DCAS consultations are the « imported » ones) and the operational store: a record is
listed at once, filters, CSV export, a follow-up with its history, a stale version, adopting an
imported consultation, roles, forged territories and records (403, audited), odd values (400)."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dashboard.views.saisie import dom_id, error_id, field_id
from etl import clock
from etl.ops import records
from etl.ops.store import audit_log, record_tables
from etl.sources.validate import Known
from tests.support.dash_callbacks import client_for, find, operational_app, page, post, text, update

ACCOUNTS = {"brigade35": ("brigade", "35", "B35047"), "brigade_sa": ("brigade", "35", "B35253"),
            "cdt35": ("commandant", "35", None), "prefet35": ("prefet", "35", None),
            "analyste": ("analyste", None, None), "admin": ("admin", None, None)}
KNOWN = Known(communes={"35047", "35066", "35253", "35142", "56003", "56158"},
              brigades={"B35047", "B35253", "B56003"})
MINE = {"perimetre": "brigade:B35047"}
LIST = [("suivi-dcas-compte", "children"), ("suivi-dcas-kpis", "children"),
        ("suivi-dcas-liste", "children"), ("suivi-dcas-choix", "options")]
NAMES = ["actions_suivi", "statut", "date_suivi", "satisfaction"]
FIELDS = [field_id("suivi-dcas", n) for n in NAMES]
ERRORS = {n: error_id("suivi-dcas", n) for n in NAMES}
FORM = [("suivi-dcas-suivi", "hidden"), ("suivi-dcas-details", "children"),
        *[(f, "value") for f in FIELDS],
        ("suivi-dcas-etat", "data"), ("suivi-dcas-historique", "children"),
        ("suivi-dcas-message", "children"), ("suivi-dcas-bilan", "children"),
        *[(ERRORS[n], "children") for n in NAMES], ("suivi-dcas-enregistrements", "data")]
SAVE = {"index": "suivi", "type": "suivi-dcas-enregistrer"}
TODAY = clock.today()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("suivi_dcas"), ACCOUNTS) as app:
        yield app


def _engine(app):
    return app.server.config["PRESENCE_OPS_ENGINE"]


def _refusals(app) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == "acces_refuse")).scalar_one()


def _submit(app, commune="35047", brigade="B35047", days=12, login="brigade35", **values):
    result = records.submit(_engine(app), "dcas", {
        "date_consultation": TODAY - timedelta(days=days), "code_commune": commune,
        "brigade_id": brigade, "fonction_elu": "maire", "canal": "telephone",
        "attentes": "rodeos|cyber", "priorite": "moyenne", "statut": "a_traiter", **values},
        login, lambda _v: True, uuid.uuid4().hex, KNOWN)
    assert result.ok, result.errors
    return result


def _filters(shown, statut=None, priorite=None, theme=None, overdue=None) -> list[tuple]:
    """The territory and the filters, as the list and the export read them."""
    return [("suivi-dcas-vue", "data", shown), ("suivi-dcas-filtre-statut", "value", statut),
            ("suivi-dcas-filtre-priorite", "value", priorite),
            ("suivi-dcas-filtre-theme", "value", theme),
            ("suivi-dcas-filtre-retard", "value", overdue)]


def _list(client, shown=MINE, statut=None, priorite=None, theme=None, overdue=None, raw=False):
    inputs = [*_filters(shown, statut, priorite, theme, overdue),
              ("suivi-dcas-enregistrements", "data", 0)]
    return (post if raw else update)(client, LIST, inputs)


EXPORT = ([("suivi-dcas-telechargement", "data")], [("suivi-dcas-export", "n_clicks", 1)])


def _form(client, *, choice=None, clicks=None, shown=MINE, state=None, entered=(None,) * 4):
    """The follow-up callback: a choice, or (``clicks``) a save of the form's ``entered``
    values."""
    trigger = '{"index":"suivi","type":"suivi-dcas-enregistrer"}.n_clicks' if clicks else \
        "suivi-dcas-choix.value"
    body = {
        "output": ".." + "...".join(f"{dom_id(i)}.{p}" for i, p in FORM) + "..",
        "outputs": [{"id": i, "property": p} for i, p in FORM],
        "inputs": [{"id": "suivi-dcas-choix", "property": "value", "value": choice},
                   [{"id": SAVE, "property": "n_clicks", "value": clicks}] if clicks else []],
        "changedPropIds": [trigger],
        "state": [{"id": "suivi-dcas-vue", "property": "data", "value": shown},
                  {"id": "suivi-dcas-etat", "property": "data", "value": state},
                  *[{"id": f, "property": "value", "value": v}
                    for f, v in zip(FIELDS, entered, strict=True)]],
    }
    return client.post("/_dash-update-component", json=body)


def _ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _value(out, name):
    return out[dom_id(field_id("suivi-dcas", name))]["value"]


def _error(out, name):
    return out[ERRORS[name]]["children"]


def _ids(out) -> list[str]:
    return [o["value"] for o in out["suivi-dcas-choix"]["options"]]


# --- the page and its roles --------------------------------------------------------------------

@pytest.mark.parametrize(("login", "shown", "writer"), [
    ("brigade35", "brigade:B35047", True), ("cdt35", "departement:35", True),
    ("prefet35", "departement:35", False)])
def test_the_page_renders_for_its_roles(app, login, shown, writer):
    tree = page(client_for(app, login), "/suivi-dcas")
    assert find(tree, "suivi-dcas-vue")["data"] == {"perimetre": shown}
    shown_text = text(tree)
    assert "Suivi des attentes DCAS" in shown_text and "Exporter (CSV)" in shown_text
    assert ("Enregistrer le suivi" in shown_text) is writer
    assert ("Lecture seule" in shown_text) is not writer
    for label in ("Actions de suivi", "Statut du suivi", "Date du dernier suivi",
                  "Satisfaction de l'élu"):
        assert label in shown_text  # every input has its visible label


def test_a_commandant_chooses_a_brigade_and_an_admin_a_territory(app):
    tree = page(client_for(app, "cdt35"), "/suivi-dcas", "?perimetre=brigade:B35253")
    assert find(tree, "suivi-dcas-vue")["data"] == {"perimetre": "brigade:B35253"}
    options = [o["value"] for o in find(tree, "suivi-dcas-perimetre")["options"]]
    assert {"departement:35", "brigade:B35047", "brigade:B35253"} <= set(options)
    tree = page(client_for(app, "admin"), "/suivi-dcas")
    assert find(tree, "suivi-dcas-vue")["data"] is None
    assert "Choisissez un département" in text(tree)
    out = _list(client_for(app, "admin"), {"perimetre": "departement:56"})
    assert "DC-56003" in text(out["suivi-dcas-liste"])


def test_analysts_are_refused(app):
    client = client_for(app, "analyste")
    tree = page(client, "/suivi-dcas")
    assert "réservée aux brigades" in text(tree) and find(tree, "suivi-dcas-liste") is None
    before = _refusals(app)
    assert _list(client, {"perimetre": "departement:35"}, raw=True).status_code == 403
    assert _refusals(app) == before + 1


def test_an_out_of_scope_address_is_refused_once_and_audited(app):
    client = client_for(app, "brigade35")
    before = _refusals(app)
    tree = page(client, "/suivi-dcas", "?perimetre=brigade:B35253")
    assert find(tree, "acces-refuse") is not None
    assert find(tree, "suivi-dcas-vue")["data"] == MINE
    assert _refusals(app) == before + 1


# --- the work list -----------------------------------------------------------------------------

def test_a_submitted_record_is_listed_at_once_with_the_imported_ones(app):
    client = client_for(app, "brigade35")
    result = _submit(app)
    out = _list(client)
    table = text(out["suivi-dcas-liste"])
    assert result.ident in table and "Importée" in table and "Saisie" in table
    assert "DC-35066" in table and "Chartres-de-Bretagne" in table
    assert "DC-35253" not in table and "DC-56003" not in table  # other brigades
    assert "DC-35047" not in table  # « réalisée »: not open
    assert "Rodéos, Cybersécurité" in table and "En retard" in table
    ids = _ids(out)
    assert ids.index("DC-35066") < ids.index(result.ident)  # the oldest first
    assert "attentes ouvertes affichées" in out["suivi-dcas-compte"]["children"]
    assert "Âge médian" in text(out["suivi-dcas-kpis"])
    # the brigade of Saint-Aubin-du-Cormier does not see it
    assert result.ident not in text(_list(client_for(app, "brigade_sa"),
                                          {"perimetre": "brigade:B35253"})["suivi-dcas-liste"])


def test_deleted_and_closed_records_leave_the_list(app):
    client = client_for(app, "brigade35")
    gone = _submit(app, actions_suivi="à supprimer")
    done = _submit(app, statut="realisee", date_suivi=TODAY, satisfaction=5)
    records.delete(_engine(app), "dcas", gone.record_id, "brigade35", lambda _v: True)
    table = text(_list(client)["suivi-dcas-liste"])
    assert gone.ident not in table and done.ident not in table


def test_filters(app):
    client = client_for(app, "brigade35")
    recent = _submit(app, priorite="basse", attentes="stupefiants")
    late = _ids(_list(client, overdue=["oui"]))
    assert "DC-35066" in late and recent.ident not in late
    assert _ids(_list(client, statut="en_cours")) == ["DC-35066"]
    assert _ids(_list(client, priorite="basse")) == [recent.ident]
    assert _ids(_list(client, theme="stupefiants")) == [recent.ident]
    empty = _list(client, theme="stupefiants", overdue=["oui"])
    assert "Aucune attente ouverte" in text(empty["suivi-dcas-liste"])


@pytest.mark.parametrize("forged", [
    {"statut": "close"}, {"priorite": ["haute"]}, {"theme": "' OR 1=1 --"},
    {"overdue": "oui"}, {"shown": "brigade:B35047"}])
def test_odd_filter_values_are_a_french_400(app, forged):
    response = _list(client_for(app, "brigade35"), **{"raw": True, **forged})
    if "shown" in forged:  # not a mapping: nothing to draw, nothing read
        assert response.status_code == 204
        return
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)


def test_the_csv_export_holds_the_filtered_list(app):
    client = client_for(app, "cdt35")
    out = update(client, *EXPORT, _filters({"perimetre": "departement:35"}, overdue=["oui"]))
    download = out["suivi-dcas-telechargement"]["data"]
    assert download["filename"].startswith("suivi-dcas-departement-35-")
    raw = base64.b64decode(download["content"])
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert {r["Consultation"] for r in rows} >= {"DC-35066", "DC-35253"}
    assert all(r["En retard"] == "oui" for r in rows)
    assert rows[0]["Origine"] == "Importée" and rows[0]["Commune"]
    before = _refusals(app)
    forged = post(client_for(app, "brigade35"), *EXPORT,
                  _filters({"perimetre": "departement:35"}))
    assert forged.status_code == 403 and _refusals(app) == before + 1


# --- the follow-up -----------------------------------------------------------------------------

def test_a_follow_up_saves_a_new_version_with_its_history(app):
    client = client_for(app, "brigade35")
    result = _submit(app)
    shown = _ok(_form(client, choice=result.ident))
    assert shown["suivi-dcas-suivi"]["hidden"] is False
    assert _value(shown, "statut") == "a_traiter"
    assert _value(shown, "date_suivi") == TODAY.isoformat()
    assert _value(shown, "satisfaction") is None
    state = shown["suivi-dcas-etat"]["data"]
    assert state["id"] == result.record_id and state["version"] == 1
    assert "Création" in text(shown["suivi-dcas-historique"])
    out = _ok(_form(client, clicks=1, state=state, entered=(
        "Patrouilles de soirée", "en_cours", TODAY.isoformat(), 4)))
    assert "version 2" in text(out["suivi-dcas-message"])
    assert out["suivi-dcas-etat"]["data"]["version"] == 2
    history = text(out["suivi-dcas-historique"])
    assert "brigade35" in history and "Suivi (correction)" in history
    assert "Statut : À traiter → En cours" in history and "Satisfaction (1 à 5) : — → 4" in history
    stored = records.get(_engine(app), "dcas", result.record_id)
    assert (stored["version"], stored["statut"], stored["satisfaction"]) == (2, "en_cours", 4)
    assert stored["updated_by"] == "brigade35"
    # a commandant of the département follows it up too; the list shows the new status
    state = out["suivi-dcas-etat"]["data"]
    again = _ok(_form(client_for(app, "cdt35"), clicks=1, shown={"perimetre": "departement:35"},
                      state=state, entered=("Réunion publique", "realisee",
                                            TODAY.strftime("%d/%m/%Y"), "5")))
    assert "version 3" in text(again["suivi-dcas-message"])
    assert result.ident not in _ids(_list(client))  # done: not open


def test_a_bad_value_gets_its_french_reason_next_to_its_field(app):
    client = client_for(app, "brigade35")
    result = _submit(app)
    state = _ok(_form(client, choice=result.ident))["suivi-dcas-etat"]["data"]
    future = (TODAY + timedelta(days=3)).isoformat()
    out = _ok(_form(client, clicks=1, state=state, entered=("x", "en_cours", future, 4)))
    assert "date dans le futur" in _error(out, "date_suivi")
    assert _error(out, "satisfaction") is None
    summary = text(out["suivi-dcas-bilan"])
    assert "Le formulaire contient 1 erreur" in summary
    link = json.dumps("#" + dom_id(field_id("suivi-dcas", "date_suivi")))
    assert link in summary  # linked to its input
    out = _ok(_form(client, clicks=1, state=state, entered=("x", "en_cours", "hier", 9)))
    assert "date attendue" in _error(out, "date_suivi")
    out = _ok(_form(client, clicks=1, state=state, entered=("x", "en_cours", None, 9)))
    assert "supérieure au maximum" in _error(out, "satisfaction")
    out = _ok(_form(client, clicks=1, state=state, entered=("x", "ouvert", None, 2.5)))
    assert "valeur hors liste" in _error(out, "statut")
    assert "nombre entier attendu" in _error(out, "satisfaction")
    assert records.get(_engine(app), "dcas", result.record_id)["version"] == 1


def test_a_stale_version_is_refused_in_french(app):
    client = client_for(app, "brigade35")
    result = _submit(app)
    state = _ok(_form(client, choice=result.ident))["suivi-dcas-etat"]["data"]
    records.correct(_engine(app), "dcas", result.record_id, {"statut": "en_cours"}, "cdt35",
                    lambda _v: True, KNOWN, expected_version=1)
    out = _ok(_form(client, clicks=1, state=state, entered=("Rondes", "en_cours", None, None)))
    assert "modifié entre-temps" in text(out["suivi-dcas-bilan"])
    stored = records.get(_engine(app), "dcas", result.record_id)
    assert stored["version"] == 2 and stored["actions_suivi"] is None


def test_following_up_an_imported_consultation_adopts_it(app):
    client = client_for(app, "cdt35")
    shown = {"perimetre": "departement:35"}
    out = _ok(_form(client, choice="DC-35253", shown=shown))
    state = out["suivi-dcas-etat"]["data"]
    assert state["consultation"] == "DC-35253" and state["id"] is None
    assert "pas encore d'historique" in text(out["suivi-dcas-historique"])
    assert "Saint-Aubin-du-Cormier" in text(out["suivi-dcas-details"])
    saved = _ok(_form(client, clicks=1, shown=shown, state=state,
                      entered=("Contact pris", "en_cours", TODAY.isoformat(), None)))
    assert "reprise dans les saisies" in text(saved["suivi-dcas-message"])
    assert isinstance(saved["suivi-dcas-etat"]["data"]["id"], int)
    with _engine(app).connect() as con:
        table = record_tables["dcas"]
        row = con.execute(select(table).where(table.c.id_consultation == "DC-35253")
                          ).mappings().one()
    assert (row["statut"], row["actions_suivi"], row["brigade_id"]) == (
        "en_cours", "Contact pris", "B35253")
    assert row["attentes"] == "cambriolages|presence_heures_sensibles"  # the imported values
    ids = _ids(_list(client, shown))
    assert ids.count("DC-35253") == 1  # the same choice: the form stays on it
    assert text(_list(client, shown)["suivi-dcas-liste"]).count("DC-35253") == 1
    # the same form display sent again stores nothing twice; another one is told it moved
    replay = _ok(_form(client, clicks=1, shown=shown, state=state,
                       entered=("Contact pris", "en_cours", TODAY.isoformat(), None)))
    assert "reprise dans les saisies" in text(replay["suivi-dcas-message"])
    other = _ok(_form(client, clicks=1, shown=shown, state=state | {"cle": "autre"},
                      entered=("Autre suivi", "en_cours", TODAY.isoformat(), None)))
    assert "modifié entre-temps" in text(other["suivi-dcas-bilan"])
    with _engine(app).connect() as con:
        assert con.execute(select(func.count()).select_from(table).where(
            table.c.id_consultation == "DC-35253")).scalar_one() == 1
    # choosing the imported key again opens the stored record
    reopened = _ok(_form(client, choice="DC-35253", shown=shown))
    assert reopened["suivi-dcas-etat"]["data"]["id"] == row["id"]
    assert "Création" in text(reopened["suivi-dcas-historique"])


# --- refusals ----------------------------------------------------------------------------------

def test_a_brigade_asking_for_another_brigades_list_is_refused_and_audited(app):
    client = client_for(app, "brigade35")
    before = _refusals(app)
    for forged in ({"perimetre": "brigade:B35253"}, {"perimetre": "departement:35"},
                   {"perimetre": "commune:35253"}):
        assert _list(client, forged, raw=True).status_code == 403
    assert _refusals(app) == before + 3


def test_a_forged_record_of_another_brigade_is_refused_and_audited(app):
    theirs = _submit(app, commune="35253", brigade="B35253", login="brigade_sa")
    client = client_for(app, "brigade35")
    before = _refusals(app)
    assert _form(client, choice=theirs.ident).status_code == 403
    assert _form(client, choice="DC-35142").status_code == 403  # imported, theirs
    forged = {"consultation": theirs.ident, "id": theirs.record_id, "version": 1,
              "cle": "k" * 32}
    response = _form(client, clicks=1, state=forged, entered=("x", "close", None, None))
    assert response.status_code == 403
    forged = {"consultation": "DC-35142", "id": None, "version": None, "cle": "k" * 32}
    assert _form(client, clicks=1, state=forged,
                 entered=("x", "close", None, None)).status_code == 403
    assert _refusals(app) == before + 4
    assert records.get(_engine(app), "dcas", theirs.record_id)["version"] == 1


def test_a_prefet_reads_but_may_not_save(app):
    client = client_for(app, "prefet35")
    shown = {"perimetre": "departement:35"}
    mine = _submit(app)
    out = _ok(_form(client, choice=mine.ident, shown=shown))
    assert "Création" in text(out["suivi-dcas-historique"])
    before = _refusals(app)
    state = out["suivi-dcas-etat"]["data"]
    response = _form(client, clicks=1, shown=shown, state=state,
                     entered=("x", "close", None, None))
    assert response.status_code == 403 and "consulter" in response.get_data(as_text=True)
    assert _refusals(app) == before + 1


@pytest.mark.parametrize(("choice", "state"), [
    (12, None), (["DC-1"], None), ("x" * 65, None), ({"id": 1}, None),
    (None, "texte"), (None, {"consultation": "DC-1", "id": "1", "version": 1, "cle": "k"}),
    (None, {"consultation": "DC-1", "id": 1, "version": True, "cle": "k"}),
    (None, {"consultation": "DC-1", "id": None, "version": None, "cle": "k" * 65}),
    (None, {"consultation": None, "id": None, "version": None, "cle": "k"})])
def test_odd_form_values_are_a_french_400(app, choice, state):
    client = client_for(app, "brigade35")
    response = _form(client, choice=choice) if state is None else _form(
        client, clicks=1, state=state, entered=("x", "en_cours", None, None))
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)


def test_an_unknown_record_is_a_french_message(app):
    out = _ok(_form(client_for(app, "brigade35"), choice="DC-2026-S999999"))
    assert "introuvable" in text(out["suivi-dcas-message"])
    assert out["suivi-dcas-suivi"]["hidden"] is True

"""The « Formation » and « Immersion » input forms through Flask's test client, on the fixture
warehouse and the operational store: a good submission of each (records in the store), each
kind of bad input with its French message and nothing stored, a resubmitted page stored once,
an immersion scheduled then given its feedback (a new version, its history kept), a brigade
posting for another brigade's commune through a forged callback (403, audited), read-only
roles refused."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import duckdb
import pytest
from sqlalchemy import func, select

from dashboard.views import saisie_formation as formation
from dashboard.views.saisie import dom_id, error_id, field_id
from etl import clock
from etl.ops import records
from etl.ops.store import audit_log, record_tables
from etl.sources.immersions import FEEDBACK_TOO_EARLY, FUTURE_DONE
from etl.sources.validate import MISSING, Known
from tests.support.dash_callbacks import client_for, find, operational_app, page, text

ACCOUNTS = {"brigade35": ("brigade", "35", "B35047"), "brigade_sa": ("brigade", "35", "B35253"),
            "cdt35": ("commandant", "35", None), "prefet35": ("prefet", "35", None),
            "analyste": ("analyste", None, None)}
KNOWN = Known(communes={"35047", "35066", "35253", "35142", "35238"})
TODAY = clock.today()
PAST = (TODAY - timedelta(days=20)).isoformat()
FUTURE = (TODAY + timedelta(days=20)).isoformat()
SESSION = {"theme": "cyber_immunite", "date_session": PAST, "code_commune_session": "35047",
           "unite": "B35047"}
ATTENDEES = [{"fonction_participant": "maire", "code_commune_participant": "35047"},
             {"fonction_participant": "secretaire_mairie", "code_commune_participant": "35066"}]
IMMERSION = {"statut": "planifiee", "date_immersion": FUTURE, "code_commune": "35047",
             "fonction_elu": "maire", "type_unite": "brigade", "unite": "B35047",
             "duree_heures": 4, "note": None, "commentaire": None}
NEW_NAMES = list(IMMERSION)
FEEDBACK_NAMES = ["note", "commentaire", "duree_heures"]


def _prepare(path):
    """A planned and a done immersion in the fixture warehouse (as a file with the status
    column would load them), for the profile's query."""
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO immersions (id_immersion, date_immersion, code_commune, "
                    "fonction_elu, type_unite, unite, statut, synthetique, fichier, run_id, "
                    "empreinte) VALUES "
                    "('IM-2026-0001', DATE '2026-09-10', '35047', 'maire', 'corg', 'CORG35', "
                    "'planifiee', true, 'f', 'r', 'e1'), "
                    "('IM-2026-0002', DATE '2026-09-12', '35047', 'maire', 'corg', 'CORG35', "
                    "NULL, true, 'f', 'r', 'e2')")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("saisie_formation_immersion"), ACCOUNTS,
                         _prepare) as app:
        yield app


def _engine(app):
    return app.server.config["PRESENCE_OPS_ENGINE"]


def _count(app, table, *where) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _refusals(app) -> int:
    return _count(app, audit_log, audit_log.c.action == "acces_refuse")


def _rows(app, source: str, *where) -> list[dict]:
    table = record_tables[source]
    with _engine(app).connect() as con:
        return [dict(r) for r in con.execute(select(table).where(*where).order_by(
            table.c.id)).mappings()]


# --- calling a callback as Dash's front end does -------------------------------------------------

def _key(app, *parts: str) -> str:
    """The callback whose outputs hold every one of ``parts`` (as registered, with Dash's
    marks of duplicate outputs)."""
    [key] = [k for k in app.callback_map if all(p in k for p in parts)]
    return key


def _outputs(key: str, wildcard: dict | None = None) -> list:
    """The ``outputs`` of a request for the callback ``key``; a wildcard output (``ALL``)
    lists the components ``wildcard[its text]`` holds."""
    out = []
    for part in key.strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        prop = prop.split("@")[0]
        if ident.startswith("{"):
            if wildcard and ident in wildcard:
                out.append([{"id": i, "property": prop} for i in wildcard[ident]])
                continue
            ident = json.loads(ident)
        out.append({"id": ident, "property": prop})
    return out if key.startswith("..") else out[0]  # one output: not in a list


def _call(client, app, key, inputs, state=(), changed=None, wildcard=None):
    body = {"output": key, "outputs": _outputs(key, wildcard), "inputs": list(inputs),
            "changedPropIds": changed or [], "state": list(state)}
    return client.post("/_dash-update-component", json=body)


def _ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _hrefs(tree) -> list[str]:
    """Every link target in a callback's outputs (the error summary's links)."""
    if isinstance(tree, dict):
        own = [tree["href"]] if isinstance(tree.get("href"), str) else []
        return own + [h for v in tree.values() for h in _hrefs(v)]
    if isinstance(tree, list):
        return [h for v in tree for h in _hrefs(v)]
    return []


def _fields(form: str, values: dict) -> list[dict]:
    return [{"id": field_id(form, n), "property": "value", "value": v} for n, v in values.items()]


# --- « Formation » -------------------------------------------------------------------------------

def _attendee_states(attendees: list[dict]) -> list[dict]:
    return [{"id": formation.attendee_id(i, n), "property": "value", "value": a.get(n)}
            for i, a in enumerate(attendees) for n in formation.ATTENDEE_FIELDS]


def _formation(client, app, key, session=SESSION, attendees=ATTENDEES):
    cb = _key(app, "..formation-resultat.children...", "formation-correction.data...")
    return _call(client, app, cb, [{"id": "formation-enregistrer", "property": "n_clicks",
                                    "value": 1}],
                 [_fields("formation", session), _attendee_states(attendees),
                  {"id": "formation-cle", "property": "data", "value": key},
                  {"id": "formation-correction", "property": "data", "value": None}],
                 ["formation-enregistrer.n_clicks"])


def _session_rows(app, ident):
    return _rows(app, "trainings", record_tables["trainings"].c.id_session == ident)


@pytest.mark.parametrize(("login", "writer"), [("brigade35", True), ("cdt35", True),
                                               ("prefet35", False), ("analyste", False)])
def test_the_training_page_renders_for_writers_only(app, login, writer):
    tree = page(client_for(app, login), "/saisie/formation")
    shown = text(tree)
    assert "Saisie d'une session de formation" in shown
    assert ("Ajouter un participant" in shown and "Enregistrer" in shown) is writer
    assert ("Lecture seule" in shown) is not writer
    if writer:
        for label in ("Thème de la formation", "Date de la session",
                      "Commune où s'est tenue la session", "Unité qui l'a animée",
                      "Fonction du participant", "Commune du participant", "Retirer"):
            assert label in shown
        unit = find(tree, field_id("formation", "unite"))["value"]
        assert unit == ("B35047" if login == "brigade35" else "G35")
        assert find(tree, formation.attendee_id(0, "fonction_participant")) is not None


def test_a_session_and_its_attendees_are_stored_once(app):
    client = client_for(app, "brigade35")
    key = "cle-formation-bonne"
    out = _ok(_formation(client, app, key))
    shown = text(out["formation-resultat"])
    assert "Session enregistrée" in shown and "2 participations" in shown
    ident = re.search(r"FS-\d{4}-S\d{10}", shown).group(0)
    assert ident == formation.session_id(key, int(PAST[:4]))  # the form display's session
    stored = _session_rows(app, ident)
    assert [(r["fonction_participant"], r["code_commune_participant"]) for r in stored] == [
        ("maire", "35047"), ("secretaire_mairie", "35066")]
    assert {(r["theme"], r["date_session"].isoformat(), r["code_commune_session"], r["unite"],
             r["created_by"]) for r in stored} == {("cyber_immunite", PAST, "35047", "B35047",
                                                    "brigade35")}
    ids = [r["id_participation"] for r in stored]
    assert all(re.fullmatch(r"FP-S\d{6}", i) for i in ids) and len(set(ids)) == 2
    for i, r in zip(ids, stored, strict=True):  # each attendance id and record number shown
        assert i in shown and f"enregistrement n° {r['id']}" in shown
    # the key survives the confirmation, the attendees stay: the same session if sent again
    assert "formation-cle" not in out and "formation-participants" not in out
    assert "Nouvelle saisie" in shown
    # the same page sent again (a double click, a reload): nothing stored twice
    again = _ok(_formation(client, app, key))
    assert "Session déjà enregistrée" in text(again["formation-resultat"])
    assert ident in text(again["formation-resultat"])
    assert len(_session_rows(app, ident)) == 2


def _nothing_stored(app, key):
    ident = formation.session_id(key, int(PAST[:4]))
    assert _session_rows(app, ident) == []


@pytest.mark.parametrize(("session", "attendees", "where", "message"), [
    ({**SESSION, "theme": None}, ATTENDEES, "formation-erreur-theme", MISSING),
    ({**SESSION, "theme": "karate"}, ATTENDEES, "formation-erreur-theme",
     "valeur hors liste (incivilites, cyber_immunite"),
    ({**SESSION, "date_session": FUTURE}, ATTENDEES, "formation-erreur-date_session",
     "date dans le futur"),
    ({**SESSION, "date_session": "hier"}, ATTENDEES, "formation-erreur-date_session",
     "date attendue (AAAA-MM-JJ)"),
    (SESSION, [], None, formation.NO_ATTENDEE),
    (SESSION, [ATTENDEES[0]] * 201, None, formation.TOO_MANY),
    (SESSION, [ATTENDEES[0], {"fonction_participant": "maire"}], 1,
     "commune du participant manquante"),
    (SESSION, [{"fonction_participant": "pompier", "code_commune_participant": "35047"}], 0,
     "valeur hors liste (maire, adjoint"),
])
def test_bad_training_input_gets_its_french_message_and_stores_nothing(app, session, attendees,
                                                                       where, message):
    key = f"cle-formation-mauvaise-{abs(hash((str(session), str(attendees)))) % 10**8}"
    before = _count(app, record_tables["trainings"])
    out = _ok(_formation(client_for(app, "brigade35"), app, key, session, attendees))
    summary = text(out["formation-resultat"])
    assert "Le formulaire contient" in summary and message in summary
    if isinstance(where, str):  # by the session's input
        assert message in out[where]["children"]
    elif isinstance(where, int):  # by the attendee's row, and linked from the summary
        rows = out["formation-participants"]["children"]
        assert message in text(rows[where])
        assert f"Participant {where + 1} : " in summary
        name = "code_commune_participant" if "commune" in message else "fonction_participant"
        assert "#" + dom_id(formation.attendee_id(where, name)) in _hrefs(out)
    assert "formation-cle" not in out  # the same form display: its key is kept
    assert _count(app, record_tables["trainings"]) == before
    _nothing_stored(app, key)


def test_all_attendees_are_checked_before_any_is_stored(app):
    """The first attendee is good, the second not: neither is stored."""
    before = _count(app, record_tables["trainings"])
    out = _ok(_formation(client_for(app, "brigade35"), app, "cle-formation-partielle", SESSION,
                         [ATTENDEES[0], {"fonction_participant": "maire",
                                         "code_commune_participant": "99999"}]))
    assert "Participant 2 : Commune du participant" in text(out["formation-resultat"])
    assert _count(app, record_tables["trainings"]) == before


@pytest.mark.parametrize(("session", "attendees"), [
    ({**SESSION, "code_commune_session": "35253"}, ATTENDEES),  # another brigade's commune
    (SESSION, [ATTENDEES[0], {"fonction_participant": "maire",
                              "code_commune_participant": "35142"}]),
])
def test_a_brigade_posting_for_another_brigades_commune_is_refused(app, session, attendees):
    before, refused = _count(app, record_tables["trainings"]), _refusals(app)
    response = _formation(client_for(app, "brigade35"), app, "cle-formation-forgee", session,
                          attendees)
    assert response.status_code == 403
    assert "vous ne pouvez saisir que pour les communes de votre périmètre" in \
        response.get_data(as_text=True)
    assert _refusals(app) == refused + 1
    assert _count(app, record_tables["trainings"]) == before


@pytest.mark.parametrize("unite", ["B13007", "B35253", "G56", "PSIG-C56260"])
def test_a_unit_outside_the_writers_organisation_is_refused(app, unite):
    """« unite » is checked against the organisation (#21): a brigade of dép. 35 names its own
    brigade or its département's units, never a unit of dép. 13 or 56, nor another brigade."""
    before, refused = _count(app, record_tables["trainings"]), _refusals(app)
    response = _formation(client_for(app, "brigade35"), app, f"cle-formation-unite-{unite}",
                          {**SESSION, "unite": unite}, ATTENDEES)
    assert response.status_code == 403
    assert _refusals(app) == refused + 1
    assert _count(app, record_tables["trainings"]) == before


@pytest.mark.parametrize("unite", ["GIGN<script>", "b35047", "G 35"])
def test_a_unit_code_that_is_not_one_gets_a_french_message(app, unite):
    """Markup or a malformed code in « unite » is refused in French, nothing stored, for
    every writer — a national administrator too."""
    key = f"cle-formation-unite-mal-formee-{abs(hash(unite)) % 10**8}"
    before = _count(app, record_tables["trainings"])
    out = _ok(_formation(client_for(app, "brigade35"), app, key, {**SESSION, "unite": unite},
                         ATTENDEES))
    assert "code d'unité mal formé" in out["formation-erreur-unite"]["children"]
    assert _count(app, record_tables["trainings"]) == before


def test_a_brigade_names_its_departements_units(app):
    """The groupement, its CORG and its compagnie's PSIG are a brigade's to name."""
    for unite in ("G35", "PSIG-C35238", "BNUM"):
        out = _ok(_formation(client_for(app, "brigade35"), app, f"cle-formation-ok-{unite}",
                             {**SESSION, "unite": unite}, ATTENDEES))
        assert "Session enregistrée" in text(out["formation-resultat"]), unite


def test_a_commandant_records_a_session_in_his_departement(app):
    out = _ok(_formation(client_for(app, "cdt35"), app, "cle-formation-cdt",
                         {**SESSION, "code_commune_session": "35238", "unite": "G35"},
                         [{"fonction_participant": "maire", "code_commune_participant": "35253"}]))
    assert "Session enregistrée" in text(out["formation-resultat"])


@pytest.mark.parametrize("login", ["prefet35", "analyste"])
def test_read_only_roles_are_refused_and_audited(app, login):
    before, refused = _count(app, record_tables["trainings"]), _refusals(app)
    client = client_for(app, login)
    response = _formation(client, app, "cle-formation-prefet")
    assert response.status_code == 403 and "Lecture seule" in response.get_data(as_text=True)
    add = _call(client, app, "formation-participants.children",
                [{"id": "formation-ajouter", "property": "n_clicks", "value": 1}, []],
                [_attendee_states([{}])], ["formation-ajouter.n_clicks"])
    assert add.status_code == 403
    assert _refusals(app) == refused + 2
    assert _count(app, record_tables["trainings"]) == before


def test_attendee_rows_are_added_and_removed_with_their_values(app):
    client = client_for(app, "brigade35")
    two = [ATTENDEES[0], ATTENDEES[1]]
    removes = [{"id": formation.remove_id(i), "property": "n_clicks", "value": None}
               for i in range(2)]
    out = _ok(_call(client, app, "formation-participants.children",
                    [{"id": "formation-ajouter", "property": "n_clicks", "value": 1}, removes],
                    [_attendee_states(two)], ["formation-ajouter.n_clicks"]))
    rows = out["formation-participants"]["children"]
    assert len(rows) == 3 and "Participant 3" in text(rows[2])
    assert find(rows, formation.attendee_id(1, "code_commune_participant"))["value"] == "35066"
    removes[0]["value"] = 1
    out = _ok(_call(client, app, "formation-participants.children",
                    [{"id": "formation-ajouter", "property": "n_clicks", "value": 1}, removes],
                    [_attendee_states(two)],
                    ['{"index":0,"type":"formation-retirer"}.n_clicks']))
    rows = out["formation-participants"]["children"]
    assert len(rows) == 1
    assert find(rows, formation.attendee_id(0, "fonction_participant"))["value"] == \
        "secretaire_mairie"


# --- « Immersion » -------------------------------------------------------------------------------

def _immersion(client, app, key, values):
    cb = _key(app, "..immersion-resultat.children...", "immersion-correction.data...")
    return _call(client, app, cb, [{"id": "immersion-enregistrer", "property": "n_clicks",
                                    "value": 1}],
                 [_fields("immersion", {n: values.get(n) for n in NEW_NAMES}),
                  {"id": "immersion-cle", "property": "data", "value": key},
                  {"id": "immersion-correction", "property": "data", "value": None}],
                 ["immersion-enregistrer.n_clicks"])


FEEDBACK_IDS = [field_id("immersion-retour", n) for n in FEEDBACK_NAMES]
WILDCARD = {'{"name":["ALL"],"type":"immersion-retour-champ"}': FEEDBACK_IDS}


def _choose(client, app, record_id):
    cb = _key(app, "immersion-retour-bloc.hidden", "immersion-retour-titre.children")
    button = {"index": record_id, "type": "immersion-saisir-retour"}
    return _call(client, app, cb, [[{"id": button, "property": "n_clicks", "value": 1}]], [],
                 [json.dumps(button, separators=(",", ":")) + ".n_clicks"], WILDCARD)


def _feedback(client, app, chosen, values):
    cb = _key(app, "immersion-retour-erreur-note.children", "immersion-liste.children@")
    return _call(client, app, cb, [{"id": "immersion-retour-enregistrer",
                                    "property": "n_clicks", "value": 1}],
                 [_fields("immersion-retour", {n: values.get(n) for n in FEEDBACK_NAMES}),
                  {"id": "immersion-retour-choisie", "property": "data", "value": chosen}],
                 ["immersion-retour-enregistrer.n_clicks"])


def _store_immersion(app, commune="35047", when=PAST, statut="planifiee", login="brigade35"):
    result = records.submit(_engine(app), "immersions", {
        **IMMERSION, "code_commune": commune, "date_immersion": when, "statut": statut},
        login, lambda _v: True, f"cle-directe-{commune}-{when}-{statut}-{login}", KNOWN)
    assert result.ok, result.errors
    return result


@pytest.mark.parametrize(("login", "writer"), [("brigade35", True), ("prefet35", False)])
def test_the_immersion_page_renders_for_writers_only(app, login, writer):
    tree = page(client_for(app, login), "/saisie/immersion")
    shown = text(tree)
    assert "Saisie d'une immersion d'élu" in shown
    assert ("Nouvelle immersion" in shown and "Vos immersions" in shown) is writer
    assert ("Lecture seule" in shown) is not writer
    if writer:
        for label in ("Statut de l'immersion", "Date de l'immersion", "Commune de l'élu",
                      "Fonction de l'élu", "Type d'unité visitée", "Unité visitée",
                      "Durée (heures)", "Note de l'élu (1 à 5)", "Commentaire de l'élu"):
            assert label in shown
        assert find(tree, field_id("immersion", "statut"))["value"] == "planifiee"
        assert find(tree, "immersion-retour-bloc")["hidden"] is True


def test_an_immersion_is_scheduled_in_the_future_and_stored_once(app):
    client = client_for(app, "brigade35")
    out = _ok(_immersion(client, app, "cle-immersion-planifiee", IMMERSION))
    shown = text(out["immersion-resultat"])
    assert "Immersion planifiée" in shown
    ident = re.search(r"IM-\d{4}-S\d{4}", shown).group(0)
    [stored] = _rows(app, "immersions", record_tables["immersions"].c.id_immersion == ident)
    assert (stored["statut"], stored["date_immersion"].isoformat(), stored["note"]) == (
        "planifiee", FUTURE, None)
    listing = text(out["immersion-liste"])
    assert ident in listing and "Planifiée" in listing and "à partir du" in listing
    again = _ok(_immersion(client, app, "cle-immersion-planifiee", IMMERSION))
    assert "Immersion déjà enregistrée" in text(again["immersion-resultat"])
    assert len(_rows(app, "immersions", record_tables["immersions"].c.id_immersion == ident)) == 1


def test_a_past_immersion_is_entered_directly_with_its_feedback(app):
    values = {**IMMERSION, "statut": "realisee", "date_immersion": PAST, "note": 5,
              "commentaire": "Très instructif"}
    out = _ok(_immersion(client_for(app, "brigade35"), app, "cle-immersion-directe", values))
    assert "Immersion enregistrée avec son retour" in text(out["immersion-resultat"])
    [stored] = _rows(app, "immersions", record_tables["immersions"].c.idempotency_key ==
                     "cle-immersion-directe")
    assert (stored["statut"], stored["note"], stored["commentaire"]) == (
        "realisee", 5, "Très instructif")


@pytest.mark.parametrize(("changes", "name", "message"), [
    ({"fonction_elu": None}, "fonction_elu", MISSING),
    ({"type_unite": "commissariat"}, "type_unite", "valeur hors liste (corg, brigade"),
    ({"statut": "annulee"}, "statut", "valeur hors liste (planifiee, realisee)"),
    ({"statut": "realisee", "date_immersion": PAST, "note": 7}, "note",
     "valeur supérieure au maximum (5)"),
    ({"statut": "realisee", "date_immersion": PAST, "note": 0}, "note",
     "valeur inférieure au minimum (1)"),
    ({"note": 4}, "note", FEEDBACK_TOO_EARLY),  # a planned immersion with its feedback
    ({"commentaire": "Très bien"}, "commentaire", FEEDBACK_TOO_EARLY),
    ({"statut": "realisee"}, "date_immersion", FUTURE_DONE),  # done, in the future
    ({"duree_heures": 30}, "duree_heures", "valeur supérieure au maximum (24)"),
])
def test_bad_immersion_input_gets_its_french_message_and_stores_nothing(app, changes, name,
                                                                        message):
    before = _count(app, record_tables["immersions"])
    out = _ok(_immersion(client_for(app, "brigade35"), app, f"cle-immersion-{name}",
                         {**IMMERSION, **changes}))
    assert out[error_id("immersion", name)]["children"].startswith("Erreur : " + message)
    summary = text(out["immersion-resultat"])
    assert "Le formulaire contient 1 erreur" in summary and message in summary
    assert "immersion-cle" not in out or out["immersion-cle"]["data"] is None
    assert _count(app, record_tables["immersions"]) == before


def test_a_planned_immersion_gets_its_feedback_once_its_day_has_come(app):
    client = client_for(app, "brigade35")
    planned = _store_immersion(app, when=(TODAY - timedelta(days=2)).isoformat())
    tree = page(client, "/saisie/immersion")
    button = {"index": planned.record_id, "type": "immersion-saisir-retour"}
    assert find(tree, button) is not None  # « Saisir le retour » in the list
    assert "retour à saisir" in text(find(tree, "immersion-liste"))
    out = _ok(_choose(client, app, planned.record_id))
    assert out["immersion-retour-bloc"]["hidden"] is False
    assert planned.ident in out["immersion-retour-titre"]["children"]
    chosen = out["immersion-retour-choisie"]["data"]
    assert chosen == {"id": planned.record_id, "version": 1}
    # a bad note first: its French message, nothing changed
    out = _ok(_feedback(client, app, chosen, {"note": 9, "commentaire": "Bien"}))
    assert out[error_id("immersion-retour", "note")]["children"] == \
        "Erreur : valeur supérieure au maximum (5)"
    assert records.get(_engine(app), "immersions", planned.record_id)["version"] == 1
    # then the feedback: the immersion is done, a new version, its history kept
    out = _ok(_feedback(client, app, chosen, {"note": 4, "commentaire": "Nuit très utile",
                                              "duree_heures": 6}))
    assert "Retour enregistré" in text(out["immersion-resultat"])
    assert out["immersion-retour-bloc"]["hidden"] is True
    record = records.get(_engine(app), "immersions", planned.record_id)
    assert (record["statut"], record["note"], record["commentaire"], record["duree_heures"],
            record["version"]) == ("realisee", 4, "Nuit très utile", 6.0, 2)
    history = records.history(_engine(app), "immersions", planned.record_id)
    assert [(h["version"], h["action"], h["login"]) for h in history] == [
        (1, "creation", "brigade35"), (2, "correction", "brigade35")]
    assert history[1]["before"]["statut"] == "planifiee"
    assert history[1]["after"]["statut"] == "realisee"
    assert "note 4/5" in text(out["immersion-liste"])
    # the same feedback sent again (the version shown is old): refused, not written twice
    out = _ok(_feedback(client, app, chosen, {"note": 4}))
    assert "déjà saisi" in text(out["immersion-resultat"])
    assert records.get(_engine(app), "immersions", planned.record_id)["version"] == 2


def test_feedback_waits_for_the_day_and_checks_the_version_shown(app):
    client = client_for(app, "brigade35")
    future = _store_immersion(app, when=FUTURE)
    out = _ok(_feedback(client, app, {"id": future.record_id, "version": 1}, {"note": 5}))
    assert "n'a pas encore eu lieu" in text(out["immersion-resultat"])
    assert _choose(client, app, future.record_id).status_code == 204  # no form to open
    due = _store_immersion(app, when=(TODAY - timedelta(days=5)).isoformat())
    out = _ok(_feedback(client, app, {"id": due.record_id, "version": 7}, {"note": 5}))
    assert records.STALE in text(out["immersion-resultat"])
    out = _ok(_feedback(client, app, None, {"note": 5}))
    assert "Choisissez d'abord une immersion" in text(out["immersion-resultat"])


def test_a_brigade_forging_another_brigades_immersion_is_refused(app):
    client = client_for(app, "brigade35")
    theirs = _store_immersion(app, commune="35253", when=(TODAY - timedelta(days=3)).isoformat(),
                              login="brigade_sa")
    refused = _refusals(app)
    assert _choose(client, app, theirs.record_id).status_code == 403
    response = _feedback(client, app, {"id": theirs.record_id, "version": 1}, {"note": 1})
    assert response.status_code == 403
    before = _count(app, record_tables["immersions"])
    response = _immersion(client, app, "cle-immersion-forgee",
                          {**IMMERSION, "code_commune": "35253"})
    assert response.status_code == 403
    assert "périmètre" in response.get_data(as_text=True)
    assert _refusals(app) == refused + 3
    assert _count(app, record_tables["immersions"]) == before
    assert records.get(_engine(app), "immersions", theirs.record_id)["version"] == 1
    # and the other brigade's list does not show it to us
    assert theirs.ident not in text(find(page(client, "/saisie/immersion"), "immersion-liste"))


def test_a_prefet_is_refused_and_audited(app):
    client = client_for(app, "prefet35")
    refused, before = _refusals(app), _count(app, record_tables["immersions"])
    response = _immersion(client, app, "cle-immersion-prefet", IMMERSION)
    assert response.status_code == 403 and "Lecture seule" in response.get_data(as_text=True)
    assert _feedback(client, app, {"id": 1, "version": 1}, {"note": 5}).status_code == 403
    assert _refusals(app) == refused + 2
    assert _count(app, record_tables["immersions"]) == before


def test_the_profile_counts_done_immersions_only(app):
    """A planned immersion in the warehouse is not shown as done on the profiles."""
    from dashboard.core.scope import Period, Scope
    from dashboard.core.warehouse import get_warehouse
    from dashboard.queries import profils

    with app.server.app_context():
        frame = profils.immersions(get_warehouse(), Scope.parse("brigade:B35047"),
                                   Period(date(2026, 1, 1), date(2026, 12, 1)))
    assert frame["id_immersion"].tolist() == ["IM-2026-0002"]

"""The input forms through Flask's test client, on the fixture warehouse: a DCAS consultation,
a complaint (and its status over time) and a cyber self-diagnostic — good submissions stored
once, each kind of bad input with its French message, scope (a forged callback for another
brigade's commune is a 403, audited), read-only roles refused."""

from __future__ import annotations

from datetime import timedelta

import dash
import pytest
from sqlalchemy import func, select

from etl import clock
from etl.ops.store import audit_log, get_engine, record_history, record_tables
from tests.support.dash_callbacks import callback_body, client_for, find, operational_app, page
from tests.support.dash_callbacks import text as as_text

ACCOUNTS = {"bta35": ("brigade", "35", "B35047"), "cdt35": ("commandant", "35", None),
            "prefet35": ("prefet", "35", None)}
TODAY = clock.today()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
FUTURE = (TODAY + timedelta(days=10)).isoformat()
#: a consultation at Bruz (35047, brigade B35047's)
DCAS = {"date_consultation": YESTERDAY, "code_commune": "35047", "fonction_elu": "maire",
        "canal": "entretien_mairie", "attentes": ["cambriolages", "rodeos"],
        "creneaux": ["soiree"], "priorite": "haute", "actions_suivi": "Patrouilles de soirée",
        "statut": "a_traiter", "date_suivi": None, "satisfaction": None}
PLAINTE = {"date_faits": "2026-01-10", "date_depot": "2026-01-11T10:30", "lieu_depot": "mairie",
           "code_commune": "35066", "fonction_victime": "maire", "infraction": "menaces",
           "statut": "enregistree"}
QUESTIONS = ["q1_inventaire", "q2_mots_de_passe", "q3_mises_a_jour_sauvegardes",
             "q4_sensibilisation", "q5_antivirus", "q6_donnees_personnelles", "q7_teletravail",
             "q8_evaluation", "q9_prestataires"]
DIAGNOSTIC = {"date_diagnostic": YESTERDAY, "code_commune": "35047",
              **dict.fromkeys(QUESTIONS, "oui"), "q3_mises_a_jour_sauvegardes": "non",
              "q8_evaluation": "ne_sait_pas"}
#: form → (page, source, its values)
FORMS = {"dcas": ("/saisie/dcas", "dcas", DCAS),
         "plainte": ("/saisie/plainte", "complaints", PLAINTE),
         "diagnostic": ("/saisie/diagnostic", "diagnostics", DIAGNOSTIC)}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("saisie"), ACCOUNTS) as app:
        yield app


def _engine(app):
    return get_engine(str(app.server.config["PRESENCE_OPS_ENGINE"].url))


def _count(app, table, *where) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _audits(app, action: str) -> int:
    return _count(app, audit_log, audit_log.c.action == action)


def _records(app, source: str) -> int:
    return _count(app, record_tables[source])


def _outputs(app, first: str) -> list[tuple[str, str]]:
    """The outputs of the callback whose first output is ``first`` (an output that another
    callback shares carries its ``@hash``, as Dash's front end sends it)."""
    key = next(k for k in app.callback_map if k.startswith(f"..{first}."))
    return [tuple(part.rsplit(".", 1)) for part in key.strip(".").split("...")]


def _key(client, form: str) -> str:
    return find(page(client, FORMS[form][0]), f"{form}-cle")["data"]


def _post(app, client, form: str, values, key, states=None, correction=None):
    """The form's submit callback as Dash's front end posts it."""
    body = callback_body(_outputs(app, f"{form}-resultat"),
                         [(f"{form}-enregistrer", "n_clicks", 1)])
    fields = states if states is not None else [
        {"id": {"type": f"{form}-champ", "name": n}, "property": "value", "value": v}
        for n, v in values.items()]
    body["state"] = [fields, {"id": f"{form}-cle", "property": "data", "value": key},
                     {"id": f"{form}-correction", "property": "data", "value": correction}]
    return client.post("/_dash-update-component", json=body)


def _submit(app, client, form: str, values, key=None):
    response = _post(app, client, form, values, key or _key(client, form))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _latest(app, source: str) -> dict:
    table = record_tables[source]
    with _engine(app).connect() as con:
        return dict(con.execute(select(table).order_by(table.c.id.desc())).mappings().first())


# --- pages and roles -----------------------------------------------------------------------------

def test_one_navbar_entry_for_the_forms(app):
    pages = {p["path"]: p for p in dash.page_registry.values()}
    assert {"/saisie/dcas", "/saisie/plainte", "/saisie/diagnostic"} <= set(pages)
    assert [path for path, p in pages.items()
            if path.startswith("/saisie") and p.get("nav", True)] == ["/saisie/dcas"]
    assert pages["/saisie/dcas"]["name"] == "Saisie"


def test_menus_follow_the_role(app):
    """A page whose capability the role lacks is not in its menu: « Saisie » for the writers,
    « Recommandations » for the readers of plans."""
    def menu(login):
        response = client_for(app, login).get("/_dash-layout")
        assert response.status_code == 200
        found = []

        def walk(node):
            if isinstance(node, dict):
                found.extend([node["href"]] if isinstance(node.get("href"), str) else [])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
        walk(response.get_json())
        return found

    assert "/saisie/dcas" in menu("bta35") and "/recommandations" not in menu("bta35")
    assert "/saisie/dcas" not in menu("prefet35") and "/recommandations" in menu("prefet35")
    assert {"/saisie/dcas", "/recommandations", "/carte"} <= set(menu("cdt35"))


@pytest.mark.parametrize("form", list(FORMS))
def test_writers_get_the_form_with_their_communes_only(app, form):
    tree = page(client_for(app, "bta35"), FORMS[form][0])
    shown = as_text(tree)
    assert "Enregistrer" in shown and "Diagnostic cyber" in shown  # the sub-navigation
    assert "Bruz (35047)" in shown and "Chartres-de-Bretagne (35066)" in shown
    assert "Saint-Aubin" not in shown and "Arradon" not in shown
    assert '"htmlFor": "{\\"name\\":\\"code_commune\\",\\"type\\":\\"' + form in shown
    shown = as_text(page(client_for(app, "cdt35"), FORMS[form][0]))
    assert "Saint-Aubin-du-Cormier (35253)" in shown and "Arradon" not in shown


@pytest.mark.parametrize("form", list(FORMS))
def test_a_prefet_reads_a_message_and_is_refused_when_posting(app, form):
    client = client_for(app, "prefet35")
    tree = page(client, FORMS[form][0])
    assert "Lecture seule" in as_text(tree) and find(tree, f"{form}-enregistrer") is None
    before, stored = _audits(app, "acces_refuse"), _records(app, FORMS[form][1])
    response = _post(app, client, form, FORMS[form][2], "cle-prefet")
    assert response.status_code == 403
    assert "réservés aux brigades" in response.get_data(as_text=True)
    assert _audits(app, "acces_refuse") == before + 1
    assert _records(app, FORMS[form][1]) == stored


# --- good submissions, once ----------------------------------------------------------------------

def test_a_brigade_records_a_dcas_consultation_once(app):
    client = client_for(app, "bta35")
    key = _key(client, "dcas")
    before = _records(app, "dcas")
    out = _submit(app, client, "dcas", DCAS, key)
    record = _latest(app, "dcas")
    assert record["id_consultation"] == f"DC-{YESTERDAY[:4]}-S{record['id']:06d}"
    assert (record["brigade_id"], record["created_by"]) == ("B35047", "bta35")
    assert record["attentes"] == "cambriolages|rodeos" and record["creneaux"] == "soiree"
    shown = as_text(out["dcas-resultat"])
    assert "Consultation enregistrée" in shown and record["id_consultation"] in shown
    # the key survives the confirmation: the filled form sent again is the same entry
    assert "dcas-cle" not in out and "Nouvelle saisie" in shown
    assert all(out[f"dcas-erreur-{n}"]["children"] is None for n in DCAS)
    again = _submit(app, client, "dcas", DCAS, key)  # a second click, a resubmitted page
    assert record["id_consultation"] in as_text(again["dcas-resultat"])
    assert "déjà enregistrée" in as_text(again["dcas-resultat"])
    assert _records(app, "dcas") == before + 1
    assert _count(app, record_history, record_history.c.source == "dcas",
                  record_history.c.record_id == record["id"]) == 1


def test_a_commandant_records_for_a_commune_of_another_brigade_of_his_departement(app):
    out = _submit(app, client_for(app, "cdt35"), "dcas", DCAS | {"code_commune": "35253"})
    record = _latest(app, "dcas")
    assert (record["code_commune"], record["brigade_id"]) == ("35253", "B35253")
    assert record["id_consultation"] in as_text(out["dcas-resultat"])


def test_a_complaint_is_recorded_and_its_status_changes_over_time(app):
    client = client_for(app, "bta35")
    out = _submit(app, client, "plainte", PLAINTE)
    record = _latest(app, "complaints")
    assert record["id_plainte"] == f"PL-2026-S{record['id']:06d}"
    assert record["brigade_id"] == "B35047"
    assert record["id_plainte"] in as_text(out["plainte-resultat"])
    assert record["id_plainte"] in as_text(out["plainte-liste"])  # the list, at once
    assert record["id_plainte"] in as_text(page(client, "/saisie/plainte"))

    def change(login, status, version, record_id=record["id"]):
        button = {"index": record_id, "type": "plainte-statut-maj", "version": version}
        body = callback_body(_outputs(app, "plainte-statut-message"), [])
        body["inputs"] = [[{"id": button, "property": "n_clicks", "value": 1}]]
        body["changedPropIds"] = [
            f'{{"index":{record_id},"type":"plainte-statut-maj","version":{version}}}.n_clicks']
        body["state"] = [[{"id": {"index": record_id, "type": "plainte-statut",
                                  "version": version}, "property": "value", "value": status}]]
        return client_for(app, login).post("/_dash-update-component", json=body)

    response = change("bta35", "transmise_parquet", 1)
    assert response.status_code == 200
    out = response.get_json()["response"]
    assert "statut « Transmise au parquet » enregistré (version 2)" in as_text(out)
    assert "Version 2" in as_text(out["plainte-liste"])
    assert "Enregistrée → Transmise au parquet" in as_text(out["plainte-liste"])
    stale = change("bta35", "jugee", 1).get_json()["response"]  # the version shown is old
    assert "modifié entre-temps" in as_text(stale)
    assert _latest(app, "complaints")["statut"] == "transmise_parquet"
    bad = change("bta35", "perdue", 2).get_json()["response"]
    assert "valeur hors liste" in as_text(bad)
    before = _audits(app, "acces_refuse")
    assert change("prefet35", "jugee", 2).status_code == 403
    assert _audits(app, "acces_refuse") == before + 1
    # a complaint of another brigade's commune: not this brigade's to change
    _submit(app, client_for(app, "cdt35"), "plainte", PLAINTE | {"code_commune": "35253"})
    other = _latest(app, "complaints")
    assert change("bta35", "jugee", 1, other["id"]).status_code == 403
    assert _audits(app, "acces_refuse") == before + 2
    assert _latest(app, "complaints")["statut"] == "enregistree"


def test_a_diagnostic_shows_its_score_colour_advice_and_the_communes_history(app):
    client = client_for(app, "bta35")
    out = _submit(app, client, "diagnostic", DIAGNOSTIC)
    record = _latest(app, "diagnostics")
    shown = as_text(out["diagnostic-resultat"])
    assert record["id_diagnostic"] in shown
    assert "Score : 69,2 sur 100 — niveau jaune : à consolider" in shown
    assert "Conseils (2)" in shown and "référents cybersécurité" in shown
    history = as_text(out["diagnostic-historique"])
    assert record["id_diagnostic"] in history and "CY-35047" in history  # form, then file
    assert history.index(record["id_diagnostic"]) < history.index("CY-35047")
    body = callback_body([("diagnostic-historique", "children")],
                         [({"name": "code_commune", "type": "diagnostic-champ"}, "value",
                           "35066")])
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200 and "CY-35066" in as_text(response.get_json())
    before = _audits(app, "acces_refuse")
    body["inputs"][0]["value"] = "35253"  # another brigade's commune, forged
    assert client.post("/_dash-update-component", json=body).status_code == 403
    assert _audits(app, "acces_refuse") == before + 1


# --- bad input -----------------------------------------------------------------------------------

BAD = [
    ("dcas", {"priorite": None}, "priorite", "valeur obligatoire manquante"),
    ("dcas", {"canal": "pigeon"}, "canal", "valeur hors liste"),
    ("dcas", {"satisfaction": 6}, "satisfaction", "valeur supérieure au maximum (5)"),
    ("dcas", {"date_consultation": FUTURE}, "date_consultation", "date dans le futur"),
    ("dcas", {"code_commune": "99999"}, "code_commune", "code INSEE inconnu"),
    ("dcas", {"actions_suivi": "x" * 2001}, "actions_suivi", "texte trop long (2000 caract"),
    ("dcas", {"attentes": {"theme": "cambriolages"}}, "attentes", "valeur illisible"),
    ("dcas", {"attentes": ["cambriolages", "ovnis"]}, "attentes", "valeur hors liste"),
    ("plainte", {"infraction": None}, "infraction", "valeur obligatoire manquante"),
    ("plainte", {"lieu_depot": "taxi"}, "lieu_depot", "valeur hors liste"),
    ("plainte", {"date_faits": FUTURE, "date_depot": FUTURE + "T10:00"}, "date_faits",
     "date dans le futur"),
    ("plainte", {"date_depot": "2026-01-09T10:00"}, "date_depot",
     "plainte déposée avant la date des faits"),
    ("plainte", {"code_commune": "3504"}, "code_commune", "code INSEE inconnu"),
    ("plainte", {"statut": 3}, "statut", "valeur hors liste"),
    ("diagnostic", {"q5_antivirus": None}, "q5_antivirus", "valeur obligatoire manquante"),
    ("diagnostic", {"q5_antivirus": "peut-etre"}, "q5_antivirus", "valeur hors liste"),
    ("diagnostic", {"date_diagnostic": FUTURE}, "date_diagnostic", "date dans le futur"),
    ("diagnostic", {"code_commune": "ABCDE"}, "code_commune", "code INSEE mal formé"),
]


@pytest.mark.parametrize(("form", "change", "field", "reason"), BAD,
                         ids=[f"{f}-{c}" for f, _, c, _ in BAD])
def test_bad_input_gets_its_french_message_next_to_its_field(app, form, change, field, reason):
    source = FORMS[form][1]
    before = _records(app, source)
    out = _submit(app, client_for(app, "bta35"), form, FORMS[form][2] | change)
    assert out[f"{form}-erreur-{field}"]["children"].startswith("Erreur : " + reason)
    summary = as_text(out[f"{form}-resultat"])
    assert "Le formulaire contient" in summary and reason in summary
    assert '"role": "alert"' in summary and '"href": "#' in summary
    assert f"{form}-cle" not in out  # the same form display: the same key
    assert _records(app, source) == before


@pytest.mark.parametrize("form", list(FORMS))
def test_a_forged_request_of_the_wrong_shape_is_a_french_400_never_a_500(app, form):
    client = client_for(app, "bta35")
    values = FORMS[form][2]
    name = next(iter(values))
    before = _audits(app, "requete_invalide")
    for forged in ({"values": values | {name: "x" * 50_000}},
                   {"values": values | {name: [["a"] * 10] * 10}},
                   {"values": values, "states": {"not": "a list"}},
                   {"values": values, "states": [{"id": "x", "value": 1}]},
                   {"values": values, "key": ["not", "a", "key"]}):
        response = _post(app, client, form, forged["values"], forged.get("key", "k"),
                         forged.get("states"))
        assert response.status_code == 400, forged
        assert "Requête invalide" in response.get_data(as_text=True)
    assert _audits(app, "requete_invalide") == before + 5


@pytest.mark.parametrize("form", list(FORMS))
def test_a_brigade_forging_another_brigades_commune_is_refused_and_audited(app, form):
    """The commune list offers only its own communes: a forged callback is a 403."""
    source = FORMS[form][1]
    before, stored = _audits(app, "acces_refuse"), _records(app, source)
    for commune in ("35253", "56003"):  # another brigade of the département, another one
        response = _post(app, client_for(app, "bta35"), form,
                         FORMS[form][2] | {"code_commune": commune}, f"cle-{form}-{commune}")
        assert response.status_code == 403
        assert "périmètre" in response.get_data(as_text=True)
    assert _audits(app, "acces_refuse") == before + 2
    assert _records(app, source) == stored
    # and a commandant outside his département
    response = _post(app, client_for(app, "cdt35"), form,
                     FORMS[form][2] | {"code_commune": "56003"}, f"cle-cdt-{form}")
    assert response.status_code == 403 and _audits(app, "acces_refuse") == before + 3

"""The SMS alert pages through Flask's test client, on the fixture warehouse (with
``add_alert_contacts``: in Bruz and Chartres-de-Bretagne, four élus agreed to alerts, one did
not): composing with the live recipients, encoding and parts (a ’ forces UCS-2, the
replacement brings GSM-7 back), a brigade's area (its brigade, a radius, a map click), the
submission stored once, four eyes (the author cannot validate, a préfet cannot, another
commandant of the département does), forged communes, brigades and alerts refused (403,
audited), the progress after the worker's rounds, the exports, and the contacts (add, a number
refused in French, opt-out honoured at once)."""

from __future__ import annotations

import json
import re
import time

import pytest
from sqlalchemy import func, select

from etl.alerts.gateway import SimulatedGateway
from etl.alerts.worker import Worker
from etl.ops.store import alert_outbox, alertes, audit_log, get_engine, record_tables
from tests.support.dash_callbacks import client_for, find, operational_app, page
from tests.support.dash_callbacks import text as as_text
from tests.support.dashboard_fixture import add_alert_contacts

ACCOUNTS = {"bta35": ("brigade", "35", "B35047"), "cdt35": ("commandant", "35", None),
            "cdt35b": ("commandant", "35", None), "prefet35": ("prefet", "35", None),
            "bta56": ("brigade", "56", "B56003"), "analyste": ("analyste", None, None)}
#: 70 characters with a ’: UCS-2, 2 SMS per recipient; 1 SMS once replaced (GSM-7)
APOSTROPHE = "Gendarmerie : cambriolages à Bruz cette nuit, fermez l’accès au jardin. "
BRUZ_BRIGADE = ["35047", "35066"]
ACTION = "fiche-alerte-action"
ALERT_ID = re.compile(r"AL-\d{4}-S\d{6}")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("alertes"), ACCOUNTS,
                         prepare=add_alert_contacts) as app:
        yield app


def _engine(app):
    return get_engine(str(app.server.config["PRESENCE_OPS_ENGINE"].url))


def _count(app, table, *where) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _refusals(app) -> int:
    return _count(app, audit_log, audit_log.c.action == "acces_refuse")


def _outputs(app, first: str) -> list[dict]:
    key = next(k for k in app.callback_map if k.startswith(f"..{first}.") or k == first
               or k.startswith(f"{first}."))
    if not key.startswith(".."):
        i, p = key.rsplit(".", 1)
        return [{"id": i, "property": p}]
    return [{"id": i, "property": p} for i, p in (
        part.rsplit(".", 1) for part in key.strip(".").split("..."))]


def _dom(ident) -> str:
    return ident if isinstance(ident, str) else json.dumps(ident, sort_keys=True,
                                                           separators=(",", ":"))


def _post(app, client, first: str, inputs: list, state: list = ()):
    """One callback (the one whose first output is ``first``), as Dash's front end posts it:
    ``inputs`` and ``state`` in its format (an ALL pattern: a list of them)."""
    outputs = _outputs(app, first)
    body = {"output": ("...".join(f"{_dom(o['id'])}.{o['property']}" for o in outputs)),
            "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "state": list(state),
            "changedPropIds": [f"{_dom(i['id'])}.{i['property']}" for group in inputs
                               for i in (group if isinstance(group, list) else [group])
                               if i.get("value") is not None]}
    if len(outputs) > 1:
        body["output"] = ".." + body["output"] + ".."
    return client.post("/_dash-update-component", json=body)


def _ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:600]
    return response.get_json()["response"]


def v(ident, value, prop="value") -> dict:
    return {"id": ident, "property": prop, "value": value}


def _recipients(app, client, communes, dep="35"):
    return _post(app, client, "alerte-destinataires", [v("alerte-communes", communes)],
                 [v("alerte-departement", dep, "data")])


def _counts(app, client, message, recipients):
    return _ok(_post(app, client, "alerte-comptes", [v("alerte-message", message),
                                                      v("alerte-nombre-destinataires",
                                                        recipients, "data")]))


def _submit(app, client, communes, message, key, category="cambriolages",
            facts="2026-10-30T22:00", dep="35"):
    return _post(app, client, "alerte-resultat", [v("alerte-soumettre", 1, "n_clicks")], [
        v("alerte-communes", communes), v("alerte-categorie", category),
        v("alerte-faits-le", facts), v("alerte-message", message), v("alerte-cle", key, "data"),
        v("alerte-departement", dep, "data")])


def _key(client) -> str:
    return find(page(client, "/alertes/nouvelle"), "alerte-cle")["data"]


def _create(app, login, communes=BRUZ_BRIGADE, message="Gendarmerie : vols de cuivre.") -> str:
    """A new alert written by ``login``: its id."""
    client = client_for(app, login)
    shown = as_text(_ok(_submit(app, client, communes, message, _key(client)))["alerte-resultat"])
    assert "Alerte soumise à validation" in shown, shown
    return ALERT_ID.search(shown).group(0)


def _act(app, client, ident, action, reason=None):
    return _post(app, client, "fiche-alerte-resultat",
                 [[v({"action": action, "type": ACTION}, 1, "n_clicks")]],
                 [[v({"index": "motif", "type": "fiche-alerte-motif"}, reason)],
                  v("fiche-alerte-id", ident, "data"), v("fiche-alerte-version", 0, "data")])


def _gateway(**options) -> SimulatedGateway:
    """The simulated operator of the app's data folder: one file for the module's tests, so
    that its message ids never repeat for one store (a second file would start again at
    SIM000000001, and its reports would meet another test's messages)."""
    from etl.alerts.gateway import simulated_path
    from etl.settings import get_settings

    return SimulatedGateway(simulated_path(get_settings()), failure_rate=0.0,
                            throttle_rate=0.0, **options)


def _refresh(app, client, ident):
    return _post(app, client, "fiche-alerte-statut-bloc",
                 [v("fiche-alerte-minuteur", 1, "n_intervals"),
                  v("fiche-alerte-version", 1, "data")],
                 [v("fiche-alerte-id", ident, "data"),
                  v("fiche-alerte-statut-affiche", "a_valider", "data")])


# --- composing -----------------------------------------------------------------------------------

def test_the_navbar_has_alerts_and_the_composer_offers_the_brigade_communes_only(app):
    import dash

    pages = {p["path"]: p for p in dash.page_registry.values()}
    assert pages["/alertes"]["name"] == "Alertes" and pages["/alertes"].get("nav", True)
    assert not pages["/alertes/nouvelle"].get("nav", True)
    shown = as_text(page(client_for(app, "bta35"), "/alertes/nouvelle"))
    assert "Bruz (35047)" in shown and "Chartres-de-Bretagne (35066)" in shown
    assert "Saint-Aubin" not in shown and "Arradon" not in shown
    assert '"children": ["Message", {' in shown  # the textarea's visible label: « Message »
    assert "Remplacer les caractères spéciaux" in shown and "Soumettre à validation" in shown
    assert "/geo/commune/departement/35.json" in shown  # the area map, drawn offline


@pytest.mark.parametrize("login", ["prefet35", "analyste"])
def test_readers_get_a_french_refusal_and_their_callbacks_are_403(app, login):
    client = client_for(app, login)
    shown = as_text(page(client, "/alertes/nouvelle"))
    assert "ne permet pas de rédiger" in shown and "Soumettre" not in shown
    before = _refusals(app)
    assert _recipients(app, client, ["35047"]).status_code == 403
    assert _post(app, client, "alerte-comptes", [v("alerte-message", "x"), v(
        "alerte-nombre-destinataires", 0, "data")]).status_code == 403
    assert _submit(app, client, ["35047"], "x", "k" * 20).status_code == 403
    assert _refusals(app) == before + 3


def test_recipients_are_counted_live_by_function_with_masked_numbers(app):
    out = _ok(_recipients(app, client_for(app, "bta35"), BRUZ_BRIGADE))
    assert out["alerte-nombre-destinataires"]["data"] == 4
    shown = as_text(out["alerte-destinataires"]["children"])
    assert "4 destinataires" in shown and "2 communes" in shown
    # « 2 maires », in the plural (issue #19: « 9 maire, 3 adjoint au maire »)
    assert "2 maires, 1 adjoint au maire, 1 secrétaire de mairie." in shown
    assert "Conseiller" not in shown  # no opt-in
    assert "+33 6 •• •• •• 01" in shown and "39 98 01 01" not in shown and "0101" not in shown
    figure = out["alerte-carte"]["figure"]["data"][0]
    assert dict(zip(figure["locations"], figure["z"], strict=True)) == {"35047": 1, "35066": 1}
    assert "2 communes sélectionnées" in as_text(out["alerte-selection"])


def test_encoding_and_parts_change_with_an_apostrophe_then_its_replacement(app):
    client = client_for(app, "bta35")
    message = APOSTROPHE.strip() * 2  # 142 characters
    out = _counts(app, client, message, 4)
    shown = as_text(out)
    assert '"UCS-2"' in shown and "« ’ »" in shown
    assert out["alerte-caracteres-speciaux-bloc"]["hidden"] is False
    assert "3 (67 caractères par partie)" in shown and "12 SMS (3 × 4 destinataires)" in shown
    replaced = _ok(_post(app, client, "alerte-message", [
        v("alerte-categorie", None), v("alerte-remplacer", 1, "n_clicks")],
        [v("alerte-message", message)]))["alerte-message"]["value"]
    assert "’" not in replaced and "l'accès" in replaced and "à Bruz" in replaced
    out = _counts(app, client, replaced, 4)
    shown = as_text(out)
    assert '"GSM-7"' in shown and out["alerte-caracteres-speciaux-bloc"]["hidden"] is True
    assert "1 (un seul SMS jusqu'à 160 caractères)" in shown and "4 SMS (1 × 4" in shown


def test_a_category_fills_an_empty_message_with_its_template_only(app):
    client = client_for(app, "bta35")

    def message(category, current):
        return _post(app, client, "alerte-message", [v("alerte-categorie", category), v(
            "alerte-remplacer", None, "n_clicks")], [v("alerte-message", current)])
    filled = _ok(message("cambriolages", ""))["alerte-message"]["value"]
    assert filled.startswith("Gendarmerie : plusieurs cambriolages")
    assert _ok(message("rodeos", filled))["alerte-message"]["value"].startswith(
        "Gendarmerie : rodéos")
    assert message("rodeos", "Mon texte à moi").status_code == 204  # typed text is kept
    assert message("inconnue", "").status_code == 400


def test_the_area_from_the_brigade_a_radius_and_the_map(app):
    client = client_for(app, "bta35")

    def fill(trigger, selected, brigade="B35047", centre=None, km=10, click=None):
        inputs = [v("alerte-ajouter-brigade", 1 if trigger == "brigade" else None, "n_clicks"),
                  v("alerte-ajouter-rayon", 1 if trigger == "rayon" else None, "n_clicks"),
                  v("alerte-carte", click, "clickData")]
        return _post(app, client, "alerte-communes", inputs, [
            v("alerte-communes", selected), v("alerte-brigade", brigade),
            v("alerte-centre", centre), v("alerte-rayon", km), v("alerte-departement", "35",
                                                                  "data")])
    out = _ok(fill("brigade", []))
    assert sorted(out["alerte-communes"]["value"]) == BRUZ_BRIGADE
    # the fixture's communes of 35 share one centre: all within 10 km; only the brigade's kept
    out = _ok(fill("rayon", ["35047"], centre="35047"))
    assert sorted(out["alerte-communes"]["value"]) == BRUZ_BRIGADE
    assert "hors de votre périmètre" in as_text(out["alerte-zone-message"])
    assert "50" in as_text(_ok(fill("rayon", [], centre="35047", km=80)))
    click = {"points": [{"location": "35066"}]}
    assert _ok(fill("carte", BRUZ_BRIGADE, click=click))["alerte-communes"]["value"] == [
        "35047"]
    assert _ok(fill("carte", ["35047"], click=click))["alerte-communes"]["value"] == [
        "35047", "35066"]
    before = _refusals(app)
    assert fill("carte", [], click={"points": [{"location": "56003"}]}).status_code == 403
    assert fill("brigade", [], brigade="B35253").status_code == 403
    assert fill("rayon", [], centre="56003").status_code == 403
    assert _refusals(app) == before + 3
    assert fill("carte", [], click={"points": "x"}).status_code == 400


def test_a_forged_commune_is_refused_and_audited(app):
    client = client_for(app, "bta35")
    before = _refusals(app)
    assert _recipients(app, client, ["35047", "56003"]).status_code == 403
    assert _submit(app, client, ["35047", "35253"], "Texte", _key(client)).status_code == 403
    assert _recipients(app, client, ["35047"], dep="56").status_code == 403
    assert _refusals(app) == before + 3
    with _engine(app).connect() as con:
        details = [r[0] for r in con.execute(select(audit_log.c.detail).where(
            audit_log.c.action == "acces_refuse", audit_log.c.login == "bta35"))]
    assert any("56003" in d for d in details) and any("35253" in d for d in details)
    assert _recipients(app, client, {"x": 1}).status_code == 400
    assert _count(app, alertes, alertes.c.message == "Texte") == 0


def test_a_submission_is_stored_once_and_errors_are_summarised(app):
    client = client_for(app, "bta35")
    key = _key(client)
    out = _ok(_submit(app, client, BRUZ_BRIGADE, "   ", key, category=None))
    summary = as_text(out["alerte-resultat"])
    assert "Le formulaire contient 2 erreurs" in summary and "#alerte-message" in summary
    assert "message vide" in as_text(out["alerte-erreur-message"])
    assert out["alerte-erreur-categorie"]["children"].startswith("Erreur : ")
    before = _count(app, alertes)
    first = _ok(_submit(app, client, BRUZ_BRIGADE, "Gendarmerie : rodéos ce soir.", key))
    again = _ok(_submit(app, client, BRUZ_BRIGADE, "Gendarmerie : rodéos ce soir.", key))
    assert _count(app, alertes) == before + 1
    assert "Alerte soumise à validation" in as_text(first["alerte-resultat"])
    assert "Alerte déjà soumise" in as_text(again["alerte-resultat"])
    assert "/alertes/alerte?id=AL-" in as_text(first["alerte-resultat"])
    assert first["alerte-cle"]["data"] != key


def test_an_alert_nobody_would_receive_is_said_then_refused_and_audited(app):
    """Javené's only élu opts out: the composer says at once that nobody would receive an
    alert there, and a submission is refused with that reason (audited), nothing stored."""
    commandant = client_for(app, "cdt35")
    assert "désinscrit" in as_text(_ok(_opt_out(app, commandant, "CT-35142-1")))
    out = _ok(_recipients(app, commandant, ["35142"]))
    assert out["alerte-nombre-destinataires"]["data"] == 0
    said = as_text(out["alerte-destinataires"])
    assert "Aucun destinataire" in said and "ne peut pas être soumise" in said
    assert "alert-warning" in said
    before = (_count(app, alertes), _count(app, audit_log,
                                          audit_log.c.action == "alerte_sans_destinataire"))
    refused = _ok(_submit(app, commandant, ["35142"], "Gendarmerie : rodéos ce soir.",
                          _key(commandant)))
    summary = as_text(refused["alerte-resultat"])
    assert "Le formulaire contient 1 erreur" in summary and "aucun destinataire" in summary
    assert "#alerte-communes" in summary  # the error leads to the communes' field
    assert "aucun destinataire" in as_text(refused["alerte-erreur-communes"])
    assert (_count(app, alertes), _count(app, audit_log, audit_log.c.action
                                         == "alerte_sans_destinataire")) == (before[0],
                                                                             before[1] + 1)
    # written for Saint-Aubin-du-Cormier, whose only élu opts out before the validation: the
    # reviewer reads why, without « Valider l'envoi »; a forged click is refused, audited
    ident = _create(app, "cdt35", communes=["35253"])
    assert "désinscrit" in as_text(_ok(_opt_out(app, commandant, "CT-35253-1")))
    reviewer = client_for(app, "cdt35b")
    shown = as_text(page(reviewer, "/alertes/alerte", f"?id={ident}"))
    assert "Aucun destinataire à ce jour" in shown and "Valider l'envoi" not in shown
    assert "Refuser" in shown
    refused = as_text(_ok(_act(app, reviewer, ident, "valider")))
    assert "Action impossible : aucun destinataire à ce jour" in refused
    assert _count(app, alert_outbox, alert_outbox.c.id_alerte == ident) == 0
    assert _count(app, audit_log, audit_log.c.action == "alerte_sans_destinataire") == \
        before[1] + 2


# --- four eyes, progress, exports ------------------------------------------------------------

def test_four_eyes_on_the_alert_page(app):
    ident = _create(app, "cdt35")
    author = client_for(app, "cdt35")
    shown = as_text(page(author, "/alertes/alerte", f"?id={ident}"))
    assert "Valider l'envoi" not in shown and "quatre yeux" in shown
    before = _refusals(app)
    assert _act(app, author, ident, "valider").status_code == 403  # a forged click
    assert _act(app, client_for(app, "prefet35"), ident, "valider").status_code == 403
    assert _refusals(app) == before + 2
    assert _count(app, alert_outbox, alert_outbox.c.id_alerte == ident) == 0
    other = client_for(app, "cdt35b")
    shown = as_text(page(other, "/alertes/alerte", f"?id={ident}"))
    assert "Valider l'envoi" in shown and "4 destinataires" in shown and "4 SMS" in shown
    assert "Gendarmerie : vols de cuivre." in shown
    out = _ok(_act(app, other, ident, "valider"))
    assert "4 message(s) en file d'envoi" in as_text(out)
    assert "Déjà fait" in as_text(_ok(_act(app, other, ident, "valider")))
    assert _count(app, alert_outbox, alert_outbox.c.id_alerte == ident) == 4


def test_a_refusal_needs_its_reason(app):
    ident = _create(app, "bta35")
    client = client_for(app, "cdt35")
    assert "motif du refus obligatoire" in as_text(_ok(_act(app, client, ident, "refuser", "")))
    assert "Alerte refusée" in as_text(_ok(_act(app, client, ident, "refuser", "Doublon")))
    out = _ok(_refresh(app, client, ident))
    assert "Refusée — motif : Doublon" in as_text(out["fiche-alerte-statut-bloc"])
    assert out["fiche-alerte-minuteur"]["disabled"] is True


def test_alerts_are_read_within_scope_only(app):
    ident = _create(app, "bta35")
    listed = _ok(_post(app, client_for(app, "bta35"), "alertes-compte", [
        v("alertes-vue", {"departement": "35"}, "data"), v("alertes-statut", "toutes")]))
    assert ident in as_text(listed)
    before = _refusals(app)
    tree = page(client_for(app, "bta56"), "/alertes/alerte", f"?id={ident}")
    assert find(tree, "acces-refuse") is not None and "cuivre" not in as_text(tree)
    assert _refresh(app, client_for(app, "bta56"), ident).status_code == 403
    assert _refusals(app) == before + 2
    assert _refresh(app, client_for(app, "bta56"), "DROP TABLE").status_code == 400
    cdt = _ok(_post(app, client_for(app, "cdt35"), "alertes-compte", [
        v("alertes-vue", {"departement": "35"}, "data"), v("alertes-statut", "a_valider")]))
    assert "à valider" in as_text(cdt["alertes-compte"]) and ident in as_text(cdt)
    assert _post(app, client_for(app, "prefet35"), "alertes-compte", [
        v("alertes-vue", {"departement": "56"}, "data"),
        v("alertes-statut", "toutes")]).status_code == 403


def test_progress_after_the_worker_ran(app):
    ident = _create(app, "bta35")
    reviewer = client_for(app, "cdt35")
    _ok(_act(app, reviewer, ident, "valider"))
    out = _ok(_refresh(app, reviewer, ident))
    assert "envoi en cours" in as_text(out["fiche-alerte-progression"])
    assert out["fiche-alerte-minuteur"]["disabled"] is False
    gateway = _gateway(seed=1, min_delay=0.0, max_delay=0.0, enroute_delay=0.0)
    worker = Worker(_engine(app), gateway, rate=None)
    try:
        worker.drain()
        worker.run_once()
    finally:
        worker.close()
    out = _ok(_refresh(app, reviewer, ident))
    progress = as_text(out["fiche-alerte-progression"])
    assert '"fiche-alerte-remis"' in progress
    delivered = find(out["fiche-alerte-progression"]["children"], "fiche-alerte-remis")
    assert int(delivered["children"]) > 0
    assert "Remis" in as_text(out["fiche-alerte-envois"])
    assert "+33 6 39 98 01 01" in as_text(out["fiche-alerte-envois"])  # a commandant: shown
    prefet = as_text(_ok(_refresh(app, client_for(app, "prefet35"), ident)))
    assert "39 98 01 01" not in prefet and "•• 01" in prefet
    csv = _ok(_post(app, reviewer, "fiche-alerte-telechargement-messages",
                    [v("fiche-alerte-export-messages", 1, "n_clicks")],
                    [v("fiche-alerte-id", ident, "data")]))
    assert csv["fiche-alerte-telechargement-messages"]["data"]["filename"] == \
        f"{ident}-messages.csv"
    # the operator's codes in French, the raw one beside (a tooltip on the page, a column in
    # the export); numbers without a stray « ' » (issue #19); times said to be Paris's
    table = out["fiche-alerte-envois"]["children"]
    assert "Remis au destinataire" in as_text(table) and "DELIVRD" not in as_text(table).replace(
        '"title": "Code de l\'opérateur : DELIVRD"', "")
    rows = _csv_rows(csv["fiche-alerte-telechargement-messages"]["data"])
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert "Transmis le (heure de Paris)" in header and "Accusé le (heure de Paris)" in header
    assert first["Accusé de réception"] == "Remis au destinataire"
    assert first["Code de l'opérateur (accusé)"] == "DELIVRD"
    assert first["Numéro"].startswith("+33 6 39 98 ")
    assert not any(cell.startswith("'") for row in rows for cell in row)


def _csv_rows(download: dict) -> list[list[str]]:
    import base64
    import csv
    import io

    payload = base64.b64decode(download["content"]) if download.get("base64") else \
        download["content"].encode("utf-8")
    return list(csv.reader(io.StringIO(payload.decode("utf-8-sig")), delimiter=";"))


# --- one definition of « alertes envoyées » -----------------------------------------------------

def _sent_on_alerts_page(client) -> tuple[int, str]:
    """The alerts sent as the « Alertes » page counts them, and its words."""
    said = as_text(find(page(client, "/alertes"), "alertes-envoyees-compte"))
    found = re.search(r"(\d+) alertes? envoyées? aux élus|Aucune alerte envoyée", said)
    return (0 if found[1] is None else int(found[1])), said


def _sent_on_overview(client, perimetre, fin="2026-10") -> tuple[int, str]:
    """The overview's card of the alerts sent (its value, its words), November 2025 to
    ``fin``."""
    from tests.support.dash_callbacks import post

    state = {"perimetre": perimetre, "debut": "2025-11", "fin": fin}
    out = _ok(post(client, [("vue-ensemble-titre", "children"),
                            ("vue-ensemble-periodes", "children"),
                            ("vue-ensemble-indicateurs", "children"),
                            ("vue-ensemble-tableau", "children")],
                   [("vue-ensemble-vue", "data", state)]))
    card = find(out["vue-ensemble-indicateurs"]["children"], "kpi-alertes")
    return int(card["children"][1]["props"]["children"]), as_text(card)


def _status(app, ident) -> str:
    with _engine(app).connect() as con:
        return con.execute(select(alertes.c.statut).where(alertes.c.id_alerte == ident)
                           ).scalar_one()


def test_the_overview_and_the_alerts_page_count_the_same_sent_alerts(app):
    """Issue #19: the overview counted 23 alerts sent while « Alertes » said « Aucune alerte »
    (it listed the dashboard's only; the 23 came from files). One definition, both pages: the
    imported alerts, then a dashboard's alert once sent and published by the refresh."""
    from dashboard.queries import alertes as alert_queries
    from dashboard.queries import vue_ensemble as overview_queries
    from etl.alerts.labels import SENT_DETAIL, SENT_LABEL
    from etl.settings import get_settings
    from etl.warehouse.refresh import label, refresh

    # one definition in code: the overview's query holds the « Alertes » page's, verbatim
    assert alert_queries.SENT_ALERTS_SQL.strip() in overview_queries.PERIOD_SQL
    assert label("alerts").startswith("saisie:")  # how a dashboard's alert is told apart

    prefet, brigade = client_for(app, "prefet35"), client_for(app, "bta35")
    on_page, said = _sent_on_alerts_page(prefet)
    on_overview, card = _sent_on_overview(prefet, "departement:35")
    assert on_page == on_overview == 1  # the fixture's imported alert to Bruz (AL-0)
    assert "1 importée de fichiers, 0 rédigée dans le tableau de bord" in said
    assert SENT_LABEL in card and SENT_DETAIL in card  # the card says what it counts
    assert _sent_on_alerts_page(brigade)[0] == _sent_on_overview(brigade, "brigade:B35047")[0]
    analyst = client_for(app, "analyste")
    assert _sent_on_alerts_page(analyst)[0] == _sent_on_overview(analyst, "france")[0] == 2
    # a dashboard's alert, validated, sent, published: on both pages, with its origin
    ident = _create(app, "bta35")
    _ok(_act(app, client_for(app, "cdt35"), ident, "valider"))
    # reports a little after the submission (one stamped at the same instant could be
    # quarantined as older than it): rounds until the alert is sent, within a deadline
    gateway = _gateway(seed=2, min_delay=0.01, max_delay=0.02, enroute_delay=0.005)
    worker = Worker(_engine(app), gateway, rate=None)
    deadline = time.monotonic() + 30
    try:
        while _status(app, ident) != "envoyee":
            assert time.monotonic() < deadline, "alert not sent in time"
            worker.run_once()
    finally:
        worker.close()
    with _engine(app).connect() as con:
        sent = con.execute(select(func.count()).select_from(alertes).where(
            alertes.c.statut == "envoyee", alertes.c.departement == "35")).scalar_one()
    assert sent >= 1
    assert refresh(get_settings(), _engine(app)).loaded["alerts"].loaded >= 1
    on_page, said = _sent_on_alerts_page(prefet)
    assert on_page == _sent_on_overview(prefet, "departement:35", "2026-12")[0] == 1 + sent
    assert f"{sent} rédigée" in said
    listed = as_text(find(page(prefet, "/alertes"), "alertes-envoyees"))
    assert f'"href": "/alertes/alerte?id={ident}"' in listed and "Tableau de bord" in listed
    assert "AL-0" in listed and "Fichier importé" in listed


# --- contacts --------------------------------------------------------------------------------

def _contact(app, client, phone, key, commune="35047"):
    values = {"code_commune": commune, "fonction": "adjoint", "telephone": phone,
              "opt_in": "oui", "date_opt_in": "2026-01-05", "canal_opt_in": "courriel"}
    return _post(app, client, "contact-resultat", [v("contact-enregistrer", 1, "n_clicks")], [
        [v({"name": n, "type": "contact-champ"}, value) for n, value in values.items()],
        v("contact-cle", key, "data"), v("contacts-ajouts", 0, "data")])


def _contacts_list(app, client, search=None, page=1, trigger=None, dep="35"):
    """The contacts' list callback: ``trigger`` « precedente » or « suivante » for a click on
    the pager's button, ``search`` as typed."""
    return _post(app, client, "contacts-compte", [
        v("contacts-vue", {"departement": dep}, "data"), v("contacts-ajouts", 0, "data"),
        v("contacts-desinscriptions", 0, "data"), v("contacts-recherche", search),
        v("contacts-page-precedente", 1 if trigger == "precedente" else None, "n_clicks"),
        v("contacts-page-suivante", 1 if trigger == "suivante" else None, "n_clicks")],
        [v("contacts-page", page, "data")])


def _contacts_key(client) -> str:
    return find(page(client, "/alertes/contacts"), "contact-cle")["data"]


def test_contacts_are_listed_masked_for_readers_and_added_in_e164(app):
    client = client_for(app, "bta35")
    out = _ok(_contacts_list(app, client))
    shown = as_text(out)
    assert "5 contacts, dont 4 acceptant" in shown and "+33 6 39 98 01 01" in shown
    assert "Désinscrire" in shown and "Arradon" not in shown
    bad = _ok(_contact(app, client, "12 34", _contacts_key(client)))
    assert "numéro de téléphone invalide" in as_text(bad["contact-erreur-telephone"])
    # a landline: no SMS reaches it (issue #19: 7 of 12 recipients were landlines, « remis »)
    landline = _ok(_contact(app, client, "02 61 91 00 01", _contacts_key(client)))
    assert ("numéro fixe : les alertes partent par SMS, un numéro de mobile est attendu"
            in as_text(landline["contact-erreur-telephone"]))
    assert "Le formulaire contient 1 erreur" in as_text(landline["contact-resultat"])
    good = _ok(_contact(app, client, "06 39 98 02 02", _contacts_key(client)))
    assert "Contact enregistré" in as_text(good["contact-resultat"])
    with _engine(app).connect() as con:
        phone = con.execute(select(record_tables["contacts"].c.telephone).where(
            record_tables["contacts"].c.code_commune == "35047")).scalar_one()
    assert phone == "+33639980202"
    prefet = client_for(app, "prefet35")
    listed = as_text(_ok(_contacts_list(app, prefet)))
    assert "39 98 01 01" not in listed and "Désinscrire" not in listed and "•• 01" in listed
    before = _refusals(app)
    assert _contact(app, prefet, "06 39 98 02 03", "k" * 20).status_code == 403
    assert _contact(app, client, "06 39 98 02 04", "k" * 21, commune="35253").status_code == 403
    assert _refusals(app) == before + 2


def test_contacts_are_paged_and_searched_on_the_server(app, monkeypatch):
    """One page of contacts reaches the browser (with its buttons only); the pager and the
    search go through the server, which checks what they send."""
    from dashboard.views import alertes_contacts as contacts_view

    monkeypatch.setattr(contacts_view, "PAGE_SIZE", 2)
    client = client_for(app, "cdt35")
    first = _ok(_contacts_list(app, client))
    total = int(re.search(r"(\d+) contacts, dont", as_text(first["contacts-compte"]))[1])
    pages = -(-total // 2)
    assert total >= 7 and as_text(first["contacts-compte"]).endswith(
        f"page 1 sur {pages} (contacts 1 à 2).\"}}")
    assert first["contacts-page-precedente"]["disabled"] is True
    assert first["contacts-page-suivante"]["disabled"] is False
    assert as_text(first).count('"contacts-desinscrire"') <= 2
    second = _ok(_contacts_list(app, client, trigger="suivante", page=1))
    assert second["contacts-page"]["data"] == 2
    assert f"Page 2 sur {pages}" in as_text(second["contacts-pages"])
    assert second["contacts-page-precedente"]["disabled"] is False
    back = _ok(_contacts_list(app, client, trigger="precedente", page=2))
    assert back["contacts-page"]["data"] == 1
    # a search starts again at page 1: a commune's name without its accents, a code, a function
    found = _ok(_contacts_list(app, client, search="chartres de bretagne", page=3))
    assert found["contacts-page"]["data"] == 1
    shown = as_text(found["contacts-compte"])
    assert re.search(r"\d+ contacts sur \d+ correspondent à « chartres de bretagne »", shown)
    assert "Chartres-de-Bretagne (35066)" in as_text(found["contacts-liste"])
    assert "Bruz" not in as_text(found["contacts-liste"])
    secretary = as_text(_ok(_contacts_list(app, client, search="secretaire 35066")))
    assert "Secrétaire de mairie" in secretary and "1 contact sur" in secretary
    assert "Aucun contact sur" in as_text(_ok(_contacts_list(app, client, search="Arradon")))
    for odd in ({"search": 3}, {"search": "x" * 5000}, {"page": "2"}, {"page": -1}):
        assert _contacts_list(app, client, **odd).status_code == 400
    assert _contacts_list(app, client, dep="56").status_code == 403


def _opt_out(app, client, ident):
    return _post(app, client, "contacts-message", [[v({"index": ident, "type":
                                                       "contacts-desinscrire"}, 1, "n_clicks")]],
                 [v("contacts-vue", {"departement": "35"}, "data"),
                  v("contacts-desinscriptions", 0, "data")])


def test_an_opt_out_is_honoured_at_once_and_cancels_pending_messages(app):
    ident = _create(app, "bta35")
    _ok(_act(app, client_for(app, "cdt35"), ident, "valider"))
    o = alert_outbox
    assert _count(app, o, o.c.id_alerte == ident, o.c.id_contact == "CT-35066-2",
                  o.c.state == "pending") == 1
    out = _ok(_opt_out(app, client_for(app, "bta35"), "CT-35066-2"))
    assert "désinscrit" in as_text(out["contacts-message"])
    assert _count(app, o, o.c.id_alerte == ident, o.c.id_contact == "CT-35066-2",
                  o.c.state == "cancelled") == 1
    recipients = _ok(_recipients(app, client_for(app, "bta35"), BRUZ_BRIGADE))
    assert recipients["alerte-nombre-destinataires"]["data"] == 4  # 3 + the one added above
    before = _refusals(app)
    assert _opt_out(app, client_for(app, "bta56"), "CT-35047-2").status_code == 403
    assert _opt_out(app, client_for(app, "prefet35"), "CT-35047-2").status_code == 403
    assert _refusals(app) == before + 2
    assert _opt_out(app, client_for(app, "bta35"), "../x y").status_code == 400


def test_every_id_the_pages_callbacks_use_is_in_dash_s_start_up_layout(app):
    """Dash checks each callback's ids against the pages' layouts drawn without a user: one
    missing is an error in the browser's console."""
    def ids(node, found):
        if hasattr(node, "to_plotly_json"):
            node = node.to_plotly_json()
        if isinstance(node, dict):
            ident = node.get("props", {}).get("id")
            if isinstance(ident, str):
                found.add(ident)
            ids(node.get("props", {}).get("children"), found)
        elif isinstance(node, list | tuple):
            for child in node:
                ids(child, found)
        return found
    present = ids(app.validation_layout, set())
    prefixes = ("alerte", "fiche-alerte", "contact")
    for key, spec in app.callback_map.items():
        outputs = [part.rsplit(".", 1)[0] for part in key.strip(".").split("...")]
        if not any(o.startswith(prefixes) for o in outputs):
            continue
        used = outputs + [d["id"] for d in spec["inputs"] + spec["state"]]
        missing = [i for i in used if isinstance(i, str) and not i.startswith("{")
                   and i.split("@")[0] not in present]
        assert not missing, f"{key}: {missing}"


@pytest.mark.parametrize(("login", "path"), [
    ("prefet35", "/alertes"), ("prefet35", "/alertes/contacts"),
    ("cdt35", "/alertes/nouvelle")])
def test_an_out_of_scope_address_gets_the_refusal_block_and_one_audit_record(app, login, path):
    before = _refusals(app)
    tree = page(client_for(app, login), path, "?departement=56")
    block = find(tree, "acces-refuse")
    assert block is not None and "périmètre" in as_text(block)
    assert _refusals(app) == before + 1
    assert "Arradon" not in as_text(tree) and "Plescop" not in as_text(tree)


def test_odd_values_are_french_400s_never_500s(app):
    client = client_for(app, "cdt35")
    for status in ("supprimee", 3, ["a_valider"]):
        response = _post(app, client, "alertes-compte", [
            v("alertes-vue", {"departement": "35"}, "data"), v("alertes-statut", status)])
        assert response.status_code == 400
        assert "Requête invalide" in response.get_data(as_text=True)
    assert _recipients(app, client, ["35047"], dep="zz").status_code == 400
    assert _recipients(app, client, ["x" * 40]).status_code == 400
    assert _counts_status(app, client, {"texte": 1}) == 400
    assert _counts_status(app, client, "x" * 100_000) == 400
    assert _refresh(app, client, ["AL-1", "AL-2"]).status_code == 400
    assert _opt_out(app, client, None).status_code == 400


def _counts_status(app, client, message) -> int:
    return _post(app, client, "alerte-comptes", [v("alerte-message", message), v(
        "alerte-nombre-destinataires", 0, "data")]).status_code


def test_who_reads_and_who_reviews_an_alert():
    from dashboard.core.access import User
    from dashboard.pages import _alertes as rules

    row = {"departement": "35", "unite_auteur": "B35047", "created_by": "bta35"}
    assert rules.may_read(User("bta35", "brigade", "35", "B35047"), row)
    assert not rules.may_read(User("bta", "brigade", "35", "B35253"), row)
    assert rules.may_read(User("p", "prefet", "35"), row)
    assert not rules.may_read(User("p", "prefet", "56"), row)
    assert rules.may_read(User("a", "analyste"), row)
    assert rules.may_review(User("c", "commandant", "35"), row)
    assert not rules.may_review(User("c", "commandant", "56"), row)
    assert not rules.may_review(User("bta35", "brigade", "35", "B35047"), row)
    assert not rules.may_review(User("p", "prefet", "35"), row)
    assert not rules.may_review(User("bta35", "admin"), row)  # its author, whatever his role
    assert rules.list_filters(User("b", "brigade", "35", "B35047"), None) == {"unite": "B35047"}
    assert rules.list_filters(User("a", "analyste"), "56") == {"departement": "56"}
    assert rules.list_filters(User("p", "prefet", "35"), "56") == {"departement": "35"}

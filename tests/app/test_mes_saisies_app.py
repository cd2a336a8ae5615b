"""A brigade's day through Flask's test client (issue #19): « Mes saisies » lists the month's
entries of every form of the user's communes; a mistake is deleted through the one door (asked,
then confirmed with a reason: audited, checked against the version listed and the user's
communes) and corrected in its own form filled with it; the form keeps its key after the
confirmation (« Nouvelle saisie » gives a new one); each role lands on a page of its own after
signing in; a national user's forms search the communes on the server, bounded."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from dashboard.views import saisie as form_view
from dashboard.views import saisie_mes_saisies as mine
from etl import clock
from etl.ops import records
from etl.ops.store import audit_log, get_engine, record_history, record_tables
from tests.support.dash_callbacks import client_for, find, operational_app, page, text

ACCOUNTS = {"bta35": ("brigade", "35", "B35047"), "bta_sa": ("brigade", "35", "B35253"),
            "cdt35": ("commandant", "35", None), "prefet35": ("prefet", "35", None),
            "admin": ("admin", None, None)}
YESTERDAY = (clock.today() - timedelta(days=1)).isoformat()
DCAS = {"date_consultation": YESTERDAY, "code_commune": "35047", "fonction_elu": "maire",
        "canal": "telephone", "attentes": ["cambriolages"], "creneaux": ["soiree"],
        "priorite": "haute", "actions_suivi": None, "statut": "a_traiter", "date_suivi": None,
        "satisfaction": None}
REASON = form_view.field_id("mes-saisies", "motif")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with operational_app(tmp_path_factory.mktemp("mes_saisies"), ACCOUNTS) as app:
        yield app


def _engine(app):
    return get_engine(str(app.server.config["PRESENCE_OPS_ENGINE"].url))


def _audits(app, action: str) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == action)).scalar_one()


def _callback(app, first: str) -> str:
    """The registered callback whose first output is ``first`` (as Dash's front end names
    it, marks of duplicate outputs included)."""
    return next(k for k in app.callback_map if k.startswith(f"..{first}."))


def _call(client, key: str, inputs, state=(), wildcard=None):
    """Posts the callback ``key`` as Dash's front end does; ``wildcard``: the components an
    ALL output stands for."""
    outputs = []
    for part in key.strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        if ident.startswith("{"):
            if wildcard is not None:
                outputs.append([{"id": i, "property": prop.split("@")[0]} for i in wildcard])
                continue
            ident = json.loads(ident)
        outputs.append({"id": ident, "property": prop})
    changed = [f"{form_view.dom_id(i['id'])}.{i['property']}" for i in inputs
               if isinstance(i, dict) and i.get("value") is not None]
    changed += [f"{form_view.dom_id(i[0]['id'])}.{i[0]['property']}" for i in inputs
                if isinstance(i, list) and i]
    return client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs, "inputs": list(inputs),
        "changedPropIds": changed, "state": list(state)})


def _ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _enter(app, client, values=DCAS, key=None, correction=None) -> dict:
    """The DCAS form's « Enregistrer », as the page posts it."""
    fields = [{"id": form_view.field_id("dcas", n), "property": "value", "value": v}
              for n, v in values.items()]
    return _ok(_call(client, _callback(app, "dcas-resultat"),
                     [{"id": "dcas-enregistrer", "property": "n_clicks", "value": 1}],
                     [fields, {"id": "dcas-cle", "property": "data", "value": key or
                               find(page(client, "/saisie/dcas"), "dcas-cle")["data"]},
                      {"id": "dcas-correction", "property": "data", "value": correction}]))


def _latest(app, source="dcas") -> dict:
    table = record_tables[source]
    with _engine(app).connect() as con:
        return dict(con.execute(select(table).order_by(table.c.id.desc())).mappings().first())


def _ask(app, client, record: dict, source="dcas"):
    button = mine.delete_id(source, record["id"], record["version"])
    return _call(client, _callback(app, "mes-saisies-confirmer"),
                 [[{"id": button, "property": "n_clicks", "value": 1}],
                  {"id": "mes-saisies-annuler", "property": "n_clicks", "value": None}])


def _confirm(app, client, chosen, reason):
    return _call(client, _callback(app, "mes-saisies-message"),
                 [{"id": "mes-saisies-supprimer-confirme", "property": "n_clicks", "value": 1}],
                 [{"id": REASON, "property": "value", "value": reason},
                  {"id": "mes-saisies-choisie", "property": "data", "value": chosen}])


# --- the form keeps its key ----------------------------------------------------------------------

def test_a_second_click_replays_and_new_entry_gives_an_empty_form_and_a_new_key(app):
    client = client_for(app, "bta35")
    key = find(page(client, "/saisie/dcas"), "dcas-cle")["data"]
    before = _latest(app)["id"] if _latest_or_none(app) else 0
    first = text(_enter(app, client, key=key)["dcas-resultat"])
    second = text(_enter(app, client, key=key)["dcas-resultat"])
    assert "Consultation enregistrée" in first and "Nouvelle saisie" in first
    assert "Consultation déjà enregistrée" in second
    assert _latest(app)["id"] == before + 1  # one record for two clicks
    fields = [form_view.field_id("dcas", n) for n in DCAS]
    out = _ok(_call(client, _callback(app, "dcas-cle"),
                    [[{"id": {"type": "dcas-nouvelle-saisie", "index": 0},
                       "property": "n_clicks", "value": 1}]],
                    wildcard=fields))
    assert out["dcas-cle"]["data"] not in (None, key)
    assert out["dcas-correction"]["data"] is None
    values = {json.loads(k)["name"]: v["value"] for k, v in out.items() if k.startswith("{")}
    assert values["date_consultation"] == clock.today().isoformat()
    assert values["statut"] == "a_traiter" and values["attentes"] == []
    assert values["code_commune"] is None
    assert "Nouvelle saisie" in text(out["dcas-resultat"])


def _latest_or_none(app):
    table = record_tables["dcas"]
    with _engine(app).connect() as con:
        return con.execute(select(table.c.id)).first()


# --- « Mes saisies »: the month's entries of the user's communes ---------------------------------

def test_mes_saisies_lists_the_months_entries_of_the_users_communes_newest_first(app):
    _enter(app, client_for(app, "bta35"))
    own = _latest(app)
    _enter(app, client_for(app, "cdt35"), DCAS | {"code_commune": "35253"})
    other = _latest(app)
    _enter(app, client_for(app, "bta35"), DCAS | {"code_commune": "35066"})
    newest = _latest(app)
    # one entered last month: not this month's
    _enter(app, client_for(app, "bta35"))
    old = _latest(app)
    month = clock.today().replace(day=1)
    with _engine(app).begin() as con:
        con.execute(update(record_tables["dcas"]).where(record_tables["dcas"].c.id == old["id"])
                    .values(created_at=month - timedelta(days=3)))
    shown = text(page(client_for(app, "bta35"), "/saisie/mes-saisies"))
    assert own["id_consultation"] in shown and newest["id_consultation"] in shown
    assert other["id_consultation"] not in shown  # another brigade's commune
    assert old["id_consultation"] not in shown  # last month
    assert shown.index(newest["id_consultation"]) < shown.index(own["id_consultation"])
    assert "Consultation DCAS" in shown and "Bruz (35047)" in shown and "bta35" in shown
    assert f"/saisie/dcas?corriger={own['id']}" in shown
    commandant = text(page(client_for(app, "cdt35"), "/saisie/mes-saisies"))
    assert own["id_consultation"] in commandant and other["id_consultation"] in commandant
    prefet = text(page(client_for(app, "prefet35"), "/saisie/mes-saisies"))
    assert "acces-refuse" in prefet and own["id_consultation"] not in prefet


# --- deleting a mistake --------------------------------------------------------------------------

def test_a_mistake_is_deleted_with_its_reason_through_the_door_and_audited(app):
    client = client_for(app, "bta35")
    _enter(app, client)
    record = _latest(app)
    asked = _ok(_ask(app, client, record))
    assert asked["mes-saisies-confirmer"]["hidden"] is False
    assert record["id_consultation"] in asked["mes-saisies-confirmer-titre"]["children"]
    chosen = asked["mes-saisies-choisie"]["data"]
    # no reason: said by its input, nothing deleted
    out = _ok(_confirm(app, client, chosen, "  "))
    assert out["mes-saisies-erreur-motif"]["children"] == "Erreur : " + records.NO_REASON
    assert not _latest(app)["deleted"]
    before = _audits(app, "saisie_dcas_suppression")
    out = _ok(_confirm(app, client, chosen, "Doublon de la consultation de ce matin"))
    shown = text(out["mes-saisies-message"])
    assert "Saisie supprimée" in shown and record["id_consultation"] in shown
    assert record["id_consultation"] not in text(out["mes-saisies-saisies"])
    stored = records.get(_engine(app), "dcas", record["id"])
    assert stored["deleted"] and stored["version"] == record["version"] + 1
    assert _audits(app, "saisie_dcas_suppression") == before + 1
    with _engine(app).connect() as con:
        detail = con.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "saisie_dcas_suppression")
            .order_by(audit_log.c.id.desc()).limit(1)).scalar_one()
        actions = [r[0] for r in con.execute(select(record_history.c.action).where(
            record_history.c.source == "dcas", record_history.c.record_id == record["id"]))]
    assert "motif : Doublon de la consultation de ce matin" in detail
    assert actions == ["creation", "suppression"]
    # confirmed again (a second click): already gone, nothing more
    again = _ok(_confirm(app, client, chosen, "Doublon"))
    assert "n'existe plus" in text(again["mes-saisies-message"])
    assert _audits(app, "saisie_dcas_suppression") == before + 1


def test_a_deletion_checks_the_version_listed(app):
    client = client_for(app, "bta35")
    _enter(app, client)
    record = _latest(app)
    chosen = _ok(_ask(app, client, record))["mes-saisies-choisie"]["data"]
    # corrected meanwhile (another window, the DCAS follow-up): the version listed is old
    changed = records.correct(_engine(app), "dcas", record["id"], {"statut": "en_cours"},
                              "cdt35", lambda _v: True, {"35047"} | {"35066", "35253"})
    assert changed.ok, changed.errors
    out = _ok(_confirm(app, client, chosen, "Erreur de commune"))
    assert "modifié entre-temps" in text(out["mes-saisies-message"])
    assert not records.get(_engine(app), "dcas", record["id"])["deleted"]


def test_deleting_outside_ones_communes_is_refused_and_audited(app):
    _enter(app, client_for(app, "cdt35"), DCAS | {"code_commune": "35253"})
    other = _latest(app)
    brigade = client_for(app, "bta35")
    before = _audits(app, "acces_refuse")
    assert _ask(app, brigade, other).status_code == 403
    chosen = {"source": "dcas", "id": other["id"], "version": other["version"]}
    response = _confirm(app, brigade, chosen, "Pas chez nous")
    assert response.status_code == 403 and "périmètre" in response.get_data(as_text=True)
    assert _audits(app, "acces_refuse") == before + 2
    assert _confirm(app, client_for(app, "prefet35"), chosen, "x").status_code == 403
    assert _audits(app, "acces_refuse") == before + 3
    assert not records.get(_engine(app), "dcas", other["id"])["deleted"]
    # a record id or a reason no page sends: a French 400, audited
    invalid = _audits(app, "requete_invalide")
    for forged, reason in (({"source": "dcas", "id": "1", "version": 1}, "x"),
                           ({"source": "alertes", "id": 1, "version": 1}, "x"),
                           (chosen, "x" * 50_000)):
        response = _confirm(app, brigade, forged, reason)
        assert response.status_code == 400 and "Requête invalide" in response.get_data(
            as_text=True)
    assert _audits(app, "requete_invalide") == invalid + 3


# --- correcting in the form, filled ---------------------------------------------------------------

def test_a_record_is_corrected_in_its_form_filled_with_it(app):
    client = client_for(app, "bta35")
    _enter(app, client)
    record = _latest(app)
    tree = page(client, "/saisie/dcas", f"?corriger={record['id']}")
    assert find(tree, form_view.field_id("dcas", "priorite"))["value"] == "haute"
    assert find(tree, form_view.field_id("dcas", "attentes"))["value"] == ["cambriolages"]
    assert find(tree, "dcas-correction")["data"] == {"id": record["id"], "version": 1}
    assert f"Correction de {record['id_consultation']}" in text(tree)
    fixed = DCAS | {"priorite": "moyenne"}
    out = _enter(app, client, fixed, correction={"id": record["id"], "version": 1})
    assert "Correction enregistrée" in text(out["dcas-resultat"])
    assert out["dcas-correction"]["data"] == {"id": record["id"], "version": 2}
    assert records.get(_engine(app), "dcas", record["id"])["priorite"] == "moyenne"
    again = _enter(app, client, fixed, correction={"id": record["id"], "version": 2})
    assert "Aucune modification" in text(again["dcas-resultat"])
    stale = _enter(app, client, DCAS, correction={"id": record["id"], "version": 1})
    assert "modifié entre-temps" in text(stale["dcas-resultat"])
    # another brigade's record: the refusal, audited, and an empty form
    _enter(app, client_for(app, "cdt35"), DCAS | {"code_commune": "35253"})
    other = _latest(app)
    before = _audits(app, "acces_refuse")
    refused = page(client, "/saisie/dcas", f"?corriger={other['id']}")
    assert find(refused, "acces-refuse") is not None
    assert find(refused, "dcas-correction")["data"] is None
    assert _audits(app, "acces_refuse") == before + 1
    assert "introuvable" in text(page(client, "/saisie/dcas", "?corriger=99999999"))


# --- landing after sign-in -----------------------------------------------------------------------

def _landing(app, login: str, nxt: str | None = None) -> str:
    client = app.server.test_client()
    form = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    address = "/connexion" + (f"?next={nxt}" if nxt else "")
    response = client.post(address, data={"login": login, "password": "mot-de-passe-de-test",
                                          "csrf_token": token})
    assert response.status_code == 302
    return response.headers["Location"]


def test_each_role_lands_on_a_page_of_its_own(app):
    assert _landing(app, "bta35", "/") == "/brigade?id=B35047"
    assert _landing(app, "bta35") == "/brigade?id=B35047"
    assert _landing(app, "bta35", "/saisie/mes-saisies") == "/saisie/mes-saisies"
    for login in ("cdt35", "prefet35", "admin"):
        assert _landing(app, login, "/") == "/"
    assert _landing(app, "bta35", "https://ailleurs.example/") == "/brigade?id=B35047"
    # the landing has data: the brigade's profile, not a refusal
    client = client_for(app, "bta35")
    profile = page(client, "/brigade", "?id=B35047")
    assert find(profile, "acces-refuse") is None and "Brigade de Bruz" in text(profile)
    home = text(page(client, "/"))
    assert "/brigade?id=B35047" in home and "/saisie/mes-saisies" in home
    assert "acces-refuse" not in home


def test_a_profiles_period_runs_to_today_while_its_facts_stop_at_their_last_month(app):
    """The fixture's facts stop in October 2026: the profile's default period runs on to this
    month, so that what a brigade entered today is counted, and its facts say where they
    stop."""
    from tests.support.dash_callbacks import update

    client = client_for(app, "bta35")
    tree = page(client, "/brigade", "?id=B35047")
    view = find(tree, "fiche-brigade-vue")["data"]
    assert view == {"perimetre": "brigade:B35047", "debut": "2025-11",
                    "fin": clock.today().strftime("%Y-%m")}
    months = find(tree, "fiche-brigade-fin")["options"]
    assert max(o["value"] for o in months) == clock.today().strftime("%Y-%m")  # « au mois »
    out = update(client, [("fiche-brigade-chiffres", "children"),
                          ("fiche-brigade-sections", "children")],
                 [("fiche-brigade-vue", "data", view)])
    kpis, sections = text(out["fiche-brigade-chiffres"]), text(out["fiche-brigade-sections"])
    assert "Faits publiés jusqu'à octobre 2026" in kpis
    assert "Faits publiés jusqu'à octobre 2026" in sections
    # a period after the last month with facts: no figure of facts, said so
    later = update(client, [("fiche-brigade-chiffres", "children"),
                            ("fiche-brigade-sections", "children")],
                   [("fiche-brigade-vue", "data", view | {"debut": view["fin"]})])
    assert "Aucun mois de la période n'a encore de faits publiés" in text(
        later["fiche-brigade-chiffres"])


# --- communes on demand --------------------------------------------------------------------------

def _search(app, client, text_, value=None, field="code_commune"):
    ident = form_view.field_id("dcas", field)
    key = next(k for k in app.callback_map
               if k == f"{form_view.dom_id(ident)}.options")
    return client.post("/_dash-update-component", json={
        "output": key, "outputs": {"id": ident, "property": "options"},
        "inputs": [{"id": ident, "property": "search_value", "value": text_}],
        "changedPropIds": [f"{form_view.dom_id(ident)}.search_value"],
        "state": [{"id": ident, "property": "value", "value": value}]})


def test_a_national_user_searches_the_communes_on_the_server(app):
    admin = client_for(app, "admin")
    tree = page(admin, "/saisie/dcas")
    dropdown = find(tree, form_view.field_id("dcas", "code_commune"))
    assert dropdown["options"] == []  # no national list in the page
    assert dropdown["placeholder"] == form_view.SEARCH_PLACEHOLDER
    found = _ok(_search(app, admin, "fougeres"))
    options = found[form_view.dom_id(form_view.field_id("dcas", "code_commune"))]["options"]
    # the DCAS record's brigade comes from its commune: communes a brigade serves only
    assert options == []
    found = _ok(_search(app, admin, "saint aubin"))
    labels = [o["label"] for o in found[form_view.dom_id(
        form_view.field_id("dcas", "code_commune"))]["options"]]
    assert labels == ["Saint-Aubin-du-Cormier (35253)"]
    by_code = _ok(_search(app, admin, "5600", value="35047"))
    labels = [o["label"] for o in by_code[form_view.dom_id(
        form_view.field_id("dcas", "code_commune"))]["options"]]
    assert labels == ["Bruz (35047)", "Arradon (56003)"]  # the chosen one kept, first
    assert all("5600" in o["search"] for o in by_code[form_view.dom_id(
        form_view.field_id("dcas", "code_commune"))]["options"])
    # bounded: a text no search box sends is a French 400, audited
    before = _audits(app, "requete_invalide")
    for forged in ("x" * 65, ["fou"], {"a": 1}):
        response = _search(app, admin, forged)
        assert response.status_code == 400, forged
        assert "Requête invalide" in response.get_data(as_text=True)
    assert _audits(app, "requete_invalide") == before + 3


def test_the_search_is_scope_checked_and_a_brigade_keeps_its_list(app):
    commandant = client_for(app, "cdt35")
    assert _search(app, commandant, "arradon").status_code == 204  # its list is in the page
    brigade = client_for(app, "bta35")
    tree = page(brigade, "/saisie/dcas")
    options = find(tree, form_view.field_id("dcas", "code_commune"))["options"]
    assert [o["value"] for o in options] == ["35047", "35066"]
    before = _audits(app, "acces_refuse")
    assert _search(app, client_for(app, "prefet35"), "bruz").status_code == 403
    assert _audits(app, "acces_refuse") == before + 1


def test_search_helpers_keep_to_the_users_communes_and_are_bounded(app):
    from dashboard.core import warehouse as data
    from dashboard.core.access import User
    from dashboard.pages import _communes as commune_search

    with app.server.test_request_context("/"):
        warehouse = data.get_warehouse()
    national = User("admin", "admin")
    commandant = User("cdt35", "commandant", "35")
    assert list(commune_search.search(national, warehouse, "r", limit=30)["code"]) == []
    assert len(commune_search.search(national, warehouse, "an", limit=2)) == 2
    assert set(commune_search.search(commandant, warehouse, "an")["code"]) <= {
        "35238", "35115", "35047", "35066", "35253", "35142"}
    assert list(commune_search.named(commandant, warehouse, ["56003", "35047", "x"])[
        "code"]) == ["35047"]
    assert list(commune_search.search(national, warehouse, "schoelcher")["code"]) == ["97229"]

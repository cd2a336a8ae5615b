"""The audit page (« Journal d'audit », #21 item 7) through Flask's test client: an administrator
filters the log (login, action, département, period in France's days) and pages through it
(50 rows, newest first), exports the filtered rows as CSV (formulas neutralised); the other
roles are refused the page and every callback (403, audited); odd filter values are a French
400 (audited); 1,000 anonymous refusals add a few counter rows, not 1,000 audit records."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from dashboard.queries import journal as queries
from etl.ops import audit_trail
from etl.ops.store import audit_log, get_engine, refusal_counts, utcnow
from tests.support.dash_callbacks import callback_body, client_for, find, operational_app, page
from tests.support.dashboard_fixture import add_account

PATH = "/administration/journal"


class Ids:  # dashboard.pages.journal's (a page module is imported by the app it registers in)
    login, action, departement = "journal-identifiant", "journal-action", "journal-departement"
    start, end, page = "journal-debut", "journal-fin", "journal-page"
    previous, next, pager = "journal-precedente", "journal-suivante", "journal-pagination"
    listing, table, message = "journal-lignes", "journal-tableau", "journal-message"
    anonymous, export = "journal-refus-anonymes", "journal-exporter"
    download = "journal-telechargement"


ACCOUNTS = {"admin": ("admin", None, None), "cdt35": ("commandant", "35", None),
            "prefet35": ("prefet", "35", None), "bta35": ("brigade", "35", "B35047")}
#: 120 sign-ins of a commandant of the Morbihan, one an hour from 1 November 2026, 10:00 UTC
START = datetime(2026, 11, 1, 10, 0)
OUTPUTS = [(Ids.listing, "children"), (Ids.pager, "children"), (Ids.page, "data"),
           (Ids.previous, "disabled"), (Ids.next, "disabled"), (Ids.anonymous, "children"),
           (Ids.message, "children")]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("journal")
    with operational_app(data_dir, ACCOUNTS) as app:
        import sys

        assert sys.modules["dashboard.pages.journal"].Ids.download == Ids.download
        add_account(data_dir, "cdt56", "commandant", "56")
        with _engine(app).begin() as con:
            con.execute(insert(audit_log), [
                {"at": START + timedelta(hours=i), "login": "cdt56", "action": "connexion",
                 "detail": "commandant", "address": "10.0.0.5"} for i in range(120)])
            con.execute(insert(audit_log), [
                {"at": START, "login": "cdt56", "action": "essai_inconnu",
                 "detail": "=HYPERLINK(\"http://x\")", "address": "10.0.0.5"}])
        yield app


def _engine(app):
    return get_engine(str(app.server.config["PRESENCE_OPS_ENGINE"].url))


def _audits(app, action: str) -> int:
    with _engine(app).connect() as con:
        return con.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == action)).scalar_one()


def _show(client, login="", action="", dep="", start="", end="", page_=1, trigger=Ids.login):
    body = callback_body(OUTPUTS, [
        (Ids.login, "value", login), (Ids.action, "value", action),
        (Ids.departement, "value", dep), (Ids.start, "value", start), (Ids.end, "value", end),
        (Ids.previous, "n_clicks", 1 if trigger == Ids.previous else None),
        (Ids.next, "n_clicks", 1 if trigger == Ids.next else None)],
        [(Ids.page, "data", page_)])
    prop = "n_clicks" if trigger in (Ids.previous, Ids.next) else "value"
    body["changedPropIds"] = [f"{trigger}.{prop}"]
    return client.post("/_dash-update-component", json=body)


def _shown(response) -> dict:
    assert response.status_code == 200, response.data[:300]
    return {k: v for k, v in response.get_json()["response"].items()}


def _export(client, login="", action="", dep="", start="", end=""):
    body = callback_body([(Ids.download, "data")], [(Ids.export, "n_clicks", 1)], [
        (Ids.login, "value", login), (Ids.action, "value", action),
        (Ids.departement, "value", dep), (Ids.start, "value", start), (Ids.end, "value", end)])
    return client.post("/_dash-update-component", json=body)


def _rows(shown) -> list[list]:
    table = find(shown[Ids.listing]["children"], Ids.table)
    body = table["children"][2]["props"]["children"]
    return [[cell["props"]["children"] for cell in row["props"]["children"]] for row in body]


def test_an_administrator_filters_and_pages_newest_first(app):
    admin = client_for(app, "admin")
    layout = page(admin, PATH)
    assert find(layout, Ids.login)["maxLength"] == 64 and find(layout, "acces-refuse") is None
    first = _shown(_show(admin, dep="56", action="connexion"))
    assert first[Ids.pager]["children"] == "Page 1 sur 3 (120 lignes)"
    assert first[Ids.previous]["disabled"] and not first[Ids.next]["disabled"]
    rows = _rows(first)
    assert len(rows) == 50
    # newest first, in Paris time (UTC+1 in November): the last sign-in, 5 Nov 09:00 UTC
    assert rows[0][:3] == ["06/11/2026 10:00:00", "cdt56", "56"]
    assert rows[0][3][0] == "Connexion" and rows[0][3][2]["props"]["children"] == "connexion"
    assert rows[1][0] == "06/11/2026 09:00:00"
    second = _shown(_show(admin, dep="56", action="connexion", page_=1, trigger=Ids.next))
    assert second[Ids.page]["data"] == 2
    assert second[Ids.pager]["children"] == "Page 2 sur 3 (120 lignes)"
    assert _rows(second)[0][0] == "04/11/2026 08:00:00"
    third = _shown(_show(admin, dep="56", action="connexion", page_=2, trigger=Ids.next))
    assert third[Ids.next]["disabled"] and len(_rows(third)) == 20
    back = _shown(_show(admin, dep="56", action="connexion", page_=3, trigger=Ids.previous))
    assert back[Ids.page]["data"] == 2
    # one of France's days: 2 November, 00:00 to 24:00 Paris = 1 Nov 23:00 to 2 Nov 23:00 UTC
    day = _shown(_show(admin, login="CDT5", start="2026-11-02", end="2026-11-02",
                       trigger=Ids.start))
    assert day[Ids.pager]["children"] == "Page 1 sur 1 (24 lignes)"
    assert _rows(day)[-1][0] == "02/11/2026 00:00:00"
    # an action without a label is shown as written; the détail keeps its text
    odd = _shown(_show(admin, action="essai_inconnu", trigger=Ids.action))
    assert _rows(odd)[0][3] == ["essai_inconnu"]
    none = _shown(_show(admin, start="2026-11-03", end="2026-11-02", trigger=Ids.end))
    assert none[Ids.pager]["children"] == "Page 1 sur 1 (0 ligne)"
    assert "postérieure" in str(none[Ids.message]["children"])
    assert first[Ids.anonymous]["children"].startswith("Refus anonymes : ")


def test_an_administrator_exports_the_filtered_rows(app):
    admin = client_for(app, "admin")
    response = _export(admin, dep="56")
    assert response.status_code == 200
    data = response.get_json()["response"][Ids.download]["data"]
    assert data["filename"].startswith("journal-audit-") and data["filename"].endswith(".csv")
    text = base64.b64decode(data["content"]).decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == ("Date et heure (Paris);Identifiant;Département;Action;"
                        "Code de l'action;Détail;Adresse")
    # the 121 records written for cdt56, and the creation of the account (newest)
    assert len([line for line in lines[1:] if line]) == 122
    assert ";cdt56;56;Compte créé;compte_cree;" in lines[1]
    assert lines[2].startswith("06/11/2026 10:00:00;cdt56;56;Connexion;connexion;")
    assert "'=HYPERLINK" in text  # neutralised
    only = _export(admin, login="cdt56", action="essai_inconnu")
    text = base64.b64decode(only.get_json()["response"][Ids.download]["data"]["content"])
    assert len([line for line in text.decode("utf-8-sig").split("\r\n")[1:] if line]) == 1


@pytest.mark.parametrize("login", ["cdt35", "prefet35", "bta35"])
def test_other_roles_are_refused_the_page_and_its_callbacks(app, login):
    client = client_for(app, login)
    before = _audits(app, "acces_refuse")
    assert find(page(client, PATH), "acces-refuse") is not None
    assert _audits(app, "acces_refuse") == before + 1
    shown = _show(client, dep="56")
    assert shown.status_code == 403
    assert "administrateur" in shown.get_data(as_text=True)
    assert _export(client).status_code == 403
    assert _audits(app, "acces_refuse") == before + 3
    assert PATH not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value"), [
    ("login", "x" * 65), ("login", ["cdt56"]), ("start", "0000-01-01"), ("start", "2026-13-01"),
    ("end", "9999-12-31"), ("end", "20261102"), ("dep", "<script>"), ("action", {"a": 1}),
    ("page_", "2"), ("page_", -1), ("page_", True)])
def test_odd_values_are_a_french_400_audited(app, field, value):
    admin = client_for(app, "admin")
    before = _audits(app, "requete_invalide")
    response = _show(admin, **{field: value})
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("Requête invalide")
    assert _audits(app, "requete_invalide") == before + 1
    if field != "page_":
        assert _export(admin, **{field: value}).status_code == 400


def test_a_thousand_anonymous_refusals_add_a_few_rows(app):
    engine = _engine(app)
    with engine.connect() as con:
        rows_before = con.execute(select(func.count()).select_from(audit_log)).scalar_one()
    counted_before = audit_trail.counted(engine)
    anonymous = app.server.test_client()
    anonymous.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for _ in range(990):  # no CSRF token
        assert anonymous.post("/connexion", data={"login": "x", "password": "y"}
                              ).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      anonymous.get("/connexion").get_data(as_text=True)).group(1)
    for _ in range(5):  # a login too long, a form too large
        assert anonymous.post("/connexion", data={"login": "x" * 65, "password": "y",
                                                  "csrf_token": token}).status_code == 400
        assert anonymous.post("/connexion", data={"login": "x" * 9000, "password": "y",
                                                  "csrf_token": token}).status_code == 413
    with engine.connect() as con:
        assert con.execute(select(func.count()).select_from(audit_log)).scalar_one() == \
            rows_before
        counters = con.execute(select(refusal_counts).where(
            refusal_counts.c.address == "192.0.2.7")).mappings().all()
    assert audit_trail.counted(engine) == counted_before + 1000
    assert len(counters) <= 6  # 3 kinds, at most 2 minutes
    assert {c["action"] for c in counters} == {"csrf_refuse", "connexion_refusee"}
    shown = _shown(_show(client_for(app, "admin")))
    hour = int(re.match(r"Refus anonymes : ([\d\u202f]+)", shown[Ids.anonymous]["children"])
               .group(1).replace("\u202f", ""))
    assert hour >= 1000
    # two hours from now, none in the last hour; all in the last 24 hours
    later = queries.anonymous_refusals(engine, utcnow() + timedelta(hours=2))
    assert later == (0, counted_before + 1000)

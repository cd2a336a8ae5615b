"""Access control through Flask's test client: sign-in, 302/401, scope forging, roles, CSRF."""

from __future__ import annotations

import io
import re
import sys

import pytest
from sqlalchemy import select

from dashboard.app import create_app
from dashboard.core import access, accounts, auth
from etl.ops.store import audit_log, get_engine, sessions
from etl.settings import get_settings
from tests.support.dash_callbacks import organisation_kpis
from tests.support.dashboard_fixture import add_account, build_small_warehouse, sign_in
from tests.support.shared_app import empty_store


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app on the fixture warehouse for the module's tests (building one is what costs)."""
    data_dir = tmp_path_factory.mktemp("access")
    build_small_warehouse(data_dir / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRESENCE_DATA_DIR", str(data_dir))
        yield create_app(get_settings()), data_dir


@pytest.fixture
def app(shared_app, monkeypatch):
    """The module's app, its operational store made new (the tests lock, disable and audit
    accounts) with one account per role."""
    app, data_dir = shared_app
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    empty_store(get_settings().ops_url)
    add_account(data_dir, "prefet35", "prefet", "35")
    add_account(data_dir, "commandant56", "commandant", "56")
    add_account(data_dir, "brigade35", "brigade", "35", "B35047")
    add_account(data_dir, "analyste", "analyste")
    add_account(data_dir, "admin", "admin")
    return app


def client_for(app, login=None):
    client = app.server.test_client()
    if login:
        sign_in(client, login)
    return client


def kpis(client, departement):
    return organisation_kpis(client, departement)


def test_unauthenticated_pages_redirect_and_dash_routes_answer_401(app):
    c = client_for(app)
    r = c.get("/?departement=35&indicateur=effectif")
    assert r.status_code == 302
    # the whole address survives the sign-in (query encoded into `next`)
    assert r.headers["Location"] == "/connexion?next=/%3Fdepartement%3D35%26indicateur%3Deffectif"
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert c.get(path).status_code == 401
    assert kpis(c, "35").status_code == 401
    assert c.get("/connexion").status_code == 200
    assert c.get("/assets/style.css").status_code == 200


def test_wrong_password_is_refused_in_french_then_throttled(app):
    c = client_for(app)
    page = c.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for _ in range(auth.MAX_FAILURES):
        r = c.post("/connexion", data={"login": "prefet35", "password": "faux",
                                       "csrf_token": token})
        assert r.status_code == 200
        assert "Identifiant ou mot de passe incorrect" in r.get_data(as_text=True)
    r = c.post("/connexion", data={"login": "prefet35", "password": "mot-de-passe-de-test",
                                   "csrf_token": token})
    assert r.status_code == 429 and "Trop de tentatives" in r.get_data(as_text=True)
    with get_engine(get_settings().ops_url).connect() as con:
        assert con.execute(select(sessions)).first() is None  # no session was opened


def test_login_form_needs_its_csrf_token(app):
    c = client_for(app)
    r = c.post("/connexion", data={"login": "prefet35", "password": "mot-de-passe-de-test"})
    assert r.status_code == 400


def test_prefet_forging_another_departement_is_refused_and_logged(app, tmp_path):
    c = client_for(app, "prefet35")
    assert kpis(c, "35").status_code == 200
    assert "Ille-et-Vilaine" in kpis(c, "35").get_data(as_text=True)
    forged = kpis(c, "56")
    assert forged.status_code == 403
    assert "Morbihan" not in forged.get_data(as_text=True)
    assert kpis(c, None).status_code == 403  # no national view either
    with get_engine(get_settings().ops_url).connect() as con:
        rows = con.execute(select(audit_log.c.login, audit_log.c.detail)
                           .where(audit_log.c.action == "acces_refuse")).fetchall()
    assert ("prefet35", "département demandé : '56'") in rows


def test_each_role_sees_its_scope(app):
    # the brigade role sees its brigade and its communes, never its whole département
    allowed = {"prefet35": ["35"], "commandant56": ["56"], "brigade35": [],
               "analyste": [None, "35", "56", "972"], "admin": [None, "56"]}
    forbidden = {"prefet35": [None, "56", "972"], "commandant56": [None, "35"],
                 "brigade35": [None, "35", "56"], "analyste": [], "admin": []}
    for login in allowed:
        c = client_for(app, login)
        for dep in allowed[login]:
            assert kpis(c, dep).status_code == 200, (login, dep)
        for dep in forbidden[login]:
            assert kpis(c, dep).status_code == 403, (login, dep)


def test_page_of_a_scoped_role_shows_only_its_departement(app):
    c = client_for(app, "prefet35")
    layout = c.get("/_dash-layout").get_data(as_text=True)
    assert "prefet35" in layout
    page = sys.modules["dashboard.pages.organisation"]
    with app.server.test_request_context("/?departement=56"):
        import flask

        flask.g.user = access.User("prefet35", "prefet", "35")
        text = str(page.layout(departement="56").to_plotly_json())
        # a préfet whose département the warehouse does not hold sees no national map
        flask.g.user = access.User("prefet29", "prefet", "29")
        elsewhere = str(page.layout().to_plotly_json())
    assert "pas dans votre périmètre" in text
    assert "'value': '35'" in text and "Morbihan" not in text
    assert "Brigades — 35 Ille-et-Vilaine" in text  # the map comes with the page: its own
    assert "Département inconnu" in elsewhere and "nationale" not in elsewhere
    assert not any(name in elsewhere for name in ("Ille-et-Vilaine", "Morbihan", "Martinique"))


def test_dash_callbacks_need_the_csrf_header(app):
    c = client_for(app, "analyste")
    del c.environ_base["HTTP_X_CSRFTOKEN"]
    assert kpis(c, "35").status_code == 400


def test_static_files_are_kept_by_the_browser_and_leave_the_session_alone(app):
    """Scripts and styles carry neither the session cookie nor ``Vary: Cookie`` (either would
    make the browser download and compile Dash's scripts again in every new tab). The session
    cookie is a browser-session one (no Expires: the store ends the session), so no response
    needs to re-sign it."""
    assert client_for(app).get(
        "/_dash-component-suites/dash/deps/react@18.3.1.min.js").status_code == 401
    c = client_for(app, "analyste")
    page = c.get("/carte")
    assert not any(h.startswith("session=") and "expires" in h.lower()
                   for h in page.headers.getlist("Set-Cookie"))
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page.get_data(as_text=True))
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+\?m=[^"]+)"', page.get_data(as_text=True))
    assert len(scripts) >= 8 and any("plotly-presence" in a for a in assets), assets
    assert any("bootstrap.min.css" in a for a in assets)
    for url in scripts + assets:
        r = c.get(url)
        assert r.status_code == 200, url
        assert "Set-Cookie" not in r.headers, url
        assert "cookie" not in r.headers.get("Vary", "").lower(), url
        assert "max-age=31536000" in r.headers["Cache-Control"], url
    # an asset asked without its version is revalidated, not kept
    assert "max-age" not in c.get("/assets/style.css").headers.get("Cache-Control", "")
    assert not any(h.startswith("session=") and "expires" in h.lower()
                   for h in kpis(c, "35").headers.getlist("Set-Cookie"))


def test_http_errors_answer_in_french(app):
    c = client_for(app, "analyste")
    missing = c.get("/assets/nothing-here.css")
    assert missing.status_code == 404
    assert missing.get_data(as_text=True) == "Page ou fichier introuvable."
    assert c.get("/geo/unknown/national/france.json").status_code == 404
    wrong = c.put("/connexion")
    assert wrong.status_code == 405 and "Méthode non autorisée" in wrong.get_data(as_text=True)


def test_disabled_account_is_out_at_once(app):
    c = client_for(app, "analyste")
    assert kpis(c, "35").status_code == 200
    accounts.disable_user(get_engine(get_settings().ops_url), "analyste")
    assert kpis(c, "35").status_code == 401


def test_sign_out_and_no_open_redirect(app):
    c = client_for(app)
    page = c.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = c.post("/connexion?next=//evil.example/x", data={
        "login": "analyste", "password": "mot-de-passe-de-test", "csrf_token": token})
    assert r.headers["Location"] == "/"
    c.get("/")
    c.environ_base["HTTP_X_CSRFTOKEN"] = c.get_cookie("_csrf_token").value
    r = c.post("/deconnexion", headers={"X-CSRFToken": c.get_cookie("_csrf_token").value})
    assert r.status_code == 302
    assert c.get("/").status_code == 302


def test_account_rules(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    with pytest.raises(accounts.AccountError, match="exige un département"):
        accounts.add_user(engine, "p", "x" * 12, "prefet")
    with pytest.raises(accounts.AccountError, match="exige une brigade"):
        accounts.add_user(engine, "b", "x" * 12, "brigade", "35")
    with pytest.raises(accounts.AccountError, match="trop court"):
        accounts.add_user(engine, "a", "court", "analyste")
    with pytest.raises(accounts.AccountError, match="Rôle inconnu"):
        accounts.add_user(engine, "a", "x" * 12, "roi")
    accounts.add_user(engine, "a", "x" * 12, "analyste", "35")
    assert accounts.verify(engine, "a", "x" * 12) == access.User("a", "analyste", None, None)
    assert accounts.verify(engine, "a", "y" * 12) is None
    with pytest.raises(accounts.AccountError, match="existe déjà"):
        accounts.add_user(engine, "a", "x" * 12, "analyste")
    stored = accounts.list_users(engine)[0]
    assert "password" not in stored


def test_users_cli(tmp_path, monkeypatch, capsys):
    from dashboard.__main__ import main

    build_small_warehouse(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("un-mot-de-passe-long\n"))
    assert main(["users", "add", "bri", "--role", "brigade", "--brigade", "B35047"]) == 0
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "bri" in out and "35" in out and "actif" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("un-mot-de-passe-long\n"))
    assert main(["users", "add", "x", "--role", "brigade", "--brigade", "B99999"]) == 2
    assert "Brigade inconnue" in capsys.readouterr().err
    assert main(["users", "disable", "bri"]) == 0
    main(["users", "list"])
    assert "désactivé" in capsys.readouterr().out
    assert main(["demo-accounts"]) == 0
    out = capsys.readouterr().out
    assert "prefet.demo" in out and "analyste.demo" in out
    assert (tmp_path / "comptes_demo.txt").stat().st_mode & 0o077 == 0

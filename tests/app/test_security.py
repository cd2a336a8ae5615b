"""What an attacker's probe of the running server found, each checked through Flask's test
client: server-side sessions (sign-out, idle and absolute lifetimes, disabled accounts), bounded
sign-in input, a lockout that holds under concurrency, security headers (CSP, HSTS, Secure
cookies behind an HTTPS proxy), the brigade role's scope, unusual input answered without a 500,
the public addresses, and French refusals with the right status."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from dashboard.app import create_app
from dashboard.core import accounts, auth
from dashboard.core.scope import Period, Scope, ScopeError, add_months
from etl.ops import audit_trail, lockout
from etl.ops.store import audit, audit_log, get_engine, login_attempts, sessions, users, utcnow
from etl.settings import get_settings
from tests.support.dash_callbacks import operational_app, organisation_kpis
from tests.support.dashboard_fixture import add_account, build_small_warehouse, sign_in
from tests.support.shared_app import empty_store

PASSWORD = "mot-de-passe-de-test"


def _add_accounts(data_dir):
    add_account(data_dir, "prefet35", "prefet", "35")
    add_account(data_dir, "brigade35", "brigade", "35", "B35047")
    add_account(data_dir, "analyste", "analyste")


def _make_app(tmp_path, monkeypatch, **env):
    build_small_warehouse(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app(get_settings())
    _add_accounts(tmp_path)
    return app


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app (default settings) for the module's tests: building it is what costs; `app`
    gives each test its operational store as new."""
    data_dir = tmp_path_factory.mktemp("security")
    with pytest.MonkeyPatch.context() as mp:
        yield _make_app(data_dir, mp), data_dir


@pytest.fixture
def app(shared_app, monkeypatch):
    """The module's app, its operational store emptied (no session, audit record, sign-in
    attempt nor record: each test writes some, and disables or locks accounts) and the three
    accounts created again."""
    app, data_dir = shared_app
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    empty_store(get_settings().ops_url)
    _add_accounts(data_dir)
    return app


@pytest.fixture
def engine(app):
    return get_engine(get_settings().ops_url)


def client_for(app, login=None, address=None):
    client = app.server.test_client()
    if address:
        client.environ_base["REMOTE_ADDR"] = address
    if login:
        sign_in(client, login)
    return client


def kpis(client, departement="35"):
    return organisation_kpis(client, departement)


def csrf_token(client) -> str:
    page = client.get("/connexion").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_sign_in(client, login, password, token=None):
    return client.post("/connexion", data={"login": login, "password": password,
                                           "csrf_token": token or csrf_token(client)})


def sign_out(client):
    token = client.get_cookie("_csrf_token").value
    return client.post("/deconnexion", headers={"X-CSRFToken": token})


def audit_rows(engine, action):
    with engine.connect() as con:
        return con.execute(select(audit_log.c.login, audit_log.c.detail, audit_log.c.address)
                           .where(audit_log.c.action == action)).fetchall()


def session_rows(engine, login):
    with engine.connect() as con:
        return con.execute(select(sessions).where(sessions.c.login == login)
                           .order_by(sessions.c.id)).fetchall()


def set_session_times(engine, login, **times):
    with engine.begin() as con:
        con.execute(update(sessions).where(sessions.c.login == login).values(**times))


def replay(app, cookie_value: str, csrf: str):
    """A new browser holding a copy of someone's session cookie (and the CSRF header)."""
    thief = app.server.test_client()
    thief.set_cookie("session", cookie_value)
    thief.environ_base["HTTP_X_CSRFTOKEN"] = csrf
    return thief


@pytest.fixture
def count_password_checks(monkeypatch):
    """How many times a password was hashed and compared (werkzeug's check_password_hash)."""
    calls = []
    lock = threading.Lock()
    real = accounts.check_password_hash

    def counting(pwhash, password):
        with lock:
            calls.append(len(password))
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return calls


# --- 1. sessions live in the store ----------------------------------------------------------

def test_a_cookie_replayed_after_sign_out_is_refused(app, engine):
    c = client_for(app, "analyste")
    stolen, csrf = c.get_cookie("session").value, c.get_cookie("_csrf_token").value
    assert kpis(replay(app, stolen, csrf)).status_code == 200  # the copy works while signed in
    assert sign_out(c).status_code == 302
    thief = replay(app, stolen, csrf)
    assert kpis(thief).status_code == 401
    page = thief.get("/carte")
    assert page.status_code == 302 and page.headers["Location"].startswith("/connexion")
    [row] = session_rows(engine, "analyste")
    assert row.revoked_at is not None
    assert ("analyste", "", "127.0.0.1") in audit_rows(engine, "deconnexion")


def test_the_store_keeps_only_a_hash_of_the_session_id(app, engine):
    c = client_for(app, "analyste")
    serializer = app.server.session_interface.get_signing_serializer(app.server)
    sid = serializer.loads(c.get_cookie("session").value)[auth.SESSION_KEY]
    [row] = session_rows(engine, "analyste")
    assert len(sid) >= 40 and row.token_hash == hashlib.sha256(sid.encode()).hexdigest()
    assert sid not in json.dumps([str(v) for v in row])
    assert row.address == "127.0.0.1" and row.revoked_at is None
    assert row.created_at <= row.last_seen <= utcnow()


def test_idle_and_absolute_lifetimes(app, engine):
    c = client_for(app, "analyste")
    set_session_times(engine, "analyste", last_seen=utcnow() - timedelta(minutes=31))
    assert kpis(c).status_code == 401  # 30 minutes idle by default
    assert kpis(c).status_code == 401  # and the cookie's id is forgotten
    c = client_for(app, "analyste")
    set_session_times(engine, "analyste", last_seen=utcnow() - timedelta(minutes=29))
    assert kpis(c).status_code == 200
    # used a minute ago, but signed in 10 hours ago: over
    set_session_times(engine, "analyste", created_at=utcnow() - timedelta(hours=10, minutes=1),
                      last_seen=utcnow() - timedelta(minutes=1))
    assert kpis(c).status_code == 401
    assert c.get("/").status_code == 302
    details = sorted(d for _l, d, _a in audit_rows(engine, "session_expiree"))
    assert details == ["durée maximale de session atteinte", "session inactive trop longtemps"]


def test_lifetimes_come_from_the_settings(tmp_path, monkeypatch):
    app = _make_app(tmp_path, monkeypatch, PRESENCE_SESSION_IDLE_MINUTES="5",
                    PRESENCE_SESSION_MAX_HOURS="2")
    engine = get_engine(get_settings().ops_url)
    c = client_for(app, "analyste")
    set_session_times(engine, "analyste", last_seen=utcnow() - timedelta(minutes=6))
    assert kpis(c).status_code == 401
    c = client_for(app, "analyste")
    set_session_times(engine, "analyste", created_at=utcnow() - timedelta(hours=2, minutes=1))
    assert kpis(c).status_code == 401
    monkeypatch.setenv("PRESENCE_SESSION_IDLE_MINUTES", "0")
    from etl.settings import SettingsError

    with pytest.raises(SettingsError, match="PRESENCE_SESSION_IDLE_MINUTES"):
        get_settings()


def test_last_seen_is_written_at_most_once_a_minute(app, engine):
    c = client_for(app, "analyste")
    [first] = session_rows(engine, "analyste")
    for _ in range(3):
        assert kpis(c).status_code == 200
    assert session_rows(engine, "analyste")[0].last_seen == first.last_seen
    old = utcnow() - timedelta(minutes=2)
    set_session_times(engine, "analyste", last_seen=old)
    assert kpis(c).status_code == 200
    moved = session_rows(engine, "analyste")[0].last_seen
    assert moved > old + timedelta(minutes=1)
    assert kpis(c).status_code == 200
    assert session_rows(engine, "analyste")[0].last_seen == moved


def test_disabling_an_account_ends_all_its_sessions(app, engine):
    first, second = client_for(app, "analyste"), client_for(app, "analyste")
    assert kpis(first).status_code == kpis(second).status_code == 200
    accounts.disable_user(engine, "analyste")
    assert kpis(first).status_code == kpis(second).status_code == 401
    assert all(r.revoked_at is not None for r in session_rows(engine, "analyste"))
    assert audit_rows(engine, "compte_desactive") == [
        ("analyste", "2 session(s) fermée(s)", None)]


def test_an_administrator_revokes_a_users_sessions(app, engine):
    c = client_for(app, "analyste")
    other = client_for(app, "prefet35")
    assert accounts.revoke_sessions(engine, "analyste") == 1
    assert kpis(c).status_code == 401
    assert kpis(other).status_code == 200  # only that user's
    assert kpis(client_for(app, "analyste")).status_code == 200  # the account stays active
    with pytest.raises(accounts.AccountError, match="Compte inconnu"):
        accounts.revoke_sessions(engine, "personne")
    assert ("analyste", "1 session(s) fermée(s)", None) in audit_rows(engine,
                                                                     "sessions_revoquees")


def test_signing_in_again_gives_a_new_session_id(app, engine):
    c = client_for(app, "analyste")
    before = c.get_cookie("session").value
    sign_in(c, "analyste")
    rows = session_rows(engine, "analyste")
    assert len(rows) == 2 and rows[0].revoked_at is not None and rows[1].revoked_at is None
    assert kpis(replay(app, before, c.get_cookie("_csrf_token").value)).status_code == 401


def test_static_files_still_leave_the_session_alone(app):
    c = client_for(app, "analyste")
    r = c.get("/assets/style.css?m=1")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    assert "cookie" not in r.headers.get("Vary", "").lower()


def test_passwords_are_stored_with_scrypt(tmp_path, real_password_hash, monkeypatch):
    """The real method (the other tests' accounts use a cheap one: tests/conftest.py): a salted
    scrypt hash, never the password; the right password verified, a wrong one refused, and an
    unknown login compared with a scrypt hash too (the same work as a known one)."""
    method, dummy = real_password_hash
    assert method == "scrypt"
    monkeypatch.setattr(accounts, "HASH_METHOD", method)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", dummy)
    compared = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda pwhash, password: compared.append(pwhash.split("$")[0])
                        or real_check(pwhash, password))
    engine = get_engine(f"sqlite:///{tmp_path / 'operations.sqlite'}")
    add_account(tmp_path, "analyste", "analyste")
    add_account(tmp_path, "analyste2", "analyste")
    with engine.connect() as con:
        stored = dict(con.execute(select(users.c.login, users.c.password_hash)).fetchall())
    assert all(h.startswith("scrypt:") and PASSWORD not in h for h in stored.values())
    assert stored["analyste"] != stored["analyste2"]  # salted
    assert accounts.verify(engine, "analyste", PASSWORD).login == "analyste"
    assert accounts.verify(engine, "analyste", "faux-mot-de-passe") is None
    assert accounts.verify(engine, "personne", PASSWORD) is None
    assert len(compared) == 3 and all(m.startswith("scrypt:") for m in compared)


# --- 2. bounded sign-in input ------------------------------------------------------------------

def test_an_overlong_login_is_refused_before_any_work(app, engine, count_password_checks):
    c = client_for(app)
    token = csrf_token(c)
    huge = c.post("/connexion", data={"login": "x" * 600_000, "password": "p",
                                      "csrf_token": token})
    assert huge.status_code == 413
    assert huge.get_data(as_text=True) == "Requête trop volumineuse."
    for login, password in (("x" * 65, "p"), ("prefet35", "p" * 257)):
        r = post_sign_in(c, login, password, token)
        assert r.status_code == 400
        assert "trop long" in r.get_data(as_text=True)
    assert count_password_checks == []
    # refusals without a session are counted, not written one audit record each (#21)
    assert audit_rows(engine, "connexion_refusee") == []
    assert audit_trail.counted(engine, "connexion_refusee") == 3
    with engine.connect() as con:
        assert con.execute(select(func.count()).select_from(login_attempts)).scalar() == 0
    # the longest accepted still works
    assert accounts.verify(engine, "y" * 65, "x") is None and count_password_checks == []


def test_a_login_with_a_nul_character_is_a_wrong_login(app, engine):
    """A NUL names no account (and PostgreSQL stores none): the usual French « incorrect »."""
    c = client_for(app)
    r = post_sign_in(c, "prefet35\x00", "mot-de-passe-de-test", csrf_token(c))
    assert r.status_code == 200 and "incorrect" in r.get_data(as_text=True)
    assert audit_rows(engine, "connexion_refusee")


def test_audit_records_are_bounded(engine):
    audit(engine, "a" * 500, "l" * 600_000, "d" * 600_000, "z" * 1000)
    with engine.connect() as con:
        row = con.execute(select(audit_log).order_by(audit_log.c.id.desc())).first()
    assert (len(row.action), len(row.login), len(row.detail), len(row.address)) == \
        (64, 64, 2000, 64)


# --- 3. the lockout holds under concurrency, per login and per address ---------------------------

def test_simultaneous_wrong_passwords_check_at_most_five(app, count_password_checks):
    clients = [client_for(app) for _ in range(20)]
    tokens = [csrf_token(c) for c in clients]
    barrier = threading.Barrier(len(clients))
    statuses = []

    def attempt(client, token):
        barrier.wait()
        statuses.append(post_sign_in(client, "prefet35", "faux-mot-de-passe", token)
                        .status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens,
                                                                           strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(count_password_checks) <= auth.MAX_FAILURES
    assert sorted(set(statuses)) == [200, 429]
    # locked: the right password is refused, without being checked
    checked = len(count_password_checks)
    r = post_sign_in(clients[0], "prefet35", PASSWORD)
    assert r.status_code == 429 and "Trop de tentatives" in r.get_data(as_text=True)
    assert len(count_password_checks) == checked


#: run in other processes: how many of 10 reservations of one key were granted
RESERVE_MANY = """
import sys
from datetime import timedelta
from etl.ops.store import get_engine, reserve_attempt
engine = get_engine(sys.argv[1])
print(sum(reserve_attempt(engine, {"login:x": int(sys.argv[2])}, timedelta(minutes=15))
          for _ in range(10)))
"""


def test_the_lockout_holds_across_processes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    get_engine(url)  # tables made once
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-c", RESERVE_MANY, url,
                                 str(auth.MAX_FAILURES)], cwd=root, stdout=subprocess.PIPE,
                                text=True) for _ in range(4)]
    granted = [int(w.communicate(timeout=120)[0]) for w in workers]
    assert sum(granted) == auth.MAX_FAILURES


def test_the_lockout_also_counts_per_address(app, engine, count_password_checks):
    c = client_for(app)
    token = csrf_token(c)
    for n in range(auth.MAX_ADDRESS_FAILURES):
        assert post_sign_in(c, f"inconnu{n}", "faux", token).status_code == 200
    r = post_sign_in(c, "analyste", PASSWORD, token)
    assert r.status_code == 429
    assert len(count_password_checks) == auth.MAX_ADDRESS_FAILURES
    other = client_for(app, address="10.0.0.9")
    assert post_sign_in(other, "analyste", PASSWORD).status_code == 302
    assert audit_trail.counted(engine, "connexion_verrouillee")


def test_the_lockout_ends_and_its_rows_are_purged(app, engine):
    c = client_for(app)
    token = csrf_token(c)
    for _ in range(auth.MAX_FAILURES):
        post_sign_in(c, "prefet35", "faux", token)
    assert post_sign_in(c, "prefet35", PASSWORD, token).status_code == 429
    with engine.begin() as con:
        con.execute(update(login_attempts).values(
            last_at=utcnow() - timedelta(seconds=auth.LOCK_SECONDS + 1)))
    assert post_sign_in(c, "prefet35", PASSWORD, token).status_code == 302
    with engine.connect() as con:
        keys = {r.key: r.failures for r in con.execute(select(login_attempts))}
    # stale rows gone; a success forgets the login, gives the address its attempt back and
    # remembers the address as known for the login (etl.ops.lockout)
    assert keys == {"adresse:127.0.0.1": 0, lockout.known_key("prefet35", "127.0.0.1"): 0}


# --- 4. security headers ---------------------------------------------------------------------

def _csp(response) -> dict[str, list[str]]:
    policy = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def test_security_headers_and_a_csp_allowing_only_dash_s_own_inline_scripts(app):
    c = client_for(app, "analyste")
    page = c.get("/carte")
    html = page.get_data(as_text=True)
    policy = _csp(page)
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    scripts = policy["script-src"]
    assert scripts[0] == "'self'" and "'unsafe-eval'" not in scripts
    assert "'unsafe-inline'" not in scripts and not any("unsafe" in s for s in scripts)
    inline = [body for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
              if "src=" not in attrs and "application/json" not in attrs]
    assert any("_dashPlotlyJSURL" in body for body in inline)  # dashboard/app.py's own
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts, body[:80]
    assert "'unsafe-eval'" not in page.headers["Content-Security-Policy"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    for response in (page, c.get("/connexion"), kpis(c)):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Content-Security-Policy" in response.headers
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP
        assert "Server" not in response.headers
    # without the proxy setting, a forged X-Forwarded-Proto changes nothing
    forged = c.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forged.headers
    assert not any("Secure" in h for h in forged.headers.getlist("Set-Cookie"))


def test_behind_an_https_proxy_cookies_are_secure_and_hsts_is_sent(tmp_path, monkeypatch):
    # the test client's connections come from 127.0.0.1: the proxy
    app = _make_app(tmp_path, monkeypatch, PRESENCE_BEHIND_HTTPS_PROXY="1",
                    PRESENCE_TRUSTED_PROXIES="127.0.0.1")
    engine = get_engine(get_settings().ops_url)
    c = app.server.test_client()
    c.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https",
                           "HTTP_X_FORWARDED_FOR": "192.0.2.7",
                           "HTTP_REFERER": "https://localhost/connexion"})
    r = post_sign_in(c, "analyste", PASSWORD)
    assert r.status_code == 302
    cookies = r.headers.getlist("Set-Cookie")
    session_cookie = next(h for h in cookies if h.startswith("session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    page = c.get("/")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csrf_cookie = next(h for h in page.headers.getlist("Set-Cookie")
                       if h.startswith("_csrf_token="))
    assert "Secure" in csrf_cookie
    assert session_rows(engine, "analyste")[0].address == "192.0.2.7"  # X-Forwarded-For


def test_no_version_is_named_to_anyone_signed_out(app):
    anonymous = client_for(app)
    versions = ("python_version", "dash_version", "plotly_version", "Werkzeug", "Python/")
    for path in ("/connexion", "/connexionXYZ", "/connexion/x", "/nimporte-quoi",
                 "/_dash-layout", "/_dash-dependencies", "/_dash-config",
                 "/assets/vendor/plotly-presence.min.js", "/assets/focus.js",
                 "/_dash-component-suites/dash/deps/react@18.3.1.min.js"):
        r = anonymous.get(path)
        assert r.status_code in (200, 302, 401), path
        body = r.get_data(as_text=True)
        assert not any(v in body for v in versions), path
        assert "Server" not in r.headers
        if r.status_code == 200:
            assert path == "/connexion"
    # and Dash's page configuration names none to a signed-in user either
    config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                       client_for(app, "analyste").get("/").get_data(as_text=True), re.S)
    assert not any(k in json.loads(config.group(1)) for k in
                   ("python_version", "dash_version", "plotly_version", "ddk_version"))


# --- 5. the brigade role: its brigade and its communes only ---------------------------------------

def test_the_brigade_role_does_not_see_its_whole_departement(app, engine):
    c = client_for(app, "brigade35")
    assert kpis(c, "35").status_code == 403
    assert audit_rows(engine, "acces_refuse") == [
        ("brigade35", "département demandé : '35'", "127.0.0.1")]
    export = c.post("/_dash-update-component", json={
        "output": "organisation-telechargement.data",
        "outputs": {"id": "organisation-telechargement", "property": "data"},
        "inputs": [{"id": "organisation-export", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["organisation-export.n_clicks"],
        "state": [{"id": "organisation-vue", "property": "data",
                   "value": {"departement": "35", "indicateur": "effectif"}}]})
    assert export.status_code == 403
    for layer in ("brigade", "compagnie", "departement"):
        assert c.get(f"/geo/{layer}/departement/35.json").status_code == 403, layer
    assert c.get("/geo/commune/departement/56.json").status_code == 403
    assert c.get("/geo/brigade/national/france.json").status_code == 403
    assert len(audit_rows(engine, "acces_refuse")) == 2 + 5
    # what its Carte map draws: the commune outlines of its own département
    assert c.get("/geo/commune/departement/35.json").status_code == 200
    assert c.get("/geo/departement/national/france.json").status_code == 200
    # a département role is unchanged
    prefet = client_for(app, "prefet35")
    assert kpis(prefet, "35").status_code == 200
    assert prefet.get("/geo/brigade/departement/35.json").status_code == 200


@pytest.fixture(scope="module")
def data_app(tmp_path_factory):
    """The fixture warehouse with its operational data, one account per role."""
    with operational_app(tmp_path_factory.mktemp("securite"), {
            "analyste.sec": ("analyste", None, None),
            "brigade.sec": ("brigade", "35", "B35047")}) as app:
        yield app


def router(client, path, search=""):
    """Dash's page router: the page at ``path`` + ``search``, as the browser asks for it."""
    return client.post("/_dash-update-component", json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname", "_pages_location.search"],
        "state": []})


def test_the_brigade_carte_map_uses_only_shapes_the_brigade_may_fetch(data_app):
    c = client_for(data_app, "brigade.sec")
    r = router(c, "/carte", "")
    assert r.status_code == 200
    urls = set(re.findall(r'"geojson": "([^"]+)"', json.dumps(r.get_json())))
    assert urls and all(u.startswith("/geo/commune/departement/35.json?v=") for u in urls)
    for url in urls:
        assert c.get(url).status_code == 200


# --- 6. unusual but well-formed input: never a 500 ------------------------------------------------

DATA_PAGES = ["/", "/vue-ensemble", "/carte", "/tendances", "/commune?code=35047",
              "/brigade?id=B35047", "/methodologie"]
ODD_PERIODS = ["debut=0000-01&fin=0000-12", "debut=9999-01", "debut=9999-12&fin=9999-12",
               "fin=0001-01", "debut=1899-12&fin=2101-01", "debut=2025-01&debut=x&fin[]=1"]


@pytest.mark.parametrize("page", DATA_PAGES)
def test_odd_periods_in_the_address_never_give_a_500(data_app, page):
    c = client_for(data_app, "analyste.sec")
    path, _, query = page.partition("?")
    for odd in ODD_PERIODS:
        search = "?" + "&".join(q for q in (query, odd) if q)
        r = router(c, path, search)
        assert r.status_code in (200, 400), (page, odd, r.status_code)
        if r.status_code == 400:
            assert "Requête invalide" in r.get_data(as_text=True)
        assert c.get(path + search).status_code == 200


def _concrete(component_id):
    """A pattern-matching id with its wildcards given a value (for a forged request)."""
    if isinstance(component_id, str) and component_id.startswith("{"):
        pattern = json.loads(component_id)
        return {k: ("x" if isinstance(v, list) else v) for k, v in pattern.items()}
    return component_id


def _forged_call(callback, value_for):
    outputs = callback["output"]
    names = (outputs.strip(".").split("...") if outputs.startswith("..") else [outputs])
    parsed = []
    for name in names:
        component, _, prop = name.rpartition(".")
        parsed.append({"id": _concrete(component), "property": prop})

    def slots(kind):
        return [{"id": _concrete(i["id"]), "property": i["property"],
                 "value": value_for(i["property"])} for i in callback[kind]]

    inputs = slots("inputs")
    return {"output": outputs, "outputs": parsed if len(parsed) > 1 else parsed[0],
            "inputs": inputs, "state": slots("state"),
            "changedPropIds": [f"{json.dumps(i['id']) if isinstance(i['id'], dict) else i['id']}"
                               f".{i['property']}" for i in inputs]}


ODD_VALUES = [["a", "b"], {"x": 1}, 12345, "0000-01", 1e308,
              {"perimetre": ["departement:35"], "departement": {"a": 1}, "debut": "9999-01",
               "fin": 7, "indicateur": [1], "maille": {}, "url": 3, "vue": [], "reglages": 5,
               "code": ["35047"], "id": {"b": 1}, "comparer": 1.5, "categorie": [None]}]


def test_callbacks_given_values_of_the_wrong_type_never_give_a_500(data_app):
    server_callbacks = [cb for cb in data_app._callback_list
                        if not cb.get("clientside_function")]
    assert len(server_callbacks) >= 10
    failures = []
    for login in ("analyste.sec", "brigade.sec"):
        c = client_for(data_app, login)
        for callback in server_callbacks:
            for odd in ODD_VALUES:
                for value_for in (lambda _p, odd=odd: odd,
                                  lambda p, odd=odd: 1 if p == "n_clicks" else odd):
                    r = c.post("/_dash-update-component",
                               json=_forged_call(callback, value_for))
                    text = r.get_data(as_text=True)
                    if r.status_code not in (200, 204, 400, 403) or (
                            r.status_code == 400 and "Requête invalide" not in text):
                        failures.append((login, callback["output"][:60], str(odd)[:40],
                                         r.status_code))
    assert failures == []
    with get_engine(get_settings().ops_url).connect() as con:  # the refusals are audited
        assert con.execute(select(func.count()).select_from(audit_log)
                           .where(audit_log.c.action == "requete_invalide")).scalar() > 10


def test_malformed_requests_get_french_answers(app):
    c = client_for(app, "analyste")
    for path in ("/_dash-component-suites/unknownpkg/x.js", "/_dash-component-suites/dash/x.js"):
        r = c.get(path)
        assert r.status_code == 404 and r.get_data(as_text=True) == "Page ou fichier introuvable."
    broken = c.post("/_dash-update-component", data="{not json",
                    content_type="application/json")
    assert broken.status_code == 400 and broken.get_data(as_text=True) == "Requête invalide."
    unknown = c.post("/_dash-update-component", json={
        "output": "nothing.children", "outputs": {"id": "nothing", "property": "children"},
        "inputs": [], "state": [], "changedPropIds": []})
    assert unknown.status_code == 400 and "Requête invalide" in unknown.get_data(as_text=True)


def test_periods_and_scopes_are_parsed_within_bounds():
    last = date(2026, 10, 1)
    for debut, fin in (("0000-01", "0000-12"), ("9999-01", None), (None, "9999-12"),
                       ("1899-12", "1900-05"), ("2025-01", "2101-01")):
        with pytest.raises(ScopeError, match="Année hors limites"):
            Period.parse(debut, fin, last)
    for odd in (["2025-01"], {"a": 1}, 202501, 2025.01):
        with pytest.raises(ScopeError, match="Mois invalide"):
            Period.parse(odd, None, last)
        with pytest.raises(ScopeError, match="Territoire invalide"):
            Scope.parse(odd)
    assert Period.parse("1900-01", "1900-12", last).previous().start.year == 1899
    assert Period.parse("2100-01", "2100-12", last).end_exclusive.year == 2101
    with pytest.raises(ScopeError):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(ScopeError):
        add_months(date(1, 1, 1), -1)


# --- 7 and 8. public addresses, French refusals, statuses -----------------------------------------

def test_only_the_exact_sign_in_page_is_public(app):
    anonymous = client_for(app)
    assert anonymous.get("/connexion").status_code == 200
    for path in ("/connexionXYZ", "/connexion/", "/connexion.json", "/assets/focus.js",
                 "/assets/vendor/plotly-presence.min.js", "/geo/departement/national/france.json"):
        r = anonymous.get(path)
        assert r.status_code == 302, path
        assert r.headers["Location"].startswith("/connexion?next=")
    for path in ("/assets/style.css", "/assets/vendor/bootstrap.min.css"):
        assert anonymous.get(path).status_code == 200, path  # what the sign-in page needs


def test_csrf_refusals_are_in_french(app):
    c = client_for(app, "analyste")
    del c.environ_base["HTTP_X_CSRFTOKEN"]
    r = kpis(c)
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert "Jeton de sécurité" in text and "CSRF token" not in text and "<title>" not in text
    anonymous = client_for(app)
    anonymous.get("/connexion")
    form = anonymous.post("/connexion", data={"login": "analyste", "password": PASSWORD})
    assert form.status_code == 400
    assert "Jeton de sécurité" in form.get_data(as_text=True)
    assert 'name="csrf_token"' in form.get_data(as_text=True)  # the form, to try again


def test_content_types_carry_one_charset(app):
    anonymous = client_for(app)
    assert anonymous.get("/connexion").headers["Content-Type"] == "text/html; charset=utf-8"
    assert anonymous.get("/_dash-layout").headers["Content-Type"] == \
        "text/plain; charset=utf-8"


def test_an_unknown_address_is_a_404_that_still_shows_the_french_page(app):
    c = client_for(app, "analyste")
    for path in ("/nimporte-quoi", "/carte/x", "/404", "/connexionXYZ"):
        r = c.get(path)
        assert r.status_code == 404, path
        assert '<div id="react-entry-point">' in r.get_data(as_text=True)  # Dash draws it
    import dash

    for page in dash.page_registry.values():
        if page["module"].endswith("not_found_404"):
            continue
        assert c.get(page["path"]).status_code == 200, page["path"]
    assert c.get("/").status_code == 200 and c.get("/carte/").status_code in (200, 308)

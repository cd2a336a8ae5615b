"""Issue #21 items 4 and 6, through Flask's test client: a lockout that cannot be used to lock
people out (per login and address pair, growing delays from a known address, an administrator's
unlock, still at most 5 password checks per login from unknown addresses) and tighter sessions
(browser-session cookies, background refreshes that do not extend the idle timer, a cap on the
sessions per login, X-Forwarded-For trusted only from the configured proxies). The clock of the
lockout is a fake one: no test waits."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from dashboard.app import create_app
from dashboard.core import accounts
from etl.ops import audit_trail, store
from etl.ops.store import audit_log, get_engine, sessions
from etl.settings import get_settings
from tests.support.dashboard_fixture import add_account, build_small_warehouse, sign_in
from tests.support.shared_app import empty_store

PASSWORD = "mot-de-passe-de-test"
ATTACKER, OFFICE, NAT = "10.66.0.1", "10.0.0.1", "10.0.0.7"


def _add_accounts(data_dir):
    add_account(data_dir, "prefet35", "prefet", "35")
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
    data_dir = tmp_path_factory.mktemp("verrou")
    with pytest.MonkeyPatch.context() as mp:
        yield _make_app(data_dir, mp), data_dir


@pytest.fixture
def app(shared_app, monkeypatch):
    app, data_dir = shared_app
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    empty_store(get_settings().ops_url)
    _add_accounts(data_dir)
    return app


@pytest.fixture
def engine(app):
    return get_engine(get_settings().ops_url)


class FakeClock:
    """The store's clock, moved by hand."""

    def __init__(self):
        self.now = store.utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(store, "utcnow", fake)
    return fake


@pytest.fixture
def checks(monkeypatch):
    """How many passwords were hashed and compared."""
    calls = []
    lock = threading.Lock()
    real = accounts.check_password_hash

    def counting(pwhash, password):
        with lock:
            calls.append(1)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return calls


def client_for(app, address=None):
    client = app.server.test_client()
    if address:
        client.environ_base["REMOTE_ADDR"] = address
    return client


def csrf_token(client) -> str:
    page = client.get("/connexion").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_sign_in(client, login, password, token=None):
    return client.post("/connexion", data={"login": login, "password": password,
                                           "csrf_token": token or csrf_token(client)})


def message(response) -> str:
    found = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


def audit_rows(engine, action):
    with engine.connect() as con:
        return con.execute(select(audit_log.c.login, audit_log.c.detail, audit_log.c.address)
                           .where(audit_log.c.action == action)).fetchall()


def known_from(app, login, address):
    """``login`` signed in once from ``address`` (then signed out): a known address."""
    c = client_for(app, address)
    assert post_sign_in(c, login, PASSWORD).status_code == 302


def attack(app, login, address, n):
    c = client_for(app, address)
    token = csrf_token(c)
    return [post_sign_in(c, login, "faux-mot-de-passe", token) for _ in range(n)]


# --- item 4: the lockout cannot lock people out ----------------------------------------------

def test_the_user_from_his_known_address_gets_in_after_an_attacker_s_failures(app, engine,
                                                                             checks):
    known_from(app, "prefet35", OFFICE)
    checks.clear()
    answers = attack(app, "prefet35", ATTACKER, 20)
    # the attacker, from an address the login never signed in from, still checks 5 passwords
    assert len(checks) == 5
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 15
    # … and from there even the right password is refused, unchecked
    assert post_sign_in(client_for(app, ATTACKER), "prefet35", PASSWORD).status_code == 429
    assert len(checks) == 5
    # the préfet, from his office, is not locked out
    assert post_sign_in(client_for(app, OFFICE), "prefet35", PASSWORD).status_code == 302
    assert audit_trail.counted(engine, "connexion_verrouillee")


def test_simultaneous_attempts_from_unknown_addresses_check_five(app, checks):
    known_from(app, "prefet35", OFFICE)
    checks.clear()
    clients = [client_for(app, f"10.66.0.{i}") for i in range(1, 51)]
    tokens = [csrf_token(c) for c in clients]
    barrier = threading.Barrier(len(clients))

    def attempt(client, token):
        barrier.wait()
        post_sign_in(client, "prefet35", "faux-mot-de-passe", token)

    threads = [threading.Thread(target=attempt, args=pair)
               for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) == 5


def test_a_shared_address_does_not_lock_the_logins_known_there(app, engine, checks):
    """A NAT: 20 wrong sign-ins (unknown logins) from the address of a whole building."""
    known_from(app, "analyste", NAT)
    attack_client = client_for(app, NAT)
    token = csrf_token(attack_client)
    for n in range(20):
        post_sign_in(attack_client, f"inconnu{n}", "faux", token)
    # the address is locked for logins that never signed in from it …
    assert post_sign_in(client_for(app, NAT), "prefet35", PASSWORD).status_code == 429
    # … not for the analyst who works there
    assert post_sign_in(client_for(app, NAT), "analyste", PASSWORD).status_code == 302


def test_from_a_known_address_failures_grow_delays_not_a_lock(app, engine, clock, checks):
    known_from(app, "analyste", OFFICE)
    c = client_for(app, OFFICE)
    token = csrf_token(c)
    checks.clear()
    # three failures are free, then each needs a wait that doubles
    assert [post_sign_in(c, "analyste", "faux", token).status_code for _ in range(3)] == [200] * 3
    waits = []
    for _ in range(5):
        refused = post_sign_in(c, "analyste", "faux", token)
        assert refused.status_code == 429
        waits.append(message(refused))
        assert re.fullmatch(r"Trop de tentatives : réessayez dans \d+ minutes?\.", waits[-1])
        delay = {0: 30, 1: 60, 2: 120, 3: 240, 4: 480}[len(waits) - 1]
        clock.advance(seconds=delay - 1)
        assert post_sign_in(c, "analyste", "faux", token).status_code == 429
        clock.advance(seconds=1)
        assert post_sign_in(c, "analyste", "faux", token).status_code == 200
    assert waits[0] == "Trop de tentatives : réessayez dans 1 minute."
    assert waits[-1] == "Trop de tentatives : réessayez dans 8 minutes."
    assert len(checks) == 8
    # the waits stop growing at 15 minutes; then the right password gets in
    for _ in range(3):
        clock.advance(minutes=15)
        assert post_sign_in(c, "analyste", "faux", token).status_code == 200
    assert message(post_sign_in(c, "analyste", PASSWORD, token)) == (
        "Trop de tentatives : réessayez dans 15 minutes.")
    clock.advance(minutes=15)
    assert post_sign_in(c, "analyste", PASSWORD, token).status_code == 302


def test_the_wait_is_told_in_minutes_left(app, clock):
    attack(app, "prefet35", ATTACKER, 5)
    c = client_for(app, ATTACKER)
    assert message(post_sign_in(c, "prefet35", PASSWORD)) == (
        "Trop de tentatives : réessayez dans 15 minutes.")
    clock.advance(minutes=10, seconds=30)
    assert message(post_sign_in(c, "prefet35", PASSWORD)) == (
        "Trop de tentatives : réessayez dans 5 minutes.")
    clock.advance(minutes=4, seconds=31)
    assert post_sign_in(c, "prefet35", PASSWORD).status_code == 302


def test_an_administrator_unlocks_a_login_and_it_is_audited(app, engine, capsys):
    from dashboard.__main__ import main

    attack(app, "prefet35", ATTACKER, 5)
    known_from(app, "analyste", OFFICE)
    attack(app, "analyste", OFFICE, 4)
    assert post_sign_in(client_for(app, ATTACKER), "prefet35", PASSWORD).status_code == 429
    assert post_sign_in(client_for(app, OFFICE), "analyste", PASSWORD).status_code == 429
    assert main(["users", "unlock", "prefet35"]) == 0
    assert main(["users", "unlock", "analyste"]) == 0
    assert "Verrou levé : prefet35" in capsys.readouterr().out
    assert post_sign_in(client_for(app, ATTACKER), "prefet35", PASSWORD).status_code == 302
    assert post_sign_in(client_for(app, OFFICE), "analyste", PASSWORD).status_code == 302
    assert {r.login for r in audit_rows(engine, "verrou_leve")} == {"prefet35", "analyste"}
    # an address, too
    for n in range(20):
        post_sign_in(client_for(app, ATTACKER), f"inconnu{n}", "faux")
    assert post_sign_in(client_for(app, ATTACKER), "analyste", PASSWORD).status_code == 429
    assert main(["users", "unlock", "--adresse", ATTACKER]) == 0
    assert post_sign_in(client_for(app, ATTACKER), "analyste", PASSWORD).status_code == 302
    assert main(["users", "unlock", "personne"]) == 2
    assert "Compte inconnu" in capsys.readouterr().err


# --- item 6: tighter sessions ----------------------------------------------------------------

def signed_in(app, login="analyste", address=OFFICE):
    c = client_for(app, address)
    sign_in(c, login)
    return c


def test_the_session_cookie_ends_with_the_browser(app, engine):
    c = client_for(app)
    response = post_sign_in(c, "analyste", PASSWORD)
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies and not any(re.search("expires|max-age", h, re.I) for h in cookies)
    # the server still ends it after its 10 hours
    with engine.begin() as con:
        con.execute(update(sessions).values(created_at=store.utcnow() - timedelta(hours=10),
                                            last_seen=store.utcnow()))
    assert c.get("/carte").status_code == 302


def _callback_body(app, output_has, changed):
    """A callback request as Dash's front end sends it (the alert page with no alert)."""
    key = next(k for k in app.callback_map if output_has in k)
    spec = app.callback_map[key]
    values = {"fiche-alerte-minuteur.n_intervals": 3, "fiche-alerte-version.data": 1}

    def entry(item):
        prop = f"{item['id']}.{item['property']}"
        return {"id": item["id"], "property": item["property"], "value": values.get(prop)}

    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True))
               for o in key.strip(".").split("...")]
    return {"output": key, "outputs": outputs, "inputs": [entry(i) for i in spec["inputs"]],
            "state": [entry(s) for s in spec["state"]], "changedPropIds": changed}


def _last_seen(engine):
    with engine.connect() as con:
        return con.execute(select(sessions.c.last_seen)).scalar_one()


def _age_session(engine, minutes):
    with engine.begin() as con:
        con.execute(update(sessions).values(last_seen=store.utcnow()
                                            - timedelta(minutes=minutes)))
    return _last_seen(engine)


def test_the_alert_page_s_refresh_does_not_extend_the_idle_timer(app, engine):
    c = signed_in(app)
    before = _age_session(engine, 10)
    polling = _callback_body(app, "fiche-alerte-minuteur.disabled",
                             ["fiche-alerte-minuteur.n_intervals"])
    for _ in range(3):
        assert c.post("/_dash-update-component", data=json.dumps(polling),
                      content_type="application/json").status_code in (200, 204, 400)
        assert _last_seen(engine) == before
    # the same callback run by a user's action (its version store) extends it
    acted = {**polling, "changedPropIds": ["fiche-alerte-version.data"]}
    c.post("/_dash-update-component", data=json.dumps(acted), content_type="application/json")
    assert _last_seen(engine) > before
    # a forged body naming the interval next to another input is not a refresh either
    before = _age_session(engine, 10)
    mixed = {**polling, "changedPropIds": ["fiche-alerte-minuteur.n_intervals",
                                           "fiche-alerte-version.data"]}
    c.post("/_dash-update-component", data=json.dumps(mixed), content_type="application/json")
    assert _last_seen(engine) > before
    # an idle session whose page keeps refreshing ends after 30 minutes
    _age_session(engine, 31)
    assert c.post("/_dash-update-component", data=json.dumps(polling),
                  content_type="application/json").status_code == 401


def test_the_sessions_of_one_login_are_capped_the_oldest_ended(app, engine):
    limit = get_settings().sessions_per_login
    browsers = [signed_in(app) for _ in range(limit + 1)]
    with engine.connect() as con:
        open_ = con.execute(select(sessions.c.id).where(sessions.c.revoked_at.is_(None))
                            ).fetchall()
    assert len(open_) == limit
    assert browsers[0].get("/carte").status_code == 302
    assert all(b.get("/carte").status_code == 200 for b in browsers[1:])
    assert [r.detail for r in audit_rows(engine, "session_fermee_limite")] == [
        f"session la plus ancienne fermée : {limit} sessions ouvertes au plus par compte"]


def _session_address(engine):
    with engine.connect() as con:
        return con.execute(select(sessions.c.address).order_by(sessions.c.id.desc())
                           ).scalars().first()


def test_forwarded_addresses_are_trusted_only_from_the_configured_proxies(tmp_path,
                                                                         monkeypatch):
    app = _make_app(tmp_path, monkeypatch, PRESENCE_BEHIND_HTTPS_PROXY="1",
                    PRESENCE_TRUSTED_PROXIES="10.1.1.1, 192.168.0.0/24")
    engine = get_engine(get_settings().ops_url)
    forged = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https",
              "Referer": "https://localhost/connexion"}  # flask-wtf's check over HTTPS
    for peer, seen in (("10.9.9.9", "10.9.9.9"), ("10.1.1.1", "1.2.3.4"),
                       ("192.168.0.42", "1.2.3.4"), ("192.168.1.1", "192.168.1.1")):
        c = client_for(app, peer)
        token = csrf_token(c)
        response = c.post("/connexion", headers=forged, data={
            "login": "analyste", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert _session_address(engine) == seen

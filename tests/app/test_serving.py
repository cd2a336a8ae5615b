"""Serving with several processes: gunicorn's settings come from the environment's settings,
and a user signed in on one worker process is known to the others."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from etl.settings import SettingsError, get_settings
from tests.support.dashboard_fixture import add_account, build_small_warehouse
from tests.support.processes import stop

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mot-de-passe-de-test"


# --- configuration, no server ----------------------------------------------------------------

def test_gunicorn_configuration_follows_the_settings(monkeypatch):
    from dashboard.__main__ import DashboardServer

    monkeypatch.delenv("PRESENCE_WORKERS", raising=False)
    monkeypatch.delenv("PRESENCE_THREADS", raising=False)
    settings = get_settings()
    assert settings.workers == (os.cpu_count() or 1)
    assert settings.threads == 1
    cfg = DashboardServer(settings, "127.0.0.1", 8123).cfg
    assert cfg.workers == settings.workers
    assert cfg.worker_class_str == "sync"  # one request per process: the load spreads evenly
    assert cfg.bind == ["127.0.0.1:8123"]
    assert cfg.preload_app is False  # each worker opens its own warehouse connection
    assert cfg.accesslog is None

    monkeypatch.setenv("PRESENCE_WORKERS", "3")
    monkeypatch.setenv("PRESENCE_THREADS", "6")
    cfg = DashboardServer(get_settings(), "::1", 8123).cfg
    assert (cfg.workers, cfg.threads, cfg.bind) == (3, 6, ["[::1]:8123"])
    assert cfg.worker_class_str == "gthread"


@pytest.mark.parametrize("value", ["deux", "0", "-1", "2.5", "1000"])
def test_a_bad_worker_count_is_refused_in_french(monkeypatch, capsys, value):
    from dashboard.__main__ import main

    monkeypatch.setenv("PRESENCE_WORKERS", value)
    with pytest.raises(SettingsError, match="PRESENCE_WORKERS doit être un nombre entier"):
        get_settings()
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "PRESENCE_WORKERS doit être un nombre entier entre 1 et 64" in err
    assert f"« {value} »" in err


def test_gunicorn_no_longer_names_itself():
    from types import SimpleNamespace

    from gunicorn.http import wsgi

    from dashboard.__main__ import _hide_server_name

    _hide_server_name()
    request = SimpleNamespace(version=(1, 1), should_close=lambda: False)
    response = wsgi.Response(request, None, None)
    response.status, response.response_length = "200 OK", 0
    head = "".join(response.default_headers())
    assert "server:" not in head.lower() and "gunicorn" not in head.lower()
    assert head.startswith("HTTP/1.1 200 OK\r\n") and "Date: " in head


# --- two worker processes --------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int, workers_only: bool = True) -> set[int]:
    """The processes ``pid`` started: its gunicorn workers (without the forms' refresh
    watcher, ``python -m etl refresh --watch``, and the SMS alerts' worker, ``python -m etl
    alerts worker``, unless ``workers_only`` is False)."""
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            watcher = b"etl" in command and (b"refresh" in command or b"alerts" in command)
            if stat[stat.rindex(")") + 2:].split()[1] == str(pid) and not (
                    workers_only and watcher):
                out.add(int(entry.name))
    return out


class Client:
    """One keep-alive connection with its cookies; knows which worker process serves it."""

    def __init__(self, server, cookies: dict[str, str] | None = None) -> None:
        self.server = server
        self.cookies = dict(cookies or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.conn.connect()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "_csrf_token" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["_csrf_token"]
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.body = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response

    def worker(self) -> int:
        """The pid of the worker holding the server side of this connection (Linux /proc)."""
        client_port = self.conn.sock.getsockname()[1]
        local = f"0100007F:{self.server.port:04X}"
        remote = f"0100007F:{client_port:04X}"
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[2] == remote:
                inode = fields[9]
        assert inode, "server side of the connection not found"
        for pid in self.server.workers:
            try:
                links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(
                    f"/proc/{pid}/fd")]
            except OSError:
                continue
            if f"socket:[{inode}]" in links:
                return pid
        raise AssertionError("no worker holds the connection")

    def close(self) -> None:
        self.conn.close()


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, workers: set[int],
                 log_path: Path | None = None) -> None:
        self.proc, self.port, self.workers = proc, port, workers
        self.log_path = log_path

    def client_on(self, worker: int | None = None, *, other_than: int | None = None,
                  cookies: dict[str, str] | None = None) -> Client:
        """A new connection served by ``worker`` (or by a worker other than ``other_than``)."""
        for _ in range(200):
            client = Client(self, cookies)
            client.request("GET", "/_favicon.ico")  # public: the connection is now accepted
            pid = client.worker()
            if (worker is None or pid == worker) and pid != other_than:
                return client
            client.close()
        raise AssertionError("the other worker never accepted a connection")


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """`python -m dashboard` with PRESENCE_WORKERS=2 on the small fixture warehouse."""
    data_dir = tmp_path_factory.mktemp("serving")
    build_small_warehouse(data_dir / "warehouse.duckdb")
    add_account(data_dir, "analyste.test", "analyste")
    add_account(data_dir, "prefet.test", "prefet", "35")
    add_account(data_dir, "verrou.test", "prefet", "35")
    port = _free_port()
    env = os.environ | {"PRESENCE_DATA_DIR": str(data_dir), "PRESENCE_HOST": "127.0.0.1",
                        "PRESENCE_PORT": str(port), "PRESENCE_WORKERS": "2",
                        "PRESENCE_THREADS": "2"}
    env.pop("PRESENCE_OPS_URL", None)
    log_path = data_dir / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while len(workers := _children(proc.pid)) < 2 or not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("dashboard did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        server = Server(proc, port, workers, log_path)
        server.client_on(next(iter(workers))).close()  # both workers serve
        server.client_on(other_than=next(iter(workers))).close()
        yield server
    finally:
        stop(proc, timeout=20)
        log.close()
        assert not _children(proc.pid, workers_only=False), \
            "SIGTERM left worker processes (or the refresh watcher) behind"
    assert "Tableau de bord : http://127.0.0.1:" in log_path.read_text()


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/connexion")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def _sign_in(client: Client, login: str, password: str = PASSWORD) -> http.client.HTTPResponse:
    page = client.request("GET", "/connexion").body.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urlencode({"login": login, "password": password, "csrf_token": token}).encode()
    return client.request("POST", "/connexion", form,
                          {"Content-Type": "application/x-www-form-urlencoded"})


ROUTER = {  # Dash's page router: the page for an address, rendered on the server
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [{"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"}],
    "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/methodologie"},
               {"id": "_pages_location", "property": "search", "value": ""}],
    "changedPropIds": ["_pages_location.pathname", "_pages_location.search"],
    "state": [],
}


def test_a_sign_in_on_one_worker_holds_on_the_other(two_workers):
    first = two_workers.client_on()
    worker_a = first.worker()
    assert _sign_in(first, "prefet.test").status == 302
    assert first.worker() == worker_a  # the same connection: worker A signed the user in
    first.request("GET", "/")  # the _csrf_token cookie, as the browser gets it
    first.close()

    other = two_workers.client_on(other_than=worker_a, cookies=first.cookies)
    worker_b = other.worker()
    for _ in range(3):
        page = other.request("GET", "/")
        assert page.status == 200, page.getheader("Location")
        assert "Server" not in page.headers
        layout = other.request("GET", "/_dash-layout")
        assert layout.status == 200
        assert b"prefet.test" in layout.body  # the user menu: worker B knows who this is
        callback = other.request("POST", "/_dash-update-component", json.dumps(ROUTER).encode(),
                                 {"Content-Type": "application/json"})
        assert callback.status == 200, callback.body[:300]
        assert other.worker() == worker_b != worker_a
    other.close()

    # and without the session cookie, the same worker refuses
    anonymous = two_workers.client_on(worker_b)
    assert anonymous.request("GET", "/_dash-layout").status == 401
    anonymous.close()


def test_a_sign_out_on_one_worker_holds_on_the_other(two_workers):
    first = two_workers.client_on()
    worker_a = first.worker()
    assert _sign_in(first, "analyste.test").status == 302
    first.request("GET", "/")
    signed_in = dict(first.cookies)
    first.close()

    other = two_workers.client_on(other_than=worker_a, cookies=signed_in)
    assert other.request("GET", "/_dash-layout").status == 200
    assert other.request("POST", "/deconnexion").status == 302
    other.close()

    # the cookies from before the sign-out, replayed to worker A: the session is over
    replay = two_workers.client_on(worker_a, cookies=signed_in)
    assert replay.request("GET", "/_dash-layout").status == 401
    replay.close()


def test_the_sign_in_lockout_counts_failures_on_every_worker(two_workers):
    workers = sorted(two_workers.workers)
    for attempt in range(5):  # 5 failures (auth.MAX_FAILURES), spread over both workers
        client = two_workers.client_on(workers[attempt % 2])
        response = _sign_in(client, "verrou.test", "mauvais-mot-de-passe")
        assert response.status != 302 and "incorrect" in response.body.decode()
        client.close()
    for worker in workers:  # then even the right password is refused, on either worker
        client = two_workers.client_on(worker)
        response = _sign_in(client, "verrou.test")
        assert response.status != 302, "signed in despite 5 failures on the two workers"
        assert "Trop de tentatives" in response.body.decode()
        client.close()


def test_users_revoke_ends_the_sessions_of_an_account(tmp_path, monkeypatch, capsys):
    from dashboard.__main__ import main
    from dashboard.core import accounts
    from etl.ops.store import get_engine
    from tests.support.dashboard_fixture import add_account

    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    add_account(tmp_path, "prefet35", "prefet", "35")
    engine = get_engine(f"sqlite:///{tmp_path / 'operations.sqlite'}")
    hours = timedelta(hours=1)
    token = accounts.open_session(engine, "prefet35", "127.0.0.1", hours)
    assert accounts.session_user(engine, token, hours, hours) is not None
    assert main(["users", "revoke", "prefet35"]) == 0
    assert "Sessions fermées : 1" in capsys.readouterr().out
    assert accounts.session_user(engine, token, hours, hours) is None
    assert main(["users", "revoke", "personne"]) == 2
    assert "Compte inconnu" in capsys.readouterr().err


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_gunicorn_refusals_are_french_pages_that_repeat_nothing(two_workers):
    """#21: a request gunicorn refuses before the app (malformed, a line or headers beyond its
    limits) gets the same status with a French page, never the request echoed."""
    long_line = _raw(two_workers.port, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert long_line.startswith(b"HTTP/1.1 414 ")
    assert b"Adresse trop longue" in long_line and b"aaaa" not in long_line
    bad = _raw(two_workers.port, b"GET /<script> HTTP/9.9\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400 ") and "Requête invalide".encode() in bad
    assert b"<script>" not in bad
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(150))
    many = _raw(two_workers.port, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert many.startswith(b"HTTP/1.1 431 ") and "En-têtes".encode() in many
    assert b'lang="fr"' in many and b"gunicorn" not in many.lower()


def test_what_the_server_writes_is_private(two_workers):
    """#21: the server's processes (gunicorn's arbiter and workers, the refresh watcher and
    the alerts worker) run with the umask 0o077 set by the entry points: the simulated
    operator's file the alerts worker makes is 0600; the start logged the French warning for
    the files this test made before it (0644)."""
    data_dir = Path(two_workers.log_path).parent
    for pid in {two_workers.proc.pid, *_children(two_workers.proc.pid, workers_only=False)}:
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Umask:\t0077" in status, pid
    deadline = time.monotonic() + 60
    while not (data_dir / "sms-simule.sqlite").exists():  # the alerts worker's first round
        assert time.monotonic() < deadline, "the alerts worker made no file"
        time.sleep(0.1)
    assert stat.S_IMODE((data_dir / "sms-simule.sqlite").stat().st_mode) == 0o600
    log = Path(two_workers.log_path).read_text()
    assert "Dossier de données lisible par d'autres comptes de la machine" in log

"""Latency of the data callbacks with 10 users at once, against a real server process.

Run: `.venv/bin/python benchmarks/concurrency.py [--workers N] [--threads T] [--seconds 60]`
(defaults: the serving defaults, PRESENCE_WORKERS / PRESENCE_THREADS, i.e. one worker per core
and 2 threads each). The old single-process server for comparison: `--waitress --threads 8`
(waitress, one process, 8 threads: what `python -m dashboard` was) or `--workers 1
--threads 8` (gunicorn, one process).

It starts `python -m dashboard` itself on a free port, reading the warehouse of `--data-dir`
(default `$PRESENCE_DATA_DIR`, i.e. data/: the demo warehouse of `make run`) through a
temporary data folder (links to the published warehouse's files and a copy of its manifest, a
throw-away operational store and signing key: nothing is written beside the real data). It
creates one account per user there (random passwords, never printed), signs each user in
through the real form, then each user — one thread, one keep-alive connection, its own
cookies and CSRF header, as a browser tab — posts data callbacks to /_dash-update-component:

- users 1 to 8 (`--users` minus `--national`) are préfets of 8 départements: Vue d'ensemble,
  Carte (commune map, facts per 1,000 inhabitants or DCAS satisfaction), Tendances (series,
  CompStat, calendar; comparison with a brigade), commune and brigade profiles;
- the others are national analysts: Vue d'ensemble, Carte (brigades or départements),
  Tendances, at France scope.

Requests arrive at `--rate` per second in all (Poisson arrivals spread over the users; a user
waits for its answer before its next request, and catches up when late). After `--warmup`
seconds not counted, one user alone replays every request `--solo-rounds` times (the
single-user figures), then all users run for `--seconds`. It prints p50 / p95 / p99 / max and
error counts per callback and overall, the achieved rate, the CPU time of the server's
processes and the machine's load average (the machine may be busy with other work). It asserts
nothing about speed. Target (issue): p95 ≤ 500 ms overall with 10 users at 10 requests/s.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import math
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.callbacks import callback_body  # noqa: E402
from benchmarks.callbacks_pages import (  # noqa: E402
    CARTE,
    CARTE_CONTROLS,
    COMPARAISON,
    TENDANCES,
    VUE_ENSEMBLE,
)
from etl.warehouse import parts  # noqa: E402
from tests.support.processes import stop  # noqa: E402
from tests.support.published import link_published  # noqa: E402

#: the préfets' départements, in order (large and small ones, metropolitan)
DEPARTEMENTS = ["35", "56", "29", "44", "59", "33", "38", "76", "62", "77", "60", "57"]
CATEGORIE = "cambriolages_logement"


# --- requests --------------------------------------------------------------------------------

def _carte(scope: str, maille: str, indicator: str) -> dict:
    inputs = [("carte-vue", "data", {"perimetre": scope, "maille": maille}),
              ("carte-indicateur", "value", indicator),
              *[(f"carte-{c}", "value", None) for c in CARTE_CONTROLS]]
    return callback_body(CARTE, inputs, [("carte-dessin", "data", None)])


def departement_requests(dep: str, commune: str | None,
                         brigade: str | None) -> list[tuple[str, dict]]:
    """(callback name, body): what a préfet's session asks for on the analysis pages."""
    scope = f"departement:{dep}"
    tendances = {"perimetre": scope, "categorie": CATEGORIE}
    out = [
        ("vue d'ensemble", callback_body(VUE_ENSEMBLE,
                                         [("vue-ensemble-vue", "data", {"perimetre": scope})])),
        ("carte: communes, faits", _carte(scope, "commune", "faits_taux")),
        ("carte: communes, satisfaction", _carte(scope, "commune", "satisfaction")),
        ("tendances", callback_body(TENDANCES, [("tendances-vue", "data", tendances)])),
    ]
    if brigade:  # a préfet compares within the département: here with one of its brigades
        out.append(("tendances: comparaison", callback_body(
            COMPARAISON, [("tendances-vue", "data",
                           tendances | {"comparer": f"brigade:{brigade}"})])))
    if commune:
        out.append(("profil commune", callback_body(
            [("fiche-commune-chiffres", "children"), ("fiche-commune-sections", "children")],
            [("fiche-commune-vue", "data", {"perimetre": f"commune:{commune}"})])))
    if brigade:
        out.append(("profil brigade", callback_body(
            [("fiche-brigade-chiffres", "children"), ("fiche-brigade-sections", "children")],
            [("fiche-brigade-vue", "data", {"perimetre": f"brigade:{brigade}"})])))
    return out


def national_requests() -> list[tuple[str, dict]]:
    scope = "france"
    return [
        ("vue d'ensemble (France)", callback_body(
            VUE_ENSEMBLE, [("vue-ensemble-vue", "data", {"perimetre": scope})])),
        ("carte: brigades (France)", _carte(scope, "brigade", "faits_taux")),
        ("carte: départements (France)", _carte(scope, "departement", "satisfaction")),
        ("tendances (France)", callback_body(
            TENDANCES, [("tendances-vue", "data", {"perimetre": scope,
                                                   "categorie": CATEGORIE})])),
    ]


def profile_targets(warehouse: Path, deps: list[str]) -> dict[str, tuple[str, str]]:
    """Per département: its most populated commune served by a brigade, and that brigade."""

    con = parts.connect(warehouse)
    try:
        rows = con.execute(
            "SELECT departement, arg_max(code, population), arg_max(brigade_id, population) "
            "FROM communes WHERE brigade_id IS NOT NULL AND list_contains(?, departement) "
            "GROUP BY departement", [deps]).fetchall()
    finally:
        con.close()
    return {dep: (commune, brigade) for dep, commune, brigade in rows}


# --- a browser-like session ------------------------------------------------------------------

class Session:
    """One user: a keep-alive connection, its cookies, the CSRF header Dash's front end sends."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
        headers = {"Accept-Encoding": "gzip", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "_csrf_token" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["_csrf_token"]
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: a browser retries
                raise
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            if response.getheader("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
            return response.status, data, dict(response.headers)
        raise AssertionError("unreachable")

    def sign_in(self, login: str, password: str) -> None:
        status, page, _ = self.request("GET", "/connexion")
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not match:
            raise SystemExit(f"page de connexion : HTTP {status}")
        form = urlencode({"login": login, "password": password,
                          "csrf_token": match.group(1).decode()}).encode()
        status, _, _ = self.request("POST", "/connexion", form,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise SystemExit(f"connexion de {login} refusée : HTTP {status}")
        self.request("GET", "/")  # sets the _csrf_token cookie
        if "_csrf_token" not in self.cookies:
            raise SystemExit("pas de cookie _csrf_token après la connexion")

    def callback(self, body: dict) -> tuple[int, bytes]:
        status, data, _ = self.request("POST", "/_dash-update-component",
                                       json.dumps(body).encode(),
                                       {"Content-Type": "application/json"})
        return status, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WAITRESS = ("import os, waitress\n"
            "from dashboard.app import create_app\n"
            "waitress.serve(create_app().server, host='127.0.0.1', "
            "port=int(os.environ['PRESENCE_PORT']), threads=int(os.environ['PRESENCE_THREADS']))")


def start_server(args, data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = os.environ | {"PRESENCE_DATA_DIR": str(data_dir), "PRESENCE_HOST": "127.0.0.1",
                        "PRESENCE_PORT": str(port)}
    env.pop("PRESENCE_OPS_URL", None)  # the temporary folder's store
    if args.workers:
        env["PRESENCE_WORKERS"] = str(args.workers)
    if args.threads:
        env["PRESENCE_THREADS"] = str(args.threads)
    elif args.waitress:
        env["PRESENCE_THREADS"] = "8"
    command = ([sys.executable, "-c", WAITRESS] if args.waitress
               else [sys.executable, "-m", "dashboard"])
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while True:
        try:
            probe = Session("127.0.0.1", port)
            status, _, headers = probe.request("GET", "/connexion")
            probe.close()
            if status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            raise SystemExit("le serveur n'a pas démarré :\n" + log.read_text()[-3000:])
        time.sleep(0.3)


def stop_server(proc: subprocess.Popen) -> None:
    stop(proc, timeout=30)


def process_tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of ``pid`` and of each of its live children (Linux /proc):
    the workers' shares show whether the keep-alive connections spread the load evenly."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if entry.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            out[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


# --- the load --------------------------------------------------------------------------------

@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=dict)  # ms, successful answers
    errors: dict[str, dict[str, int]] = field(default_factory=dict)  # name → error → count
    late: list[float] = field(default_factory=list)  # s behind schedule when sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, ms: float | None, error: str | None = None) -> None:
        with self.lock:
            self.times.setdefault(name, [])
            self.errors.setdefault(name, {})
            if error is None:
                self.times[name].append(ms)
            else:
                self.errors[name][error] = self.errors[name].get(error, 0) + 1


def timed_call(session: Session, name: str, body: dict, results: Results | None) -> None:
    t0 = time.perf_counter()
    try:
        status, data = session.callback(body)
        error = None if status == 200 else f"HTTP {status}"
    except (OSError, http.client.HTTPException) as exc:
        error = type(exc).__name__
        session.close()
    ms = (time.perf_counter() - t0) * 1000
    if results is not None:
        results.record(name, ms, error)


def run_user(session: Session, requests: list[tuple[str, dict]], start: float, stop: float,
             mean_gap: float, rng: random.Random, results: Results | None) -> None:
    """Poisson arrivals at 1/mean_gap per second; late requests are sent at once."""
    due = start + rng.expovariate(1 / mean_gap)
    while due < stop:
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif results is not None:
            with results.lock:
                results.late.append(now - due)
        name, body = rng.choice(requests)
        timed_call(session, name, body, results)
        due += rng.expovariate(1 / mean_gap)


def run_load(sessions, plans, seconds: float, rate: float, seed: int,
             results: Results | None) -> float:
    start = time.monotonic() + 0.2
    stop = start + seconds
    mean_gap = len(sessions) / rate
    threads = [threading.Thread(target=run_user, daemon=True,
                                args=(s, plan, start, stop, mean_gap,
                                      random.Random(seed * 1000 + i), results))
               for i, (s, plan) in enumerate(zip(sessions, plans, strict=True))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def print_table(title: str, results: Results) -> None:
    print(f"\n{title}")
    print(f"{'callback':<32} {'n':>5} {'err':>4} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7}")
    every: list[float] = []
    errors = 0
    for name in sorted(results.times):
        values = sorted(results.times[name])
        every += values
        n_err = sum(results.errors[name].values())
        errors += n_err
        print(f"{name:<32} {len(values) + n_err:5d} {n_err:4d} {percentile(values, 50):7.0f} "
              f"{percentile(values, 95):7.0f} {percentile(values, 99):7.0f} "
              f"{(values[-1] if values else math.nan):7.0f}")
    every.sort()
    print(f"{'ENSEMBLE':<32} {len(every) + errors:5d} {errors:4d} {percentile(every, 50):7.0f} "
          f"{percentile(every, 95):7.0f} {percentile(every, 99):7.0f} "
          f"{(every[-1] if every else math.nan):7.0f}")
    kinds: dict[str, int] = {}
    for per_name in results.errors.values():
        for kind, count in per_name.items():
            kinds[kind] = kinds.get(kind, 0) + count
    if kinds:
        print("erreurs : " + ", ".join(f"{k} × {v}" for k, v in sorted(kinds.items())))


def main() -> None:
    from etl.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="folder of warehouse.duckdb "
                        "(default: PRESENCE_DATA_DIR, i.e. data/)")
    parser.add_argument("--workers", type=int, help="worker processes (default: "
                        "PRESENCE_WORKERS, one per core)")
    parser.add_argument("--threads", type=int, help="threads per process (default: "
                        "PRESENCE_THREADS, 2; 8 with --waitress)")
    parser.add_argument("--waitress", action="store_true",
                        help="the old server: waitress, one process")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--national", type=int, default=2,
                        help="users at national scope (analysts); the others are préfets")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second, in all")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--solo-rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.waitress and args.workers not in (None, 1):
        parser.error("--waitress is one process")
    if args.waitress:
        import importlib.util

        if importlib.util.find_spec("waitress") is None:
            parser.error("--waitress: waitress is not installed in this environment")

    data_dir = (args.data_dir or get_settings().data_dir).resolve()
    warehouse = data_dir / "warehouse.duckdb"
    if not warehouse.exists():
        raise SystemExit(f"Entrepôt introuvable : {warehouse} (make run d'abord)")
    n_dep = args.users - args.national
    if not 0 <= n_dep <= len(DEPARTEMENTS):
        parser.error(f"--users - --national must be between 0 and {len(DEPARTEMENTS)}")
    deps = DEPARTEMENTS[:n_dep]
    targets = profile_targets(warehouse, deps)

    with tempfile.TemporaryDirectory(prefix="presence-concurrency-") as tmp:
        tmp_dir = Path(tmp)
        link_published(warehouse, tmp_dir)
        from dashboard.core.accounts import add_user
        from etl.ops.store import get_engine

        engine = get_engine(f"sqlite:///{tmp_dir / 'operations.sqlite'}")
        users = []  # (login, password, requests)
        for i, dep in enumerate(deps):
            login, password = f"bench.prefet{i + 1}", secrets.token_urlsafe(16)
            add_user(engine, login, password, "prefet", dep)
            commune, brigade = targets.get(dep, (None, None))
            users.append((login, password,
                          departement_requests(dep, commune, brigade)))
        for i in range(args.national):
            login, password = f"bench.analyste{i + 1}", secrets.token_urlsafe(16)
            add_user(engine, login, password, "analyste")
            users.append((login, password, national_requests()))
        engine.dispose()

        port = free_port()
        log = tmp_dir / "server.log"
        mode = (f"waitress, 1 processus × {args.threads or 8} fils" if args.waitress else
                f"gunicorn, {args.workers or 'PRESENCE_WORKERS'} processus × "
                f"{args.threads or 'PRESENCE_THREADS'} fils")
        print(f"serveur : {mode} ; entrepôt {warehouse} ; {args.users} utilisateurs "
              f"({n_dep} préfets, {args.national} analystes), {args.rate:g} requêtes/s, "
              f"{args.seconds:g} s (+ {args.warmup:g} s de chauffe) ; "
              f"{os.cpu_count()} cœurs ; charge moyenne {os.getloadavg()[0]:.2f}")
        t0 = time.monotonic()
        proc = start_server(args, tmp_dir, port, log)
        try:
            print(f"démarré en {time.monotonic() - t0:.1f} s")
            for line in log.read_text().splitlines():
                if "processus ×" in line:
                    print(line.strip())
            sessions = []
            for login, password, _ in users:
                session = Session("127.0.0.1", port)
                session.sign_in(login, password)
                sessions.append(session)
            plans = [requests for _, _, requests in users]

            # every request once: a renamed id or a refused scope stops the benchmark here
            for session, plan in zip(sessions, plans, strict=True):
                for name, body in plan:
                    status, data = session.callback(body)
                    if status != 200:
                        raise SystemExit(f"{name}: HTTP {status} {data[:300]!r}")
            if args.warmup:
                run_load(sessions, plans, args.warmup, args.rate, args.seed + 1, None)

            solo = Results()
            for _ in range(args.solo_rounds):
                for session, plan in zip(sessions, plans, strict=True):
                    for name, body in plan:
                        timed_call(session, name, body, solo)
            if args.solo_rounds:
                print_table(f"un utilisateur à la fois ({args.solo_rounds} passages de chaque "
                            "requête, en série)", solo)

            results = Results()
            cpu0, client0 = process_tree_cpu(proc.pid), time.process_time()
            load0 = os.getloadavg()[0]
            elapsed = run_load(sessions, plans, args.seconds, args.rate, args.seed, results)
            cpu1 = process_tree_cpu(proc.pid)
            client = time.process_time() - client0
            per_process = sorted((cpu1[p] - cpu0.get(p, 0.0) for p in cpu1), reverse=True)
            cpu = sum(per_process)
            done = sum(len(v) for v in results.times.values()) + sum(
                sum(e.values()) for e in results.errors.values())
            print_table(f"{args.users} utilisateurs ensemble, {args.rate:g} requêtes/s visées, "
                        f"{args.seconds:g} s", results)
            late = sorted(results.late)
            print(f"débit obtenu {done / elapsed:.1f} requêtes/s ; requêtes parties en retard "
                  f"sur leur horaire : {len(late)} (p95 du retard "
                  f"{percentile(late, 95) * 1000 if late else 0:.0f} ms) ; CPU des processus "
                  f"du serveur {cpu:.0f} s sur {elapsed:.0f} s ({cpu / elapsed:.2f} cœur, "
                  f"{cpu / max(done, 1) * 1000:.0f} ms par requête), de ce client "
                  f"{client:.0f} s ; charge moyenne {load0:.2f} → {os.getloadavg()[0]:.2f}")
            if len(per_process) > 2:  # the master's own share is close to 0
                print("CPU par processus du serveur : "
                      + ", ".join(f"{c:.0f} s" for c in per_process))
            for s in sessions:
                s.close()
        finally:
            stop_server(proc)


if __name__ == "__main__":
    main()

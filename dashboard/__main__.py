"""`python -m dashboard [serve]` serves the dashboard with gunicorn (never in debug mode):
PRESENCE_WORKERS processes (default one per CPU core) of PRESENCE_THREADS threads, each process
with its own read-only connection to the warehouse; sessions and the sign-in lockout live in
shared files (the operational store, the signing key), so any worker serves any user.
`python -m dashboard users ...` manages the local accounts; `demo-accounts` makes one per role."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import subprocess
import sys

from gunicorn.app.base import BaseApplication

from etl.roles import ROLES as ROLE_TABLE
from etl.settings import SettingsError, get_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard",
                                description="Tableau de bord « Présents pour les élus ».")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("serve", help="sert le tableau de bord (par défaut)")
    users = sub.add_parser("users", help="gestion des comptes locaux")
    us = users.add_subparsers(dest="action", required=True)
    add = us.add_parser("add", help="crée un compte (mot de passe lu sur l'entrée standard "
                        "ou demandé)")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=list(ROLE_TABLE))
    add.add_argument("--departement", help="département (préfet, commandant)")
    add.add_argument("--brigade", help="identifiant de brigade (rôle brigade)")
    us.add_parser("list", help="liste les comptes")
    dis = us.add_parser("disable", help="désactive un compte")
    dis.add_argument("login")
    rev = us.add_parser("revoke", help="ferme toutes les sessions ouvertes d'un compte")
    rev.add_argument("login")
    unl = us.add_parser("unlock", help="lève le verrou de connexion d'un compte (après des "
                        "mots de passe faux) et/ou d'une adresse")
    unl.add_argument("login", nargs="?")
    unl.add_argument("--adresse", help="adresse IP dont le verrou est levé")
    demo = sub.add_parser("demo-accounts", help="crée un compte de démonstration par rôle (si "
                          "absent) et affiche identifiants et mots de passe")
    demo.add_argument("--departement", default="35", help="département des comptes de "
                      "démonstration (défaut : 35)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"Erreur de réglage : {exc}", file=sys.stderr)
        return 2
    if args.command == "users":
        return _users(args, settings)
    if args.command == "demo-accounts":
        from dashboard.core.accounts import ensure_demo_accounts

        for line in ensure_demo_accounts(settings, args.departement):
            print(line)
        return 0
    return _serve(settings)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Mot de passe : ")
        if first != getpass.getpass("Confirmation : "):
            raise SystemExit("Les deux saisies diffèrent.")
        return first
    return sys.stdin.readline().rstrip("\n")


def _users(args, settings) -> int:
    from dashboard.core import accounts
    from dashboard.core.accounts import brigade_departement
    from etl.ops.store import get_engine

    engine = get_engine(settings.ops_url)
    try:
        if args.action == "add":
            dep = brigade_departement(settings, args.brigade) if args.brigade else None
            if args.brigade and dep is None:
                raise accounts.AccountError(f"Brigade inconnue dans l'entrepôt : {args.brigade}")
            user = accounts.add_user(engine, args.login, _read_password(), args.role,
                                 args.departement, args.brigade, dep)
            print(f"Compte créé : {user.login} ({user.role})")
        elif args.action == "list":
            for u in accounts.list_users(engine):
                state = "actif" if u["active"] else "désactivé"
                print(f"{u['login']:<20} {u['role']:<11} {u['departement'] or '-':<4} "
                      f"{u['brigade_id'] or '-':<10} {state}")
        elif args.action == "disable":
            accounts.disable_user(engine, args.login)
            print(f"Compte désactivé : {args.login}")
        elif args.action == "revoke":
            print(f"Sessions fermées : {accounts.revoke_sessions(engine, args.login)}")
        elif args.action == "unlock":
            _unlock(engine, args)
    except accounts.AccountError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    return 0


def _unlock(engine, args) -> None:
    from dashboard.core import accounts
    from etl.ops import lockout

    if args.login is None and args.adresse is None:
        raise accounts.AccountError("Indiquez un compte, une adresse (--adresse) ou les deux.")
    if args.login is not None and args.login not in {u["login"] for u in
                                                     accounts.list_users(engine)}:
        raise accounts.AccountError(f"Compte inconnu : {args.login}")
    try:
        who = getpass.getuser()
    except (OSError, KeyError):
        who = None
    lockout.unlock(engine, args.login, args.adresse, by=f"{who} (ligne de commande)")
    print("Verrou levé : " + " ; ".join(
        p for p in (args.login or "", f"adresse {args.adresse}" if args.adresse else "") if p))


def _serve(settings) -> int:
    if not settings.warehouse_path.exists():
        print(
            f"Entrepôt de données introuvable : {settings.warehouse_path}\n"
            "Construisez-le d'abord avec « python -m etl build --demo » "
            "(ou réglez PRESENCE_DATA_DIR sur le dossier qui le contient).",
            file=sys.stderr,
        )
        return 1
    host = os.environ.get("PRESENCE_HOST", "127.0.0.1")
    try:
        port = int(os.environ.get("PRESENCE_PORT", "8050"))
    except ValueError:
        print("PRESENCE_PORT doit être un numéro de port (entier).", file=sys.stderr)
        return 1
    if not _port_free(host, port):
        print(f"Le port {port} de {host} est déjà utilisé (un autre tableau de bord ?) : "
              "arrêtez-le ou choisissez un autre port avec PRESENCE_PORT.", file=sys.stderr)
        return 1

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from etl.privacy import warn_if_loose

    warn_if_loose(settings.data_dir)  # a French warning if other accounts can read it
    _prepare_shared_files(settings)
    children = [p for p in (_start_refresh(settings), _start_alerts_worker(settings))
                if p is not None]
    try:
        DashboardServer(settings, host, port).run()
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


def _start_refresh(settings) -> subprocess.Popen | None:
    """`python -m etl refresh --watch` beside the server (PRESENCE_REFRESH_SECONDS; 0: none):
    the forms' records reach the analytical pages within a minute. A process of its own, not
    a thread of gunicorn's arbiter, which forks the workers."""
    if not settings.refresh_seconds:
        return None
    # it stops by itself should this process be killed without a word
    env = os.environ | {"PRESENCE_REFRESH_PARENT": str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", "etl", "refresh", "--watch",
                             "--interval", str(settings.refresh_seconds)], env=env)


def _start_alerts_worker(settings) -> subprocess.Popen | None:
    """`python -m etl alerts worker` beside the server (PRESENCE_ALERTS_WORKER_SECONDS; 0:
    none): validated alerts are sent, and their delivery reports followed, without anyone
    starting it. Its own process, like the refresh; SIGTERM ends it after the message being
    sent (a kill is safe too: nothing is ever sent twice)."""
    if not settings.alerts_worker_seconds:
        return None
    # it stops by itself should this process be killed without a word
    env = os.environ | {"PRESENCE_ALERTS_PARENT": str(os.getpid())}
    return subprocess.Popen([sys.executable, "-m", "etl", "alerts", "worker",
                             "--interval", str(settings.alerts_worker_seconds)], env=env)


def _port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound (gunicorn would otherwise retry five times, then stop
    with an English message)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return True  # gunicorn reports an unknown address itself
    family, _type, _proto, _name, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError:
            return False
    return True


def _prepare_shared_files(settings) -> None:
    """Made once, before the workers start, what each worker would otherwise create at the
    same moment on a first start: the operational store's tables and the session signing key
    (two workers each writing their own key would reject each other's sessions). No DuckDB
    connection is opened here: each worker opens the warehouse itself, after the fork."""
    from dashboard.core.auth import secret_key
    from etl.ops.store import get_engine

    get_engine(settings.ops_url).dispose()  # no pooled connection crosses the fork
    secret_key(settings)


def gunicorn_options(settings, host: str, port: int) -> dict:
    """gunicorn's settings: ``settings.workers`` processes (PRESENCE_WORKERS, default one per
    core) of ``settings.threads`` threads (PRESENCE_THREADS, default 1). Each worker loads the
    app itself (no preload): DuckDB connections are never shared across a fork.

    One thread: gunicorn's ``sync`` workers, which take a connection only when idle, so that
    the load spreads evenly over the processes (the callbacks are CPU-bound; benchmarks/
    concurrency.py: p95 392 ms against 526-584 ms for 2 processes × 2 threads, whose busy
    process kept accepting). Several threads: ``gthread`` workers."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": settings.workers,
        "worker_class": "sync" if settings.threads == 1 else "gthread",
        "threads": settings.threads,
        "preload_app": False,
        # a worker silent this long is restarted (gthread's main loop keeps beating while a
        # thread computes, so this only catches a stuck process)
        "timeout": 120,
        "graceful_timeout": 10,  # SIGTERM: requests under way get this long to finish
        # an idle connection is closed after 2 s: a browser's connection stays with the worker
        # that accepted it, and a longer wait left one worker with twice the other's load
        "keepalive": 2,
        # gunicorn trusts no X-Forwarded-* header itself (by default it would from 127.0.0.1):
        # the app does, behind a proxy only (PRESENCE_BEHIND_HTTPS_PROXY)
        "forwarded_allow_ips": "",
        "accesslog": None,  # no access log: addresses and query strings stay out of the logs
        "errorlog": "-",  # gunicorn's own messages (start, worker boot and exit) on stderr
        "loglevel": "info",
        "proc_name": "presence-dashboard",
        "control_socket_disable": True,
        "umask": 0o077,  # gunicorn's own files (worker heartbeats): private, as the app's
        # requests are bounded by gunicorn first (its defaults, set here to say so): a request
        # line of 4094 bytes, 100 header fields of 8190 bytes each; beyond, or for a request
        # that is not HTTP, gunicorn answers 400, 414 or 431 itself, with the French page of
        # :func:`_french_error_pages`
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,  # gunicornc's socket: unused, and one path per user
        # the workers' heartbeat files: in memory when possible (a slow disk stalls them)
        "worker_tmp_dir": "/dev/shm" if os.access("/dev/shm", os.W_OK) else None,
        "when_ready": _announce,
    }


def _announce(arbiter) -> None:
    """Printed once the address is listened on (workers load the app in the background)."""
    app = arbiter.app
    print(f"{app.settings.workers} processus × {app.settings.threads} fils d'exécution "
          "(PRESENCE_WORKERS, PRESENCE_THREADS)", flush=True)
    print(f"Tableau de bord : http://{app.host}:{app.port}/ (Ctrl+C pour arrêter)", flush=True)


def _hide_server_name() -> None:
    """gunicorn writes ``Server: gunicorn`` in every response head (``Response.default_headers``
    in gunicorn/http/wsgi.py): the name and the version help nobody but an attacker. The line
    is dropped; HTTP/2 responses (not enabled here) would take the neutral name set below."""
    from gunicorn.http import wsgi

    if getattr(wsgi.Response.default_headers, "hides_server", False):
        return
    original = wsgi.Response.default_headers

    def default_headers(self):
        return [h for h in original(self) if not h.lower().startswith("server:")]

    default_headers.hides_server = True
    wsgi.Response.default_headers = default_headers
    wsgi.SERVER = "-"
    wsgi.SERVER_SOFTWARE = "-"  # the WSGI environ's SERVER_SOFTWARE


#: gunicorn's own refusals, in French (the status line keeps its standard reason phrase)
ERROR_PAGES = {
    400: "Requête invalide : elle n'a pas pu être lue.",
    403: "Requête refusée.",
    414: "Adresse trop longue : raccourcissez-la (4 094 caractères au plus).",
    417: "En-tête « Expect » non pris en charge.",
    431: "En-têtes de la requête trop nombreux ou trop longs.",
    500: "Erreur interne du serveur.",
    501: "Codage de transfert non pris en charge.",
}


def _french_error_pages() -> None:
    """gunicorn answers malformed or oversized requests itself, before the app, with an
    English page that echoes the request (``util.write_error``). Replaced: the same status, a
    French page that repeats nothing of the request."""
    import html

    from gunicorn import util

    if getattr(util.write_error, "french", False):
        return

    def write_error(sock, status_int, reason, _mesg):
        text = ERROR_PAGES.get(status_int, "Requête impossible à traiter.")
        body = ("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(text)}</title></head><body><h1>{html.escape(text)}</h1>"
                f"<p>Erreur {int(status_int)}. <a href=\"/\">Retour à l'accueil</a></p>"
                "</body></html>\n").encode()
        head = (f"HTTP/1.1 {int(status_int)} {reason}\r\nConnection: close\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        util.write_nonblock(sock, head + body)

    write_error.french = True
    util.write_error = write_error


class DashboardServer(BaseApplication):
    """gunicorn, run from Python: the settings come from :func:`gunicorn_options` only
    (no configuration file, no command-line options, no GUNICORN_CMD_ARGS)."""

    def __init__(self, settings, host: str, port: int) -> None:
        self.settings, self.host, self.port = settings, host, port
        _hide_server_name()
        _french_error_pages()
        super().__init__(prog="python -m dashboard")

    def load_config(self) -> None:
        for key, value in gunicorn_options(self.settings, self.host, self.port).items():
            self.cfg.set(key, value)

    def load(self):
        """In each worker, after the fork: its own app, its own warehouse connection."""
        from dashboard.app import create_app

        return create_app(self.settings).server


if __name__ == "__main__":
    from etl.privacy import restrict_new_files

    restrict_new_files()  # before anything is written; the workers inherit it
    sys.exit(main())

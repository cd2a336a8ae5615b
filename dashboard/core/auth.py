"""Sign-in, sessions and the Flask wiring (guard, CSRF, headers, French error pages).
Who may see what is decided in :mod:`dashboard.core.access`; accounts are in
:mod:`dashboard.core.accounts`.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import quote, urlparse

import flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import escape

from dashboard.core.access import current_user
from dashboard.core.accounts import load_user, verify
from etl.ops.store import audit, get_engine
from etl.settings import Settings

log = logging.getLogger(__name__)

#: paths served without a session (sign-in page, static files Dash needs to draw it)
PUBLIC_PREFIXES = ("/connexion", "/assets/", "/_favicon.ico")
#: static files: the same bytes for every user. Their responses leave the session cookie alone
#: (see _StaticFilesSessionInterface) so that the browser's cache keeps them.
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")
#: a year: for static files whose address changes with their content (Dash's fingerprints,
#: ``?m=`` modification times of the assets)
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_FAILURES, LOCK_SECONDS = 5, 15 * 60
SESSION_KEY = "login"


# --- Flask wiring ----------------------------------------------------------------------------

class _Throttle:
    """Failed sign-ins per login: after MAX_FAILURES in LOCK_SECONDS, the login waits."""

    def __init__(self) -> None:
        self.failures: dict[str, deque] = defaultdict(deque)

    def locked(self, login: str) -> bool:
        q = self.failures[login]
        while q and q[0] < time.monotonic() - LOCK_SECONDS:
            q.popleft()
        return len(q) >= MAX_FAILURES

    def fail(self, login: str) -> None:
        self.failures[login].append(time.monotonic())

    def reset(self, login: str) -> None:
        self.failures.pop(login, None)


def secret_key(settings: Settings) -> str:
    """Session signing key: kept in the data folder (mode 0600), made on first start."""
    path: Path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


#: HTTP errors other than 401 and 403 (answered above), in French
ERROR_MESSAGES = {
    404: "Page ou fichier introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    500: "Erreur interne du serveur : l'incident est journalisé, réessayez plus tard.",
}


def _plain_error(status: int, message: str):
    def handler(_exc):
        return flask.Response(message, status=status, mimetype="text/plain; charset=utf-8")
    return handler


class _StaticFilesSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that responses serving static files neither
    refresh the cookie nor add ``Vary: Cookie``. A permanent session is otherwise re-signed,
    with a new timestamp, on every response: each script would then vary with a cookie that
    changes every second, and the browser would download Dash's 1.5 MB of scripts (and
    compile them) again on every page opened in a new tab. The session is still checked for
    those files (the guard); it is only not written back."""

    def save_session(self, app, session, response) -> None:
        if flask.request.path.startswith(STATIC_PREFIXES):
            return
        super().save_session(app, session, response)


def init_auth(server: flask.Flask, settings: Settings) -> None:
    engine = get_engine(settings.ops_url)
    server.session_interface = _StaticFilesSessionInterface()
    server.config.update(
        SECRET_KEY=secret_key(settings),
        PRESENCE_OPS_ENGINE=engine,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        WTF_CSRF_TIME_LIMIT=None,
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )
    throttle = _Throttle()

    @server.before_request
    def _guard():
        path = flask.request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        login = flask.session.get(SESSION_KEY)
        user = load_user(engine, login) if login else None
        if user is None:
            flask.session.pop(SESSION_KEY, None)
            if path.startswith("/_dash-") or path.startswith("/_reload-hash"):
                return flask.Response("Authentification requise", status=401)
            nxt = flask.request.script_root + flask.request.full_path.rstrip("?")
            return flask.redirect("/connexion?next=" + quote(nxt, safe="/"))
        flask.g.user = user
        return None

    # after the guard, so that an unauthenticated callback gets 401 rather than a CSRF 400
    CSRFProtect(server)

    @server.after_request
    def _csrf_cookie(response):
        static = flask.request.path.startswith(STATIC_PREFIXES)
        # Dash's front end sends this cookie back as the X-CSRFToken header on every callback
        if flask.g.get("user") is not None and not static:
            response.set_cookie("_csrf_token", generate_csrf(), samesite="Lax", httponly=False)
        if static and response.status_code == 200 and flask.request.args.get("m"):
            response.headers["Cache-Control"] = IMMUTABLE  # the address changes with the file
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @server.errorhandler(403)
    def _forbidden(exc):
        return flask.Response(str(getattr(exc, "description", "Accès refusé")), status=403,
                              mimetype="text/plain; charset=utf-8")

    # werkzeug's own error pages are in English
    for status, message in ERROR_MESSAGES.items():
        server.register_error_handler(status, _plain_error(status, message))

    @server.route("/connexion", methods=["GET", "POST"])
    def connexion():
        message = ""
        if flask.request.method == "POST":
            login = flask.request.form.get("login", "").strip()
            password = flask.request.form.get("password", "")
            if throttle.locked(login):
                message = "Trop de tentatives : réessayez dans 15 minutes."
            else:
                user = verify(engine, login, password)
                if user is None:
                    throttle.fail(login)
                    audit(engine, "connexion_refusee", login, "", flask.request.remote_addr)
                    message = "Identifiant ou mot de passe incorrect."
                else:
                    throttle.reset(login)
                    flask.session.clear()
                    flask.session[SESSION_KEY] = user.login
                    flask.session.permanent = True
                    audit(engine, "connexion", user.login, user.role, flask.request.remote_addr)
                    return flask.redirect(_safe_next(flask.request.args.get("next")))
        return flask.Response(_login_page(message), status=200,
                              mimetype="text/html; charset=utf-8")

    @server.route("/deconnexion", methods=["POST"])
    def deconnexion():
        user = current_user()
        if user:
            audit(engine, "deconnexion", user.login, "", flask.request.remote_addr)
        flask.session.clear()
        return flask.redirect("/connexion")


def _login_page(message: str) -> str:
    alert = (f'<div class="alert alert-danger" role="alert">{escape(message)}</div>'
             if message else "")
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connexion — Présents pour les élus</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap.min.css">
<link rel="stylesheet" href="/assets/style.css"></head>
<body class="bg-light">
<main class="container" style="max-width: 28rem; margin-top: 10vh">
<h1 class="h3 mb-3">Présents pour les élus</h1>
<p class="text-muted">Tableau de bord territorial — accès réservé</p>
{alert}
<form method="post" class="card card-body">
<input type="hidden" name="csrf_token" value="{generate_csrf()}">
<div class="mb-3"><label class="form-label" for="login">Identifiant</label>
<input class="form-control" id="login" name="login" autocomplete="username" required autofocus>
</div>
<div class="mb-3"><label class="form-label" for="password">Mot de passe</label>
<input class="form-control" id="password" name="password" type="password"
 autocomplete="current-password" required></div>
<button class="btn btn-primary" type="submit">Se connecter</button>
</form></main></body></html>"""

"""Sign-in, sessions and the Flask wiring (guard, CSRF; security headers and French error pages
from :mod:`dashboard.core.security`). Who may see what is decided in
:mod:`dashboard.core.access`; accounts and the session records are in
:mod:`dashboard.core.accounts`.

Sessions live in the operational store, shared by every worker process: the browser's signed
cookie carries only a random session id (and flask-wtf's CSRF token); the store keeps the id's
hash, its sign-in time, last use and end. Sign-out, an account disabled or revoked, too long
idle (``PRESENCE_SESSION_IDLE_MINUTES``) or too old (``PRESENCE_SESSION_MAX_HOURS``): the id no
longer opens anything, whatever copy of the cookie is replayed.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlparse

import flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import escape

from dashboard.core import polling, security
from dashboard.core.access import current_user, home_path
from dashboard.core.accounts import (
    LOGIN_MAX,
    PASSWORD_MAX,
    close_session,
    open_session,
    session_user,
    verify,
)
from dashboard.core.security import ERROR_MESSAGES, STATIC_PREFIXES, text_response
from etl.ops import lockout
from etl.ops.audit_trail import count_refusal
from etl.ops.store import audit, get_engine
from etl.settings import Settings

log = logging.getLogger(__name__)

LOGIN_PATH = "/connexion"
#: the only addresses served without a session: the sign-in page and what it loads (its two
#: style sheets; never a script, which would name a library and its version)
PUBLIC_PATHS = frozenset({LOGIN_PATH, "/assets/style.css", "/assets/vendor/bootstrap.min.css",
                          "/_favicon.ico"})
#: a year: for static files whose address changes with their content (Dash's fingerprints,
#: ``?m=`` modification times of the assets)
IMMUTABLE = "public, max-age=31536000, immutable"
#: lockout from unknown addresses: attempts per login, and per client address, within
#: LOCK_SECONDS of the last one (:mod:`etl.ops.lockout`; known addresses get growing delays)
MAX_FAILURES, MAX_ADDRESS_FAILURES = lockout.PER_LOGIN, lockout.PER_ADDRESS
LOCK_SECONDS = int(lockout.WINDOW.total_seconds())
#: largest sign-in form accepted (bytes): a login, a password, a CSRF token
LOGIN_BODY_MAX = 8 * 1024
SESSION_KEY = "sid"

TOO_MANY = lockout.wait_message(lockout.WINDOW)
WRONG = "Identifiant ou mot de passe incorrect."
TOO_LONG = (f"Identifiant ({LOGIN_MAX} caractères au plus) ou mot de passe ({PASSWORD_MAX} "
            "caractères au plus) trop long.")
CSRF_MESSAGE = ("Jeton de sécurité absent ou périmé : rechargez la page, puis "
                "recommencez.")


def secret_key(settings: Settings) -> str:
    """Session signing key: kept in the data folder (mode 0600), made on first start. Made
    aside then linked into place, so that processes starting together all read the same one
    (the first link wins)."""
    path: Path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_text(encoding="utf-8").strip()


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):  # CR/LF would split the header
        return "/"
    return target


def _landing(user, target: str) -> str:
    """Where a sign-in leads: the page asked for (``?next=``), except the home page, which is
    replaced by the user's own (``access.home_path``: a brigade's profile)."""
    root = flask.request.script_root
    if target in ("/", root, root + "/"):
        return root + home_path(user)
    return target


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


# --- Flask wiring ----------------------------------------------------------------------------

def init_auth(server: flask.Flask, settings: Settings, dash_app=None) -> None:
    """Sessions, sign-in and sign-out, the guard of every other address, CSRF, security
    headers and French error pages, on the Dash app's Flask ``server``. ``dash_app``: the Dash
    app (default: the one whose server ``server`` is)."""
    engine = get_engine(settings.ops_url)
    idle = timedelta(minutes=getattr(settings, "session_idle_minutes", 30))
    max_age = timedelta(hours=getattr(settings, "session_max_hours", 10))
    https = bool(getattr(settings, "behind_https_proxy", False))
    server.session_interface = _StaticFilesSessionInterface()
    server.config.update(
        SECRET_KEY=secret_key(settings),
        PRESENCE_OPS_ENGINE=engine,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        WTF_CSRF_TIME_LIMIT=None,
        # the session cookie is a browser-session one (no Expires, see the sign-in); the store
        # decides whether its session is still open (idle and absolute lifetimes)
        PERMANENT_SESSION_LIFETIME=max_age,
    )
    per_login = getattr(settings, "sessions_per_login", None)

    @server.before_request
    def _guard():
        path = flask.request.path
        if path == LOGIN_PATH:
            return _limit_sign_in_body() if flask.request.method == "POST" else None
        if path in PUBLIC_PATHS:
            return None
        token = flask.session.get(SESSION_KEY)
        user = (session_user(engine, token, idle, max_age, flask.request.remote_addr,
                             touch=not polling.is_polling(flask.request))
                if token else None)
        if user is None:
            if token:
                flask.session.clear()  # its CSRF token with it
            if path.startswith("/_dash-") or path.startswith("/_reload-hash"):
                return text_response(ERROR_MESSAGES[401], 401)
            nxt = flask.request.script_root + flask.request.full_path.rstrip("?")
            return flask.redirect(LOGIN_PATH + "?next=" + quote(nxt, safe="/"))
        flask.g.user = user
        flask.g.session_token = token
        return None

    # after the guard, so that an unauthenticated callback gets 401 rather than a CSRF 400
    CSRFProtect(server)
    security.init_headers(server, dash_app or security.dash_app_for(server), https,
                          tuple(getattr(settings, "trusted_proxies", ())))
    security.init_error_pages(server)

    @server.after_request
    def _csrf_cookie(response):
        static = flask.request.path.startswith(STATIC_PREFIXES)
        # Dash's front end sends this cookie back as the X-CSRFToken header on every callback
        if flask.g.get("user") is not None and not static:
            response.set_cookie("_csrf_token", generate_csrf(), samesite="Lax", httponly=False,
                                secure=https)
        if static and response.status_code == 200 and flask.request.args.get("m"):
            response.headers["Cache-Control"] = IMMUTABLE  # the address changes with the file
        return response

    @server.errorhandler(CSRFError)
    def _csrf_refused(_exc):
        user = current_user()
        if user is None:  # counted, not one record each (the sign-in form's only)
            count_refusal(engine, "csrf_refuse", "jeton absent ou périmé",
                          flask.request.remote_addr)
        else:
            audit(engine, "csrf_refuse", user.login, flask.request.path[:200],
                  flask.request.remote_addr)
        if flask.request.path == LOGIN_PATH:
            return _sign_in_response(CSRF_MESSAGE, 400)
        return text_response(CSRF_MESSAGE, 400)

    # --- sign-in and sign-out ----------------------------------------------------------------
    @server.route(LOGIN_PATH, methods=["GET", "POST"])
    def connexion():
        if flask.request.method != "POST":
            return _sign_in_response("", 200)
        address = flask.request.remote_addr
        login = flask.request.form.get("login", "")
        password = flask.request.form.get("password", "")
        if len(login) > LOGIN_MAX or len(password) > PASSWORD_MAX:
            count_refusal(engine, "connexion_refusee", "identifiant ou mot de passe trop long",
                          address)
            return _sign_in_response(TOO_LONG, 400)
        # a NUL cannot name an account (and PostgreSQL refuses it in a text): a wrong login
        login = login.strip().replace("\x00", "\ufffd")
        wait = lockout.reserve(engine, login, address)
        if wait is not None:
            count_refusal(engine, "connexion_verrouillee", "trop de tentatives", address)
            return _sign_in_response(lockout.wait_message(wait), 429)
        user = verify(engine, login, password)
        if user is None:  # the reserved attempt stays counted
            audit(engine, "connexion_refusee", login, "", address)
            return _sign_in_response(WRONG, 200)
        lockout.succeeded(engine, login, address)
        previous = flask.session.get(SESSION_KEY)
        if previous:
            close_session(engine, previous)
        flask.session.clear()  # a new session id and a new CSRF token: no fixation
        flask.session[SESSION_KEY] = open_session(engine, user.login, address, max_age,
                                                  limit=per_login)
        # a browser-session cookie (no Expires): the store ends the session after max_age
        flask.session.permanent = False
        audit(engine, "connexion", user.login, user.role, address)
        return flask.redirect(_landing(user, _safe_next(flask.request.args.get("next"))))

    @server.route("/deconnexion", methods=["POST"])
    def deconnexion():
        user = current_user()
        token = flask.g.get("session_token")
        if token:
            close_session(engine, token)
        if user:
            audit(engine, "deconnexion", user.login, "", flask.request.remote_addr)
        flask.session.clear()
        return flask.redirect(LOGIN_PATH)


def _limit_sign_in_body():
    """The sign-in form is small: a larger body is refused (413, in French) before it is read
    (also before the CSRF check, which reads the form)."""
    length = flask.request.content_length
    if length is not None and length > LOGIN_BODY_MAX:
        security.audit_refusal("connexion_refusee", f"formulaire de {length} octets",
                               anonymous="formulaire de connexion trop volumineux")
        return text_response(ERROR_MESSAGES[413], 413)
    flask.request.max_content_length = LOGIN_BODY_MAX  # a body without a length, too
    return None


def _sign_in_response(message: str, status: int) -> flask.Response:
    return flask.Response(_login_page(message), status=status, mimetype="text/html")


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
<input class="form-control" id="login" name="login" autocomplete="username" required autofocus
 maxlength="{LOGIN_MAX}">
</div>
<div class="mb-3"><label class="form-label" for="password">Mot de passe</label>
<input class="form-control" id="password" name="password" type="password"
 autocomplete="current-password" required maxlength="{PASSWORD_MAX}"></div>
<button class="btn btn-primary" type="submit">Se connecter</button>
</form></main></body></html>"""

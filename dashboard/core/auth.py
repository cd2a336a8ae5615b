"""Accounts, sign-in and scope: who may see what is decided here, on the server, from the session.

Roles: ``prefet`` (one département, read), ``commandant`` (one département: read,
recommendations, alert validation), ``brigade`` (one brigade: its forms and its own data),
``analyste`` (national, read, exports), ``admin`` (everything, account management).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import escape
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Forbidden
from werkzeug.security import check_password_hash, generate_password_hash

from etl.ops.store import audit, get_engine, users, utcnow
from etl.settings import Settings

log = logging.getLogger(__name__)

ROLES: dict[str, str] = {
    "prefet": "Préfet (un département, lecture)",
    "commandant": "Commandant de groupement (un département)",
    "brigade": "Brigade (ses formulaires et ses données)",
    "analyste": "Analyste (national, lecture, exports)",
    "admin": "Administrateur",
}
NATIONAL_ROLES = ("analyste", "admin")
HASH_METHOD = "scrypt"
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


class AccountError(ValueError):
    """A refused account operation; the message is in French."""


@dataclass(frozen=True)
class User:
    login: str
    role: str
    departement: str | None = None
    brigade_id: str | None = None

    @property
    def national(self) -> bool:
        return self.role in NATIONAL_ROLES

    def may_see_departement(self, code: str | None) -> bool:
        """``None`` is the national view."""
        if self.national:
            return True
        return code is not None and code == self.departement

    def default_departement(self) -> str | None:
        return None if self.national else self.departement


# --- accounts --------------------------------------------------------------------------------

def add_user(engine: Engine, login: str, password: str, role: str, departement: str | None = None,
             brigade_id: str | None = None, brigade_departement: str | None = None) -> User:
    login = login.strip()
    if not login or len(login) > 64 or any(c.isspace() for c in login):
        raise AccountError("Identifiant invalide (1 à 64 caractères, sans espace).")
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu : {role} (rôles : {', '.join(ROLES)}).")
    if len(password) < 10:
        raise AccountError("Mot de passe trop court (10 caractères au moins).")
    if role in ("prefet", "commandant") and not departement:
        raise AccountError(f"Le rôle {role} exige un département (--departement).")
    if role == "brigade":
        if not brigade_id:
            raise AccountError("Le rôle brigade exige une brigade (--brigade).")
        departement = departement or brigade_departement
    if role in NATIONAL_ROLES:
        departement, brigade_id = None, None
    try:
        with engine.begin() as con:
            con.execute(users.insert().values(
                login=login, password_hash=generate_password_hash(password, method=HASH_METHOD),
                role=role, departement=departement, brigade_id=brigade_id, active=True,
                created_at=utcnow()))
    except IntegrityError as exc:
        raise AccountError(f"Le compte {login} existe déjà.") from exc
    audit(engine, "compte_cree", login, f"rôle {role}, département {departement or '-'}, "
          f"brigade {brigade_id or '-'}")
    return User(login, role, departement, brigade_id)


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as con:
        rows = con.execute(select(users.c.login, users.c.role, users.c.departement,
                                  users.c.brigade_id, users.c.active).order_by(users.c.login))
        return [dict(r._mapping) for r in rows]


def disable_user(engine: Engine, login: str) -> None:
    with engine.begin() as con:
        n = con.execute(update(users).where(users.c.login == login).values(active=False)).rowcount
    if not n:
        raise AccountError(f"Compte inconnu : {login}")
    audit(engine, "compte_desactive", login)


_DUMMY_HASH = generate_password_hash("not a password", method=HASH_METHOD)


def verify(engine: Engine, login: str, password: str) -> User | None:
    """The user if the password is right and the account active (same work either way)."""
    with engine.connect() as con:
        row = con.execute(select(users).where(users.c.login == login)).first()
    ok = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
    if row is None or not ok or not row.active:
        return None
    return User(row.login, row.role, row.departement, row.brigade_id)


def load_user(engine: Engine, login: str) -> User | None:
    """Re-read at every request: a disabled account is out at once."""
    with engine.connect() as con:
        row = con.execute(select(users).where(users.c.login == login)).first()
    if row is None or not row.active:
        return None
    return User(row.login, row.role, row.departement, row.brigade_id)


# --- the request's user and scope ------------------------------------------------------------

def current_user() -> User | None:
    return flask.g.get("user")


def require_user() -> User:
    user = current_user()
    if user is None:
        flask.abort(401)
    return user


def check_departement(code: str | None) -> User:
    """The user, if they may see département ``code`` (None: national); else 403, logged."""
    user = require_user()
    if not user.may_see_departement(code):
        log.warning("refused: %s (%s, %s) asked for département %r", user.login, user.role,
                    user.departement, code)
        engine = flask.current_app.config["PRESENCE_OPS_ENGINE"]
        audit(engine, "acces_refuse", user.login, f"département demandé : {code!r}",
              flask.request.remote_addr)
        raise Forbidden("Ce territoire n'est pas dans votre périmètre.")
    return user


def check_scope(scope_text: str | None):
    """The user and the parsed scope if the user may see it; 403 (logged) otherwise.

    Every callback that reads data calls this with what the browser sent: the browser's value
    is only a wish, the session decides.
    """
    from dashboard.core import warehouse as data
    from dashboard.core.scope import Scope, ScopeError, allowed, departement_of

    user = require_user()
    try:
        scope = Scope.parse(scope_text)
        warehouse = data.get_warehouse()
        if scope.level != "france" and not warehouse.unit_exists(scope.level, scope.code):
            raise ScopeError(f"Territoire inconnu : {scope.code}.")
        dep = departement_of(scope, warehouse.unit_departement)
        ok = allowed(user, scope, dep, warehouse.brigade_of_commune)
    except ScopeError:
        ok, scope = False, None
    if not ok:
        log.warning("refused: %s (%s) asked for scope %r", user.login, user.role, scope_text)
        engine = flask.current_app.config["PRESENCE_OPS_ENGINE"]
        audit(engine, "acces_refuse", user.login, f"territoire demandé : {scope_text!r}",
              flask.request.remote_addr)
        raise Forbidden("Ce territoire n'est pas dans votre périmètre.")
    return user, scope


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

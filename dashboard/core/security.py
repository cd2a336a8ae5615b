"""Security headers and French error pages of the dashboard's Flask server, wired by
:func:`dashboard.core.auth.init_auth`: flask-talisman (Content-Security-Policy with the hashes
of Dash's inline scripts, HSTS behind an HTTPS proxy, frame, type and referrer policies),
werkzeug's ProxyFix, Dash's page configuration without software versions, the 404 status of an
unknown address, and the error handlers (a forged callback value is a 400, never a 500).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import re
import threading
from collections import OrderedDict

import dash
import flask
from dash.exceptions import DependencyException, InvalidResourceError, UnsupportedRelativePath
from flask_talisman import Talisman
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from etl.ops.audit_trail import count_refusal
from etl.ops.store import audit

log = logging.getLogger(__name__)

#: static files: the same bytes for every user (see auth._StaticFilesSessionInterface)
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")
CALLBACK_PATH = "/_dash-update-component"
#: errors that a forged or unusual callback value raises in a callback: a 400, not a 500
#: (UnsupportedRelativePath: Dash's page router given an address not beginning with "/")
INPUT_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError,
                UnsupportedRelativePath)

#: HTTP errors, in French (werkzeug's own pages are in English)
ERROR_MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Page ou fichier introuvable.",
    405: "Méthode non autorisée pour cette adresse.",
    413: "Requête trop volumineuse.",
    429: "Trop de requêtes : réessayez plus tard.",
    500: "Erreur interne du serveur : l'incident est journalisé, réessayez plus tard.",
}
INVALID_CALLBACK = "Requête invalide : une valeur reçue n'a pas la forme attendue."

#: the Content-Security-Policy; script-src gets the hashes of the inline scripts Dash serves
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",  # Dash's components and plotly.js set styles inline
    "img-src": "'self' data: blob:",  # plotly.js's image export
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HSTS_SECONDS = 365 * 24 * 3600
#: what Dash's page configuration (``_dash-config``) would tell of the server's software; its
#: front end reads them only in debug mode's developer tools, never enabled here
VERSION_KEYS = ("python_version", "dash_version", "dash_version_url", "ddk_version",
                "plotly_version")


def text_response(message: str, status: int) -> flask.Response:
    """A plain French answer (``text/plain; charset=utf-8``)."""
    return flask.Response(message, status=status, mimetype="text/plain")


def audit_refusal(action: str, detail: str, anonymous: str = "requête refusée") -> None:
    """One audit record for a refused request of a signed-in user (with its address); without
    a session, one more in the counter of its minute, ``action``, the fixed reason
    ``anonymous`` (never ``detail``, which the request decides) and address
    (:func:`etl.ops.audit_trail.count_refusal`): a flood adds no rows."""
    user = flask.g.get("user")
    engine = flask.current_app.config["PRESENCE_OPS_ENGINE"]
    if user is None:
        count_refusal(engine, action, anonymous, flask.request.remote_addr)
        return
    audit(engine, action, user.login, detail, flask.request.remote_addr)


def _plain_error(status: int, message: str):
    def handler(_exc):
        return text_response(message, status)
    return handler


# --- Content-Security-Policy: the hashes of Dash's inline scripts ------------------------------

_SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_TYPE_RE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_EXECUTED_TYPES = ("", "text/javascript", "application/javascript", "module")


def inline_script_hashes(page: str) -> list[str]:
    """CSP sources (``'sha256-…'``) of every inline script a browser would run in ``page``
    (scripts with ``src`` and data blocks such as ``application/json`` are left out)."""
    found = []
    for attributes, body in _SCRIPT_RE.findall(page):
        if re.search(r"\bsrc\s*=", attributes, re.I):
            continue
        kind = _TYPE_RE.search(attributes)
        if (kind.group(1).lower() if kind else "") not in _EXECUTED_TYPES:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        found.append(f"'sha256-{digest}'")
    return found


def dash_app_for(server: flask.Flask):
    """The Dash app whose Flask server is ``server`` (the last one made with it), or None."""
    from dash import _get_app

    candidates = [getattr(_get_app, "APP", None)]
    try:
        candidates.append(dash.get_app())
    except Exception:  # noqa: BLE001 - no app made yet
        pass
    for candidate in candidates:
        if candidate is not None and getattr(candidate, "server", None) is server:
            return candidate
    return None


class _ScriptHashes:
    """Fills the policy's script-src once, at the first request (Dash adds its page router's
    inline script then): the hashes of every inline script of the index page Dash serves,
    rendered for "/" (the same for every address), plus ``app.csp_hashes()``. Never computed
    from a response, so an injected script could never be allowed."""

    def __init__(self, talisman: Talisman, server: flask.Flask, dash_app) -> None:
        self.talisman, self.server, self.dash_app = talisman, server, dash_app
        self.done = False
        self.lock = threading.Lock()

    def ensure(self) -> None:
        if self.done:
            return
        with self.lock:
            if self.done:
                return
            hashes: list[str] = []
            if self.dash_app is None:
                log.error("CSP: no Dash app for this server; inline scripts will be blocked")
            else:
                with self.server.test_request_context("/"):
                    hashes = inline_script_hashes(self.dash_app.index())
                hashes += list(self.dash_app.csp_hashes())
            policy = OrderedDict(self.talisman.content_security_policy)
            policy["script-src"] = " ".join(["'self'", *dict.fromkeys(hashes)])
            self.talisman.content_security_policy = policy
            self.done = True


def hide_versions(dash_app) -> None:
    """Dash's index page names the Python, Dash and Plotly versions: leave them out."""
    if getattr(dash_app, "_versions_hidden", False):
        return
    original = dash_app._config

    def config():
        found = original()
        for key in VERSION_KEYS:
            found.pop(key, None)
        return found

    dash_app._config = config
    dash_app._versions_hidden = True


def known_page(path: str) -> bool:
    """Whether ``path`` is one of the dashboard's pages (the "not found" page excepted)."""
    from dash import _pages

    wanted = path.strip("/")
    for module, page in dash.page_registry.items():
        if module.split(".")[-1] == "not_found_404":
            continue
        template = page.get("path_template")
        if template and _pages._parse_path_variables(wanted, template.strip("/")):
            return True
        if wanted == str(page.get("path", "")).strip("/"):
            return True
    return False


# --- Flask wiring ----------------------------------------------------------------------------

class TrustedProxyFix:
    """werkzeug's ProxyFix (one proxy: ``X-Forwarded-For``, ``X-Forwarded-Proto``) applied only
    to connections from one of ``networks`` (the configured reverse proxies); from anyone else
    those headers are removed, and the connection's address is the client's."""

    FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                 "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")

    def __init__(self, app, networks) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]

    def trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for name in self.FORWARDED:
            environ.pop(name, None)
        return self.app(environ, start_response)


def init_headers(server: flask.Flask, dash_app, https: bool,
                 trusted_proxies: tuple[str, ...] = ()) -> None:
    """ProxyFix (behind an HTTPS proxy, from ``trusted_proxies`` only), flask-talisman's
    headers, the CSP's script hashes, the 404 status of an address that is no page, and no
    ``Server`` header from the app."""
    if https:  # one reverse proxy in front: its X-Forwarded-Proto and -For, from it alone
        if not trusted_proxies:
            log.warning("PRESENCE_BEHIND_HTTPS_PROXY=1 sans PRESENCE_TRUSTED_PROXIES : les "
                        "en-têtes X-Forwarded-* ne sont crus d'aucune adresse (l'adresse des "
                        "clients sera celle du mandataire) ; indiquez l'adresse du mandataire.")
        server.wsgi_app = TrustedProxyFix(server.wsgi_app, trusted_proxies)
    if dash_app is not None:
        hide_versions(dash_app)
    talisman = Talisman(
        server,
        force_https=False,  # intranet: HTTPS, when used, is the reverse proxy's business
        frame_options="DENY",
        strict_transport_security=https,
        strict_transport_security_max_age=HSTS_SECONDS,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        session_cookie_secure=https,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )
    script_hashes = _ScriptHashes(talisman, server, dash_app)
    index_endpoints = {"/", "/<path:path>"}
    if dash_app is not None:
        prefix = dash_app.config.routes_pathname_prefix
        index_endpoints = {prefix, prefix + "<path:path>"}

    # registered after Talisman's: runs before it (Flask runs after_request in reverse)
    @server.after_request
    def _headers(response):
        path = flask.request.path
        if (flask.request.endpoint in index_endpoints and response.status_code == 200
                and not known_page(path)):
            response.status_code = 404  # Dash's index still draws the French « introuvable »
        if not path.startswith(STATIC_PREFIXES):
            try:
                script_hashes.ensure()
            except Exception:  # never lose the response over it; the next one tries again
                log.exception("CSP: hashing Dash's inline scripts failed")
        response.headers.pop("Server", None)
        return response


def init_error_pages(server: flask.Flask) -> None:
    """French answers for every HTTP error; Dash's unknown resources are a 404; a callback
    given a value it cannot use is a 400 (logged); anything else a 500 (logged)."""

    @server.errorhandler(403)
    def _forbidden(exc):
        return text_response(str(getattr(exc, "description", "") or ERROR_MESSAGES[403]), 403)

    for status, message in ERROR_MESSAGES.items():
        if status != 403:
            server.register_error_handler(status, _plain_error(status, message))

    @server.errorhandler(InvalidResourceError)
    @server.errorhandler(DependencyException)
    def _unknown_resource(_exc):
        return text_response(ERROR_MESSAGES[404], 404)

    @server.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):  # a status without a French page of its own
            code = exc.code or 500
            return text_response(ERROR_MESSAGES.get(code, f"Erreur HTTP {code}."), code)
        if flask.request.path == CALLBACK_PATH and isinstance(exc, INPUT_ERRORS):
            log.warning("callback refused (400): %s", type(exc).__name__, exc_info=exc)
            audit_refusal("requete_invalide", f"{type(exc).__name__} : {str(exc)[:200]}")
            return text_response(INVALID_CALLBACK, 400)
        log.error("unexpected error on %s", flask.request.path, exc_info=exc)
        return text_response(ERROR_MESSAGES[500], 500)

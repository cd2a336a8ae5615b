"""Who may see what: roles, the request's user and the scope rules, decided on the server from
the session (never from what the browser sends). Every data callback and every page goes
through :func:`check_scope` (or :func:`check_departement`); a refusal is a 403 and one
``acces_refuse`` audit record.

Roles, their reach and their capabilities are declared once, in :mod:`etl.roles`; a callback
that needs a capability calls :func:`require`, a page declares it to :mod:`scaffold`.
"""

from __future__ import annotations

import logging
import reprlib
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlencode

import flask
from werkzeug.exceptions import BadRequest, Forbidden

from dashboard.core import warehouse as data
from dashboard.core.scope import CODE_RE, LEVEL_LABELS, Scope, ScopeError
from etl import roles
from etl.ops.store import audit
from etl.roles import Capability, Reach

log = logging.getLogger(__name__)

#: the roles and what each may read (labels from :mod:`etl.roles`, the one table of permissions)
ROLES: dict[str, str] = {code: r.label for code, r in roles.ROLES.items()}


@dataclass(frozen=True)
class User:
    login: str
    role: str
    departement: str | None = None
    brigade_id: str | None = None

    @property
    def reach(self) -> Reach:
        return roles.reach(self.role)

    @property
    def national(self) -> bool:
        return self.reach is Reach.NATIONAL

    @property
    def by_brigade(self) -> bool:
        """A brigade account: its brigade and its communes, never its whole département."""
        return self.reach is Reach.BRIGADE

    @property
    def works_nationally(self) -> bool:
        """National reach without a département of its own (an administrator attached to a
        département works on it like a commandant)."""
        return roles.works_nationally(self)

    def can(self, capability: Capability) -> bool:
        return roles.can(self.role, capability)

    def may_see_departement(self, code: str | None) -> bool:
        """Whether the user may see a whole département (``None``: the national view). The
        brigade role sees its brigade and its communes only, never its whole département."""
        return roles.sees_departement(self, code)


# --- the request's user and scope ------------------------------------------------------------

def current_user() -> User | None:
    return flask.g.get("user")


def require_user() -> User:
    user = current_user()
    if user is None:
        flask.abort(401)
    return user


#: what a refusal's audit record shows of the value asked for (bounded, whatever its type)
_SHOWN = reprlib.Repr()
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlist, _SHOWN.maxdict, _SHOWN.maxlevel = \
    80, 80, 4, 4, 2


def shown(value) -> str:
    """``repr(value)``, bounded: for logs and audit records of forged values."""
    return _SHOWN.repr(value)


def ops_engine():
    """The operational store (SQLAlchemy engine) of the running app: audit log, accounts,
    decisions."""
    return flask.current_app.config["PRESENCE_OPS_ENGINE"]


def client_address() -> str | None:
    """The request's client address, for audit records."""
    return flask.request.remote_addr


def refuse(user: User, what: str,
           message: str = "Ce territoire n'est pas dans votre périmètre.") -> NoReturn:
    """403 with the French ``message`` (by default « pas dans votre périmètre »), logged and
    written once to the audit log."""
    log.warning("refused: %s (%s, %s) asked for %s", user.login, user.role, user.departement,
                what)
    audit(ops_engine(), "acces_refuse", user.login, what, flask.request.remote_addr)
    raise Forbidden(message)


def require(capability: Capability, what: str) -> User:
    """The user, if their role has ``capability``; else 403 with the capability's French
    refusal, logged and audited (``what``: what was asked, for the audit record)."""
    user = require_user()
    if not user.can(capability):
        refuse(user, f"{what} (rôle {user.role})", message=roles.REFUSALS[capability])
    return user


def check_departement(code: str | None) -> User:
    """The user, if they may see the whole département ``code`` (None: national); else 403,
    logged. The brigade role never may (its brigade and its communes only)."""
    user = require_user()
    if code is not None and not (isinstance(code, str) and CODE_RE.match(code)):
        log.warning("refused: %s sent a malformed département %s", user.login, shown(code))
        audit(ops_engine(), "requete_invalide", user.login,
              f"département demandé : {shown(code)}", flask.request.remote_addr)
        raise BadRequest("Requête invalide : code de département invalide.")
    if not user.may_see_departement(code):
        refuse(user, f"département demandé : {shown(code)}")
    return user


def check_scope(scope_text: str | None):
    """The user and the parsed scope if the user may see it; 403 (logged) otherwise.

    Every callback that reads data calls this with what the browser sent: the browser's value
    is only a wish, the session decides.
    """
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
        refuse(user, f"territoire demandé : {shown(scope_text)}")
    return user, scope



# --- scope rules ----------------------------------------------------------------------------

def departement_of(scope: Scope, lookup) -> str | None:
    """The département a scope lies in (None for France or a région). ``lookup(level, code)``
    returns the département of a compagnie, brigade or commune, or None when unknown."""
    if scope.level in ("france", "region"):
        return None
    if scope.level == "departement":
        return scope.code
    dep = lookup(scope.level, scope.code)
    if dep is None:
        raise ScopeError(f"{LEVEL_LABELS[scope.level]} inconnue : {scope.code}.")
    return dep


def allowed(user, scope: Scope, departement: str | None, brigade_of_commune=None) -> bool:
    """Whether ``user`` may see ``scope`` (whose département is ``departement``): the scope
    rule of :func:`etl.roles.sees`."""
    return roles.sees(user, scope.level, scope.code, departement, brigade_of_commune)


def home_path(user) -> str:
    """The page a user lands on after signing in (the address asked for being the home
    page): a brigade on its own profile, which has its figures, entries and links; the others
    on the organisation page (``/``), which shows their territory."""
    if user.by_brigade and user.brigade_id:
        return "/brigade?" + urlencode({"id": user.brigade_id})
    return "/"


def default_scope(user) -> Scope:
    if user.national:
        return Scope()
    if user.by_brigade and user.brigade_id:
        return Scope("brigade", user.brigade_id)
    return Scope("departement", user.departement)

"""Server side of the SMS alert pages (« Alertes », « Nouvelle alerte », an alert's page, the
élus' contacts), shared by them: who may compose, validate and read which alerts, the communes
an alert may target, and the checks every callback makes on what the browser sent.

Everything is decided from the session, never from the browser: a commune, a brigade, an alert
or a contact outside the user's scope is a 403 with one ``acces_refuse`` audit record
(:func:`access.refuse`, or ``etl.alerts.workflow`` / ``etl.ops.records`` when they refuse);
a value of the wrong shape is a French 400 (ValueError, see ``dashboard.core.security``).

Scopes: a brigade targets and reads its own communes and its own unit's alerts; a commandant
and a préfet their département (the préfet reads only); an administrator his département, or
the one he chooses when he has none; an analyst reads any département, numbers masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import dash
import pandas as pd
from werkzeug.exceptions import Forbidden

from dashboard.core import access, components, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _saisie as saisie
from etl.alerts import contacts, workflow
from etl.roles import REFUSALS, Capability, may_review_alert
from etl.settings import get_settings
from etl.sources.validate import DEP_RE

NOT_COMPOSER = REFUSALS[Capability.COMPOSE_ALERTS]
NOT_SENDER = REFUSALS[Capability.SEE_PHONE_NUMBERS]
CHOOSE_DEPARTEMENT = "Choisissez un département."
#: the most codes a callback takes (a département has at most ~900 communes)
MAX_CODES = workflow.MAX_COMMUNES
CONTACT_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def engine():
    return access.ops_engine()


def limits() -> workflow.RateLimit:
    return workflow.RateLimit.from_settings(get_settings())


def shows_numbers(user: access.User) -> bool:
    """Whether ``user`` reads the élus' numbers in clear (and may opt a contact out)."""
    return user.can(Capability.SEE_PHONE_NUMBERS)


def composes(user: access.User | None) -> bool:
    """Whether ``user`` may write an alert (True for Dash's start-up check: every id drawn)."""
    return user is None or user.can(Capability.COMPOSE_ALERTS)


# --- départements ------------------------------------------------------------------------------

def departement_param(value) -> str | None:
    """A département code from an address or a callback (None: none given); another shape
    raises ValueError (a 400)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(DEP_RE, value):
        raise ValueError("département: a code expected")
    return value


def departement_for(user: access.User, warehouse: data.Warehouse, requested=None) -> str | None:
    """The département a page works on: the user's own, or (a national role without one) the
    one asked for, if it exists. Another's département asked for is a 403, audited."""
    requested = departement_param(requested)
    own = user.departement
    if not user.works_nationally:
        if requested is not None and requested != own:
            access.refuse(user, f"département demandé (alertes) : {access.shown(requested)}")
        return own
    if requested is None:
        return None
    if requested not in set(departements(warehouse)["code"]):
        raise ValueError("unknown département")
    return requested


UNKNOWN_DEPARTEMENT = "Département inconnu."
NOT_YOURS = "Ce département n'est pas dans votre périmètre : le vôtre est affiché."


def page_departement(user: access.User, warehouse: data.Warehouse, requested
                     ) -> tuple[str | None, str | None, str | None]:
    """For a page's layout: (the département it shows, a refusal to show — another's
    département asked for, audited once —, a French problem — a département unknown)."""
    try:
        return departement_for(user, warehouse, requested), None, None
    except Forbidden:  # audited by access.refuse
        return departement_for(user, warehouse, None), NOT_YOURS, None
    except ValueError:
        return departement_for(user, warehouse, None), None, UNKNOWN_DEPARTEMENT


def departement_options(warehouse: data.Warehouse) -> list[dict]:
    frame = departements(warehouse)
    return [{"label": f"{n} ({c})", "value": c}
            for c, n in zip(frame["code"], frame["nom"], strict=True)]


# --- communes ----------------------------------------------------------------------------------

COMMUNE_COLUMNS = ["code", "nom", "brigade_id", "departement"]


def target_communes(user: access.User, warehouse: data.Warehouse,
                    departement: str | None) -> pd.DataFrame:
    """The communes ``user`` may target or manage contacts in [code, nom, brigade_id,
    departement], by name: a brigade's own; for the others a département's in the gendarmerie
    zone (a commune without a brigade is the police's); none without a département."""
    brigade = (user.brigade_id or "-") if user.by_brigade else None
    if brigade is None and departement is None:
        return pd.DataFrame(columns=COMMUNE_COLUMNS)
    return warehouse.query_reference(
        """
        SELECT code, nom, brigade_id, departement
        FROM communes
        WHERE brigade_id IS NOT NULL
          AND ($brigade IS NULL OR brigade_id = $brigade)
          AND ($departement IS NULL OR departement = $departement)
        ORDER BY nom, code
        """, {"brigade": brigade, "departement": None if brigade else departement})


def brigades(warehouse: data.Warehouse, departement: str) -> pd.DataFrame:
    """The brigades of a département [brigade_id, nom], by name."""
    return warehouse.brigades(departement)[["brigade_id", "nom"]].sort_values(
        ["nom", "brigade_id"]).reset_index(drop=True)


def departements(warehouse: data.Warehouse) -> pd.DataFrame:
    """Every département [code, nom, outre_mer]."""
    return warehouse.departements()[["code", "nom", "outre_mer"]]


def codes_param(value) -> list[str]:
    """A list of commune codes sent by the browser (None: none); another shape raises
    ValueError (a 400)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_CODES or not all(
            isinstance(c, str) and 0 < len(c) <= 10 for c in value):
        raise ValueError("communes: a list of codes expected")
    return list(dict.fromkeys(value))


def checked_codes(user: access.User, allowed: set[str], codes: Sequence[str], what: str
                  ) -> list[str]:
    """``codes``, if every one is in ``allowed``; else 403, audited."""
    outside = [c for c in codes if c not in allowed]
    if outside:
        access.refuse(user, f"{what} hors périmètre : {access.shown(outside)}")
    return list(codes)


def checked_brigade(user: access.User, warehouse: data.Warehouse, departement: str | None,
                    brigade) -> str:
    """A brigade whose communes the user may target: his own (brigade role), or one of the
    département's; else 403, audited (a value of another shape: 400)."""
    if not isinstance(brigade, str) or not 0 < len(brigade) <= 20:
        raise ValueError("brigade: an id expected")
    if user.by_brigade:
        ok = brigade == user.brigade_id
    else:
        ok = departement is not None and brigade in set(
            brigades(warehouse, departement)["brigade_id"])
    if not ok:
        access.refuse(user, f"brigade demandée (alerte) : {access.shown(brigade)}")
    return brigade


def require_composer() -> access.User:
    return access.require(Capability.COMPOSE_ALERTS, "rédaction d'une alerte SMS")


def author_unit(user: access.User, departement: str | None) -> str:
    """The unit an alert is written by: a brigade's own; the groupement (« G » + département,
    as the trainings' units) for a commandant or an administrator."""
    if user.by_brigade and user.brigade_id:
        return user.brigade_id
    return f"G{departement}" if departement else "ADMIN"


# --- alerts ------------------------------------------------------------------------------------

def may_read(user: access.User, row: dict) -> bool:
    """Whether ``user`` may read the alert ``row``: a brigade its own unit's; a commandant or a
    préfet his département's; an administrator or an analyst any."""
    if user.national:
        return True
    if user.by_brigade:
        return bool(user.brigade_id) and row.get("unite_auteur") == user.brigade_id
    return bool(user.departement) and row.get("departement") == user.departement


def may_review(user: access.User, row: dict) -> bool:
    """What ``etl.alerts.workflow`` allows (shown as buttons; it decides anyway): a commandant
    of the alert's département or an administrator, never its author."""
    if user.login == row.get("created_by"):
        return False
    return may_review_alert(user, row.get("departement"))


def read_alert(user: access.User, ident: str) -> dict | None:
    """The alert ``ident`` (already parsed), or None when there is none; one the user may not
    read is a 403, audited."""
    row = workflow.get(engine(), ident)
    if row is not None and not may_read(user, row):
        access.refuse(user, f"alerte demandée : {access.shown(ident)}")
    return row


def list_filters(user: access.User, departement: str | None) -> dict:
    """The list's filters for ``user``: his unit's alerts (a brigade), his département's, or
    the chosen one (national roles; None: every département)."""
    if user.by_brigade:
        return {"unite": user.brigade_id or "-"}
    if user.works_nationally:
        return {"departement": departement}
    return {"departement": user.departement or "-"}


def forbidden(exc: PermissionError) -> Forbidden:
    """A refusal of ``etl.alerts`` (already audited there) as the 403 it answers."""
    return Forbidden(str(exc))


def recipients_now(warehouse: data.Warehouse, communes: Sequence[str]) -> pd.DataFrame:
    """The recipients of ``communes`` now (opt-in contacts, ``contacts.recipients``)."""
    with warehouse.connection() as con:
        return contacts.recipients(engine(), con, list(communes))


def masked(frame: pd.DataFrame, user: access.User) -> pd.DataFrame:
    """``frame`` with its ``telephone`` as ``user`` may read it: shown to senders (in the
    French way), masked for the others."""
    shown = contacts.display if shows_numbers(user) else contacts.mask
    return frame.assign(telephone=frame["telephone"].map(shown))


def always_masked(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(telephone=frame["telephone"].map(contacts.mask))


# --- contacts ----------------------------------------------------------------------------------

def contact_param(value) -> str:
    if not isinstance(value, str) or not CONTACT_ID_RE.fullmatch(value):
        raise ValueError("contact: an id expected")
    return value


def opt_out(user: access.User, warehouse: data.Warehouse, allowed: set[str], ident: str):
    """The contact ``ident`` opted out (``contacts.opt_out``: at once, pending messages
    cancelled), if it lies in ``allowed`` (else 403, audited)."""
    if not shows_numbers(user):
        access.refuse(user, "désinscription d'un contact (rôle en lecture seule)",
                      message=NOT_SENDER)
    with warehouse.connection() as con:
        found = contacts.contact(engine(), con, ident)
        if found is not None and found[0] is not None and found[1].get(
                "code_commune") not in allowed:
            access.refuse(user, f"contact hors périmètre : {access.shown(ident)}")
        try:
            return contacts.opt_out(engine(), ident, user.login,
                                    saisie.scope_check_for(user, warehouse),
                                    saisie.known(warehouse), access.client_address(), con=con)
        except PermissionError as exc:  # audited by records
            raise forbidden(exc) from exc


def page_start(user, departement, page: str, chooser: Callable) -> tuple[list, str | None,
                                                                        object, object]:
    """What an alerts page shows first and works on: (blocks — refusal, problem, the
    département chooser of national roles —, the département, the warehouse, its communes the
    user may target). ``chooser(warehouse, dep)`` draws the page's département chooser; for
    Dash's start-up check (no user) it is drawn empty, so that every id the callbacks use
    exists."""
    body: list = []
    dep = warehouse = communes = None
    if user is None:
        return [chooser(None, None)], dep, warehouse, communes
    try:
        warehouse = data.get_warehouse()
        dep, refused, problem = page_departement(user, warehouse, departement)
        if refused:
            body.append(scaffold.refusal(refused))
        if problem:
            body.append(components.empty_state(problem, tone="warning"))
        communes = target_communes(user, warehouse, dep)
    except READ_ERRORS as exc:
        body.append(components.empty_state(failure(exc, page), tone="warning"))
    if warehouse is not None and user.works_nationally:
        body.append(chooser(warehouse, dep))
        if dep is None:
            body.append(components.empty_state(CHOOSE_DEPARTEMENT, tone="info"))
    return body, dep, warehouse, communes


#: a département chosen by a national role goes into the address: the page is drawn again
_DEPARTEMENT_ADDRESS = """
    function (dep) {
        if (!dep) { return window.dash_clientside.no_update; }
        const params = new URLSearchParams(window.location.search);
        params.set("departement", dep);
        const search = "?" + params.toString();
        return search === window.location.search ? window.dash_clientside.no_update : search;
    }
"""


def register_departement_address(address: str, chooser: str) -> None:
    """The browser-side callback that puts the département chosen in ``chooser`` into the
    address (a ``dcc.Location``'s search): Dash's page router then draws the page for it."""
    dash.clientside_callback(_DEPARTEMENT_ADDRESS, dash.Output(address, "search"),
                             dash.Input(chooser, "value"), prevent_initial_call=True)

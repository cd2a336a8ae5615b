"""Server side of the input forms, shared by every form page: who may write (brigades,
commandants, administrators; préfets and analysts read), for which communes, and the one way a
page submits, corrects or follows up a record (``etl.ops.records``, the validated door). The
page side of the forms is ``_formulaire`` (the form pages' factory).

Everything is decided from the session, never from what the browser sends: a record for a
commune outside the user's communes is a 403 with an ``acces_refuse`` audit record (written by
``records``), a read-only role's callback is a 403 audited here, and a request of the wrong
shape or size (not a form a browser would send) a French 400 audited as ``requete_invalide``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import NoReturn

import pandas as pd
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, Forbidden

from dashboard.core import access
from dashboard.core import warehouse as data
from dashboard.core.cache import Lru
from etl import clock
from etl.ops import records
from etl.ops.record_tables import FORM_SOURCES, IDEMPOTENCY_KEY_MAX
from etl.ops.store import audit, record_tables
from etl.roles import REFUSALS, Capability
from etl.sources.loader import known_codes
from etl.sources.validate import INSEE_RE, Known
from etl.warehouse.tables import ident

READ_ONLY = REFUSALS[Capability.ENTER_RECORDS]
INVALID = ("Requête invalide : le formulaire reçu est illisible ou trop volumineux. Rechargez "
           "la page.")
#: what a browser may send for one form at most (its inputs bound it well below): beyond, a
#: forged request, refused whole
MAX_REQUEST_TEXT = 10 * records.MAX_TEXT
MAX_REQUEST_ITEMS = 2 * records.MAX_LIST
MAX_NAME = 64
COMMUNE_COLUMNS = ["code", "nom", "brigade_id"]

#: the scoped fields of the form sources: commune fields must be the user's communes, brigade
#: fields his brigade (or one of his département's)
#: the forms « Mes saisies » lists (the élus' alert contacts are the alert pages'), and at most
#: how many of each
ENTRY_SOURCES = ("dcas", "complaints", "trainings", "immersions", "diagnostics")
ENTRIES_MAX = 300
ENTRY_COLUMNS = ["source", "id", "version", "ident", "commune", "date", "created_by",
                 "created_at"]

SCOPED: dict[str, str] = {f.name: f.kind for s in FORM_SOURCES.values() for f in s.fields
                          if f.kind in ("insee", "brigade")}
assert all(f.kind == SCOPED[f.name] for s in FORM_SOURCES.values() for f in s.fields
           if f.name in SCOPED), "a field name with two kinds across the form sources"


def new_form_key() -> str:
    """The idempotency key of one display of a form (kept in a ``dcc.Store``): the same key
    twice stores one record."""
    key = secrets.token_urlsafe(32)
    assert len(key) <= IDEMPOTENCY_KEY_MAX  # noqa: S101 - 43 characters
    return key


# --- who writes what ---------------------------------------------------------------------------

def commune_scope(user: access.User) -> dict | None:
    """The SQL parameters of the communes ``user`` writes for (None: none at all)."""
    brigade = departement = None
    if user.by_brigade:
        brigade = user.brigade_id
    else:
        departement = user.departement
    if not user.can(Capability.ENTER_RECORDS) or (
            not user.works_nationally and not (brigade or departement)):
        return None
    return {"brigade": brigade, "departement": departement}


def writable_communes(user: access.User, warehouse: data.Warehouse) -> pd.DataFrame:
    """The communes ``user`` may enter records for [code, nom, brigade_id], by name: a
    brigade's communes, a commandant's département, an administrator's département (all
    communes without one); none for the read-only roles."""
    params = commune_scope(user)
    if params is None:
        return pd.DataFrame(columns=COMMUNE_COLUMNS)
    return warehouse.query_reference(
        """
        SELECT code, nom, brigade_id
        FROM communes
        WHERE ($brigade IS NULL OR brigade_id = $brigade)
          AND ($departement IS NULL OR departement = $departement)
        ORDER BY nom, code
        """, params)


def _brigades(user: access.User, warehouse: data.Warehouse) -> set[str] | None:
    """The brigades ``user`` may write for (None: any)."""
    if not user.can(Capability.ENTER_RECORDS):
        return set()
    if user.by_brigade:
        return {user.brigade_id} if user.brigade_id else set()
    if user.works_nationally:
        return None
    return set(warehouse.brigades(user.departement)["brigade_id"]) \
        if user.departement else set()


def writable_units(user: access.User, warehouse: data.Warehouse) -> set[str] | None:
    """The units ``user`` may name in a form's ``unite`` (None: any well-formed code, for a
    national role): the brigade numérique (BNUM), and for a commandant his département's
    brigades, compagnies, their PSIG, its groupement, CORG and motorway platoon (B35047,
    C35238, PSIG-C35238, G35, CORG35, PA35); for a brigade the same but other brigades."""
    if user.works_nationally or not user.can(Capability.ENTER_RECORDS):
        return None if user.can(Capability.ENTER_RECORDS) else set()
    dep, units = user.departement, {"BNUM"}
    if dep:
        brigades = warehouse.brigades(dep)
        compagnies = set(brigades["compagnie_id"].dropna())
        units |= compagnies | {f"PSIG-{c}" for c in compagnies} | {f"G{dep}", f"CORG{dep}",
                                                                     f"PA{dep}"}
        units |= {user.brigade_id} if user.by_brigade else set(brigades["brigade_id"])
    return units


def scope_check_for(user: access.User, warehouse: data.Warehouse) -> Callable[[dict], bool]:
    """The rule ``records`` applies to a record's typed values: every commune field among the
    user's communes (:func:`writable_communes`), every brigade field his brigade (brigade
    role) or one of his département's (commandant), every unit field one of his units
    (:func:`writable_units`). Never true for a read-only role."""
    if not user.can(Capability.ENTER_RECORDS):
        return lambda _values: False
    communes = set(writable_communes(user, warehouse)["code"])
    brigades = _brigades(user, warehouse)
    units = writable_units(user, warehouse)

    def check(values: dict) -> bool:
        if not isinstance(values, dict):
            return False
        for name, kind in SCOPED.items():
            value = values.get(name)
            if value is None:
                continue
            if kind == "insee" and value not in communes:
                return False
            if kind == "brigade" and brigades is not None and value not in brigades:
                return False
        return units is None or values.get("unite") is None or values["unite"] in units
    return check


def require_writer() -> access.User:
    """The user, if their role enters records; else 403, audited."""
    return access.require(Capability.ENTER_RECORDS, "saisie d'un formulaire")


def check_commune(code) -> tuple[access.User, data.Warehouse]:
    """The writer and the warehouse, if ``code`` (sent by the browser) is one of the user's
    communes; else 403, audited."""
    user = require_writer()
    warehouse = data.get_warehouse()
    if not isinstance(code, str) or code not in set(writable_communes(user, warehouse)["code"]):
        access.refuse(user, f"commune demandée (saisie) : {access.shown(code)}")
    return user, warehouse


def brigade_for(user: access.User, warehouse: data.Warehouse, commune) -> str | None:
    """The brigade a record of ``user`` for ``commune`` is entered by: a brigade's own, else
    the commune's (None when the commune has none or is not a commune code)."""
    if user.by_brigade:
        return user.brigade_id
    if isinstance(commune, str) and re.fullmatch(INSEE_RE, commune):
        return warehouse.brigade_of_commune(commune)
    return None


# --- reference codes -----------------------------------------------------------------------------

#: one warehouse per process: the newest one's codes are all that is needed
_known: Lru[Known] = Lru(1)


def known(warehouse: data.Warehouse) -> Known:
    """The warehouse's reference codes (``known_codes``), kept while it is the same."""
    with warehouse.connection() as con:
        key = (str(warehouse.path), warehouse.version)
        return _known.get_or_compute(key, lambda: known_codes(con))


# --- submitting ----------------------------------------------------------------------------------

def _bounded(value, depth: int = 0) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_REQUEST_TEXT
    if isinstance(value, list | dict) and depth == 0 and len(value) <= MAX_REQUEST_ITEMS:
        items = value.values() if isinstance(value, dict) else value
        return all(_bounded(v, depth + 1) for v in items)
    return False


def check_request(user: access.User, source_name: str, values, form_key=None) -> None:
    """A French 400, audited as ``requete_invalide``, unless ``values`` has a form's shape: a
    dict of at most ``records.MAX_FIELDS`` named values, each a number, a text or a short
    list, none huge or nested (a value of another type is refused field by field by
    ``records``)."""
    ok = (isinstance(values, dict) and len(values) <= records.MAX_FIELDS
          and all(isinstance(k, str) and len(k) <= MAX_NAME for k in values)
          and all(_bounded(v) for v in values.values())
          and (form_key is None or (isinstance(form_key, str)
                                    and len(form_key) <= IDEMPOTENCY_KEY_MAX)))
    if not ok:
        invalid(user, f"saisie {source_name} : {access.shown(values)}")


def invalid(user: access.User, what: str, message: str = INVALID) -> NoReturn:
    """A French 400 for a request no page sends, audited as ``requete_invalide``."""
    audit(access.ops_engine(), "requete_invalide", user.login, what, access.client_address())
    raise BadRequest(message)


def submit_form(source_name: str, values: dict, form_key: str) -> records.Result:
    """A new record of ``source_name`` from a form's ``values`` (the page sets the fields the
    session decides, such as a brigade's own brigade): validated by the source's declaration,
    inside the user's communes (else 403, audited), stored once per ``form_key``."""
    user = require_writer()
    check_request(user, source_name, values, form_key)
    warehouse = data.get_warehouse()
    try:
        return records.submit(access.ops_engine(), source_name, values, user.login,
                              scope_check_for(user, warehouse), form_key, known(warehouse),
                              access.client_address())
    except PermissionError as exc:  # audited by records
        raise Forbidden(str(exc)) from exc


def correct_form(source_name: str, record_id, changes: dict,
                 expected_version) -> records.Result:
    """Changes to a stored record (a new version with its history), for a writer whose scope
    holds the record before and after (else 403, audited); ``expected_version``: the version
    the page showed."""
    user = require_writer()
    check_request(user, source_name, changes)
    if not isinstance(record_id, int) or isinstance(record_id, bool) or not (
            expected_version is None or (isinstance(expected_version, int)
                                         and not isinstance(expected_version, bool))):
        return records.Result(False, errors={"*": records.NOT_FOUND})
    warehouse = data.get_warehouse()
    try:
        return records.correct(access.ops_engine(), source_name, record_id, changes, user.login,
                               scope_check_for(user, warehouse), known(warehouse),
                               expected_version=expected_version,
                               address=access.client_address())
    except PermissionError as exc:
        raise Forbidden(str(exc)) from exc


def delete_form(source_name, record_id, expected_version, reason) -> records.Result:
    """Deletes (soft) a stored record a page showed at ``expected_version``, with the user's
    ``reason`` (in its audit record): through the door, for a writer whose scope holds the
    record (else 403, audited); changed meanwhile: STALE; gone: NOT_FOUND; no reason: its
    French error under ``records.REASON``. Values a page never sends: a French 400, audited."""
    user = require_writer()
    ok = (source_name in ENTRY_SOURCES and all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31
        for v in (record_id, expected_version))
          and (reason is None or (isinstance(reason, str) and len(reason) <= MAX_REQUEST_TEXT)))
    if not ok:
        invalid(user, f"suppression {access.shown(source_name)} n° {access.shown(record_id)}")
    warehouse = data.get_warehouse()
    try:
        return records.delete(access.ops_engine(), source_name, record_id, user.login,
                              scope_check_for(user, warehouse), expected_version=expected_version,
                              address=access.client_address(), reason=reason or "")
    except PermissionError as exc:  # audited by records
        raise Forbidden(str(exc)) from exc


def save_changes(source_name: str, shown_id, version, changes: dict, current: dict | None,
                 imported: dict, form_key) -> records.Result:
    """Changes to a record as a page showed it (a follow-up):

    - the stored record ``shown_id``, at ``version``: its correction (:func:`correct_form`), if
      ``current`` (the stored record of its key now) is still it: else STALE, or NOT_FOUND
      when there is none;
    - a row the warehouse imported from a file (``shown_id`` None): its adoption, a new stored
      record of ``imported`` (the row with the changes, its id kept), once per ``form_key``
      (:func:`submit_form`: the same display sent again replays it; adopted meanwhile by
      another display: STALE)."""
    if shown_id is None:
        result = submit_form(source_name, imported, form_key)
        taken = result.errors.get(FORM_SOURCES[source_name].key[0]) == records.KEY_TAKEN
        return records.Result(False, errors={"*": records.STALE}) if taken else result
    if current is None or current["id"] != shown_id:
        return records.Result(False, errors={
            "*": records.NOT_FOUND if current is None else records.STALE})
    return correct_form(source_name, shown_id, changes, version)


# --- reading back --------------------------------------------------------------------------------

def _commune_field(source_name: str) -> str:
    return next(f.name for f in FORM_SOURCES[source_name].fields if f.kind == "insee")


def stored_records(source_name: str, user: access.User, warehouse: data.Warehouse,
                   limit: int = 20, commune: str | None = None) -> pd.DataFrame:
    """The newest records entered through the forms (deleted ones left out) for the user's
    communes, or for ``commune`` (which the caller checked): the source's fields and the
    bookkeeping columns (id, version, created_at/by, updated_at/by)."""
    table = record_tables[source_name]
    field = table.c[_commune_field(source_name)]
    query = select(table).where(table.c.deleted.is_(False))
    if commune is not None:
        query = query.where(field == commune)
    elif not user.works_nationally:
        query = query.where(field.in_(sorted(writable_communes(user, warehouse)["code"])))
    query = query.order_by(table.c.id.desc()).limit(limit)
    with access.ops_engine().connect() as con:
        rows = con.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in table.columns])


def _first_date(source_name: str) -> str:
    return next(f.name for f in FORM_SOURCES[source_name].fields
                if f.kind in ("date", "datetime"))


def month_start_utc(today: date | None = None) -> datetime:
    """The first instant of France's current month, as the store's times are kept (UTC)."""
    today = today or clock.today()
    return datetime(today.year, today.month, 1, tzinfo=clock.LOCAL_TZ).astimezone(
        UTC).replace(tzinfo=None)


def entries_since(user: access.User, warehouse: data.Warehouse, since: datetime,
                  limit: int = ENTRIES_MAX) -> pd.DataFrame:
    """The records of every form (:data:`ENTRY_SOURCES`) entered since ``since`` (UTC) for the
    user's communes (all of them for a national reach), deleted ones left out, newest first:
    source, id, version, ident, commune, date, created_by, created_at (at most ``limit`` of
    each form)."""
    communes = None if user.works_nationally else sorted(
        writable_communes(user, warehouse)["code"])
    rows = []
    with access.ops_engine().connect() as con:
        for name in ENTRY_SOURCES:
            table, source = record_tables[name], FORM_SOURCES[name]
            commune = table.c[_commune_field(name)]
            query = select(table.c.id, table.c.version, table.c[source.key[0]].label("ident"),
                           commune.label("commune"), table.c[_first_date(name)].label("date"),
                           table.c.created_by, table.c.created_at).where(
                table.c.deleted.is_(False), table.c.created_at >= since)
            if communes is not None:
                query = query.where(commune.in_(communes))
            query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
            rows += [{"source": name, **dict(r)} for r in con.execute(query).mappings()]
    frame = pd.DataFrame(rows, columns=ENTRY_COLUMNS)
    return frame.sort_values(["created_at", "source", "id"], ascending=False,
                             ignore_index=True)


def imported_records(warehouse: data.Warehouse, source_name: str, commune: str,
                     limit: int = 50) -> pd.DataFrame:
    """The warehouse's rows of ``source_name`` for one commune (loaded from files, or
    published from the forms), newest first."""
    source = FORM_SOURCES[source_name]
    when = next(f.name for f in source.fields if f.kind in ("date", "datetime"))
    sql = (f"SELECT * FROM {ident(source.table)} "  # noqa: S608 - declared names only
           f"WHERE {ident(_commune_field(source_name))} = $code "
           f"ORDER BY {ident(when)} DESC, {ident(source.key[0])} DESC LIMIT {int(limit)}")
    return warehouse.query(sql, {"code": commune})


def history(source_name: str, record_id: int) -> list[dict]:
    """Every version of a stored record, oldest first (``records.history``)."""
    return records.history(access.ops_engine(), source_name, record_id)


def record_to_correct(user: access.User, warehouse: data.Warehouse, source_name: str,
                      asked) -> dict | None:
    """The stored record an address's ``?corriger=<n°>`` names (None: unknown or deleted),
    if the user may write for it; else 403, audited."""
    number = int(asked) if isinstance(asked, str) and asked.isdigit() and len(asked) <= 9 \
        else None
    record = stored(source_name, number) if number else None
    if record is None or record["deleted"]:
        return None
    if not scope_check_for(user, warehouse)(record):
        access.refuse(user, f"correction de {source_name} n° {number}", message=records.DENIED)
    return record


def stored(source_name: str, record_id: int) -> dict | None:
    return records.get(access.ops_engine(), source_name, record_id)

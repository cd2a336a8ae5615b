"""One door for the input forms' records: validated by the source's declaration as a file row,
stored with its history and its audit record in one transaction, never stored twice.

A form's values go through :func:`submit` (a new record), :func:`correct` (changes to a record)
and :func:`delete` (a soft delete). Each value is read as the same cell of a CSV file would be
(``etl.sources.validate.validate``, the loader's function): same types, allowed values,
references, dates not in the future, cross-column checks and the same French reasons, one per
field, for the form to show next to its inputs. Bad input comes back as a :class:`Result` with
errors, never as an exception; a record outside the caller's scope raises ``PermissionError``
(French message) after an ``acces_refuse`` audit record.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from etl import clock
from etl.ops import consent
from etl.ops.limits import IDEMPOTENCY_KEY_MAX, MAX_FIELDS, MAX_LIST, MAX_TEXT
from etl.ops.record_tables import ACTIONS, FORM_SOURCES, SA_TYPES
from etl.ops.store import (
    AUDIT_DETAIL_MAX,
    AUDIT_FIELD_MAX,
    audit,
    audit_log,
    record_history,
    record_tables,
    utcnow,
)
from etl.sources.base import Source
from etl.sources.validate import (
    BIDI_CONTROLS,
    BIDI_REFUSED,
    LINE,
    Known,
    Rejections,
    validate,
)

UNKNOWN_FIELD = "champ inconnu du formulaire"
TOO_LONG = f"texte trop long ({MAX_TEXT} caractères au plus)"
ODD_VALUE = "valeur illisible (texte, nombre, date ou liste attendus)"
BAD_FORM = "formulaire illisible : rechargez la page"
BAD_KEY = "formulaire expiré ou invalide : rechargez la page"
KEY_TAKEN = "identifiant déjà utilisé par un autre enregistrement"
NOT_FOUND = "enregistrement introuvable (ou supprimé)"
STALE = "enregistrement modifié entre-temps par un autre utilisateur : rechargez-le"
FIXED_ID = "l'identifiant d'un enregistrement ne se corrige pas"
#: a deletion's reason: its name among a Result's errors, its bound and French problems
REASON = "motif"
REASON_MAX = 300
NO_REASON = "motif de la suppression manquant"
REASON_TOO_LONG = f"motif trop long ({REASON_MAX} caractères au plus)"
DENIED = ("Accès refusé : vous ne pouvez saisir que pour les communes de votre périmètre. "
          "La tentative est enregistrée.")

#: the caller's rule: may this login write this record (typed values)? e.g. a brigade writes for
#: its own communes only
ScopeCheck = Callable[[dict], bool]


@dataclass
class Result:
    """``ok``: the record is stored (``record_id``, its ``ident`` in the source's format, its
    ``version``); ``replayed``: it was stored before, by the same form display (nothing written).
    Otherwise ``errors``: field name (``*`` for the whole form) → French reason."""

    ok: bool
    record_id: int | None = None
    ident: str | None = None
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def _failed(errors: dict[str, str]) -> Result:
    return Result(False, errors=errors)


# --- values as the cells of a file -----------------------------------------------------------

def _as_text(value) -> tuple[str | None, str | None]:
    """(the value as written in a CSV cell, or a French reason it cannot be)."""
    if value is None:
        return None, None
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL stores no NUL character in a text
            return None, ODD_VALUE
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800"), which JSON can carry
            return None, ODD_VALUE
        if BIDI_CONTROLS.search(value):
            return None, BIDI_REFUSED
        return (None, TOO_LONG) if len(value) > MAX_TEXT else (value, None)
    if isinstance(value, bool):
        return ("oui" if value else "non"), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        return (repr(value), None) if math.isfinite(value) else (None, ODD_VALUE)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S"), None
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, list | tuple) and len(value) <= MAX_LIST and all(
            isinstance(v, str) and "|" not in v for v in value):
        return _as_text("|".join(value))
    return None, ODD_VALUE


def _cells(source: Source, values) -> tuple[dict[str, str | None], dict[str, str]]:
    """The form's values as cells, each known field once; errors for anything else."""
    if not isinstance(values, dict) or len(values) > MAX_FIELDS:
        return {}, {"*": BAD_FORM}
    names = {f.name for f in source.fields}
    cells, errors = {}, {}
    for name, value in values.items():
        if not isinstance(name, str) or name not in names:
            errors[str(name)[:AUDIT_FIELD_MAX]] = UNKNOWN_FIELD
            continue
        cells[name], reason = _as_text(value)
        if reason:
            errors[name] = reason
    return cells, errors


def _typed(kind: str, value):
    """A validated value as Python (what the store's column takes)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind in ("date", "month"):
        return pd.Timestamp(value).date()
    if kind == "datetime":
        return pd.Timestamp(value).to_pydatetime()
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def check(source: Source, cells: dict[str, str | None], known: Known,
          today: date) -> tuple[dict | None, dict[str, str]]:
    """Validate one record as one row of a file of ``source``: (typed values, {}) or (None,
    {field: French reason})."""
    raw = pd.DataFrame([{f.name: cells.get(f.name) for f in source.fields}], dtype=object)
    raw[LINE] = 2
    rejections = Rejections()
    good = validate(source, raw, {}, known, today, rejections)
    errors: dict[str, str] = {}
    for _line, column, reason, _value in rejections.rows:
        errors.setdefault(column, reason)
    if errors or good.empty:
        return None, errors or {"*": BAD_FORM}
    row = good.iloc[0]
    typed = {f.name: _typed(f.kind, row[f.name]) for f in source.fields}
    # no longer than its column (PostgreSQL refuses a longer text; SQLite would store it)
    for f in source.fields:
        size = getattr(SA_TYPES[f.kind], "length", None)
        if size and isinstance(typed[f.name], str) and len(typed[f.name]) > size:
            errors[f.name] = f"texte trop long ({size} caractères au plus)"
    return (None, errors) if errors else (typed, {})


def _consent_problem(engine: Engine, source: Source, clean: dict) -> dict[str, str]:
    """A contact with opt-in whose number opted out (``etl.ops.consent``): refused, with
    the date of the opt-out, on the opt-in field; with opt-in « non » it may be stored."""
    if source.name != "contacts" or not clean.get("opt_in"):
        return {}
    reason = consent.refusal(engine, clean.get("telephone"))
    return {"opt_in": reason} if reason else {}


def _known(known: Known | Iterable[str]) -> Known:
    return known if isinstance(known, Known) else Known(communes=set(known))


# --- the record's generated id ---------------------------------------------------------------

_ID_FORMAT = re.compile(r"([A-Za-z]+)-(?:([0-9]{4})-)?([0-9]+)")


def _id_format(source: Source) -> tuple[str, bool, int]:
    """(prefix, with the year, digits) of the source's key, from its example (DC-2025-000001)."""
    header, first = source.example.splitlines()[:2]
    example = dict(zip(header.split(";"), first.split(";"), strict=False))[source.key[0]]
    m = _ID_FORMAT.fullmatch(example)
    if m is None:
        raise ValueError(f"{source.name}: example id {example!r} has no known format")
    return m.group(1), m.group(2) is not None, len(m.group(3))


#: before the number of a form record's generated id (DC-2026-S000001): file-loaded ids
#: (DC-2026-000001) never collide with it
FORM_ID_MARK = "S"


def make_id(source: Source, record_id: int, values: dict) -> str:
    """The source's id of a form record: its format, the year of its first date, its number
    after :data:`FORM_ID_MARK` (a file's ids are in another namespace)."""
    prefix, with_year, digits = _id_format(source)
    number = f"{FORM_ID_MARK}{record_id:0{digits}d}"
    if not with_year:
        return f"{prefix}-{number}"
    first = next((values[f.name] for f in source.fields
                  if f.kind in ("date", "datetime") and values.get(f.name)), None)
    year = (first or clock.today()).year
    return f"{prefix}-{year}-{number}"


# --- store -----------------------------------------------------------------------------------

def _source(name: str) -> tuple[Source, Table]:
    if name not in FORM_SOURCES:
        raise ValueError(f"unknown form source {name!r}")
    return FORM_SOURCES[name], record_tables[name]


def _json(values: dict | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True,
                                                  default=str)


def _values(source: Source, row) -> dict:
    return {f.name: row[f.name] for f in source.fields}


def _write_trail(con, source: Source, record_id: int, version: int, now, login: str,
                 action: str, before: dict | None, after: dict | None,
                 address: str | None, reason: str | None = None) -> None:
    """The history row and the audit record of a write (with its ``reason``, a deletion's),
    in the write's transaction."""
    assert action in ACTIONS  # noqa: S101 - the three actions of this module
    con.execute(insert(record_history).values(
        source=source.name, record_id=record_id, version=version, at=now, login=login,
        action=action, before=_json(before), after=_json(after)))
    ident = (after or before or {}).get(source.key[0])
    verb = {"creation": "création", "correction": "correction",
            "suppression": "suppression"}[action]
    name = f"saisie_{source.name}" + ("" if action == "creation" else f"_{action}")
    detail = f"{source.name} n° {record_id} ({ident}), version {version} : {verb} " + (
        _json(after) if after is not None else "") + (
        f"motif : {reason}" if reason is not None else "")
    con.execute(insert(audit_log).values(
        at=now, login=login, action=name[:AUDIT_FIELD_MAX], detail=detail[:AUDIT_DETAIL_MAX],
        address=None if address is None else str(address)[:AUDIT_FIELD_MAX]))


def _deny(engine: Engine, source: Source, login: str, what: str, address: str | None):
    audit(engine, "acces_refuse", login, f"saisie_{source.name} hors périmètre : {what}",
          address)
    raise PermissionError(DENIED)


def _by_key(con, table: Table, key: str):
    return con.execute(select(table).where(table.c.idempotency_key == key)).mappings().first()


def _replay(source: Source, row, login: str) -> Result:
    if row["created_by"] != login:  # another login's form display: not theirs to learn
        return _failed({"*": BAD_KEY})
    return Result(True, int(row["id"]), row[source.key[0]], int(row["version"]), replayed=True)


def submit(engine: Engine, source_name: str, values: dict, login: str, scope_check: ScopeCheck,
           idempotency_key: str, known: Known | Iterable[str], address: str | None = None,
           today: date | None = None) -> Result:
    """A new record of ``source_name`` from a form's ``values`` (field → text, number, date or
    list of values). ``idempotency_key``: one per form display; the same key again returns the
    record stored the first time and writes nothing. ``known``: the reference codes
    (``known_codes(warehouse)``, or a set of commune codes). The source's id, when absent, is
    made from the record's id (:func:`make_id`)."""
    source, table = _source(source_name)
    login = str(login)[:AUDIT_FIELD_MAX]
    key = idempotency_key
    if not isinstance(key, str) or not 0 < len(key) <= IDEMPOTENCY_KEY_MAX:
        return _failed({"*": BAD_KEY})
    with engine.connect() as con:
        if (row := _by_key(con, table, key)) is not None:
            return _replay(source, row, login)
    cells, errors = _cells(source, values)
    if errors:
        return _failed(errors)
    id_field = source.key[0]
    generated = not (cells.get(id_field) or "").strip()
    if generated:
        cells[id_field] = "~" + key[:IDEMPOTENCY_KEY_MAX - 1]  # until the record has its id
    clean, errors = check(source, cells, _known(known), today or clock.today())
    if errors or (errors := _consent_problem(engine, source, clean)):
        return _failed(errors)
    if not scope_check(clean):
        _deny(engine, source, login, _json(clean) or "", address)
    now = utcnow()
    try:
        with engine.connect() as con:
            con = con.execution_options(sqlite_immediate=True)
            with con.begin():
                if (row := _by_key(con, table, key)) is not None:  # a twin submission won
                    return _replay(source, row, login)
                if not generated and con.execute(select(table.c.id).where(
                        table.c[id_field] == clean[id_field])).first() is not None:
                    return _failed({id_field: KEY_TAKEN})
                record_id = int(con.execute(insert(table).values(
                    version=1, created_at=now, created_by=login, updated_at=now,
                    updated_by=login, deleted=False, idempotency_key=key, **clean),
                ).inserted_primary_key[0])
                if generated:
                    clean[id_field] = make_id(source, record_id, clean)
                    con.execute(update(table).where(table.c.id == record_id)
                                .values({id_field: clean[id_field]}))
                _write_trail(con, source, record_id, 1, now, login, "creation", None, clean,
                             address)
    except IntegrityError:  # PostgreSQL: a twin submission, or the id taken meanwhile
        with engine.connect() as con:
            if (row := _by_key(con, table, key)) is not None:
                return _replay(source, row, login)
        return _failed({id_field: KEY_TAKEN})
    return Result(True, record_id, clean[id_field], 1)


def get(engine: Engine, source_name: str, record_id: int) -> dict | None:
    """The record with its bookkeeping columns (deleted ones too), or None."""
    _source_, table = _source(source_name)
    with engine.connect() as con:
        row = con.execute(select(table).where(table.c.id == record_id)).mappings().first()
    return None if row is None else dict(row)


def _current(engine: Engine, source_name: str, record_id, expected_version):
    """(source, table, the live record) or a failed Result."""
    source, table = _source(source_name)
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        return source, table, _failed({"*": NOT_FOUND})
    row = get(engine, source_name, record_id)
    if row is None or row["deleted"]:
        return source, table, _failed({"*": NOT_FOUND})
    if expected_version is not None and row["version"] != expected_version:
        return source, table, _failed({"*": STALE})
    return source, table, row


def _commit_change(engine: Engine, source: Source, table: Table, row: dict, values: dict,
                   login: str, action: str, before: dict, after: dict | None,
                   address: str | None, reason: str | None = None) -> Result:
    """Write ``values`` over ``row`` if nobody changed it since it was read (its version)."""
    now = utcnow()
    version = row["version"] + 1
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin():
            changed = con.execute(update(table).where(
                table.c.id == row["id"], table.c.version == row["version"],
                table.c.deleted.is_(False)).values(
                version=version, updated_at=now, updated_by=login, **values)).rowcount
            if changed != 1:
                return _failed({"*": STALE})
            _write_trail(con, source, row["id"], version, now, login, action, before, after,
                         address, reason)
    return Result(True, row["id"], (after or before)[source.key[0]], version)


def _open(engine: Engine, source_name: str, record_id: int, expected_version: int | None,
          login: str, scope_check: ScopeCheck, action: str, address: str | None):
    """The record as stored and its values, once the user may change it (a refusal is
    audited and raises); a Result when it cannot be changed (unknown, deleted, stale)."""
    source, table, row = _current(engine, source_name, record_id, expected_version)
    if isinstance(row, Result):
        return row
    before = _values(source, row)
    if not scope_check(before):
        _deny(engine, source, login, f"{action} de {source.name} n° {record_id}", address)
    return source, table, row, before


def correct(engine: Engine, source_name: str, record_id: int, changes: dict, login: str,
            scope_check: ScopeCheck, known: Known | Iterable[str],
            expected_version: int | None = None, address: str | None = None,
            today: date | None = None) -> Result:
    """Changes to a record, validated on the whole record as :func:`submit` does; a new version
    with its history (before/after) and audit record. ``expected_version``: the version the
    form showed (a record changed meanwhile is not overwritten)."""
    login = str(login)[:AUDIT_FIELD_MAX]
    opened = _open(engine, source_name, record_id, expected_version, login, scope_check,
                   "correction", address)
    if isinstance(opened, Result):
        return opened
    source, table, row, before = opened
    cells, errors = _cells(source, changes)
    id_field = source.key[0]
    if id_field in cells and cells[id_field] != before[id_field]:
        errors[id_field] = FIXED_ID
    if errors:
        return _failed(errors)
    merged = {name: _as_text(value)[0] for name, value in before.items()} | cells
    clean, errors = check(source, merged, _known(known), today or clock.today())
    if errors or (errors := _consent_problem(engine, source, clean)):
        return _failed(errors)
    if clean == before:  # nothing to change
        return Result(True, row["id"], before[id_field], row["version"])
    if not scope_check(clean):
        _deny(engine, source, login, f"correction de {source.name} n° {record_id} : "
              + (_json(clean) or ""), address)
    return _commit_change(engine, source, table, row, clean, login, "correction", before,
                          clean, address)


def delete_reason_problem(reason) -> str | None:
    """Why ``reason`` cannot be a deletion's reason (French), or None."""
    if not isinstance(reason, str) or not reason.strip():
        return NO_REASON
    if len(reason) > REASON_MAX:
        return REASON_TOO_LONG
    return _as_text(reason)[1]


def delete(engine: Engine, source_name: str, record_id: int, login: str,
           scope_check: ScopeCheck, expected_version: int | None = None,
           address: str | None = None, reason: str | None = None) -> Result:
    """Marks the record deleted (it stays in the store, with its history; the next refresh
    withdraws it from the warehouse); never a physical delete. ``reason``: why (a user's
    deletion needs one, :data:`REASON` in its errors otherwise), in the audit record."""
    login = str(login)[:AUDIT_FIELD_MAX]
    if reason is not None:
        if (problem := delete_reason_problem(reason)) is not None:
            return _failed({REASON: problem})
        reason = reason.strip()
    opened = _open(engine, source_name, record_id, expected_version, login, scope_check,
                   "suppression", address)
    if isinstance(opened, Result):
        return opened
    source, table, row, before = opened
    return _commit_change(engine, source, table, row, {"deleted": True}, login, "suppression",
                          before, None, address, reason)


def history(engine: Engine, source_name: str, record_id: int) -> list[dict]:
    """Every version of the record, oldest first: version, at, login, action, before, after."""
    source, _table = _source(source_name)
    h = record_history
    with engine.connect() as con:
        rows = con.execute(select(h.c.version, h.c.at, h.c.login, h.c.action, h.c.before,
                                  h.c.after)
                           .where(h.c.source == source.name, h.c.record_id == record_id)
                           .order_by(h.c.id)).mappings().all()
    return [{**r, "before": json.loads(r["before"]) if r["before"] else None,
             "after": json.loads(r["after"]) if r["after"] else None} for r in rows]

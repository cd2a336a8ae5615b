"""Who receives an alert: the élus' contacts with opt-in in the targeted communes, and the
opt-out, honoured at once.

Contacts come from two places: the warehouse's ``elu_contacts`` (loaded from files, origin
« importé ») and the operational store's ``saisie_contacts`` (entered or changed through the
forms' door, ``etl.ops.records``, origin « saisie »). A store record overrides the warehouse's
row of the same ``id_contact`` — even before the next refresh publishes it — so an opt-out
recorded in the store counts at the next validation, and the messages still waiting for that
contact are cancelled in the same request (:func:`opt_out`).

Numbers are shown only to the roles with ``etl.roles.Capability.SEE_PHONE_NUMBERS``; the
others see them masked (:func:`mask`). An alert goes by SMS: a contact whose number cannot
receive one (a landline loaded before the rule refused them, ``etl.sources.phones.receives_sms``)
is never a recipient.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import duckdb
import pandas as pd
from sqlalchemy import Engine, insert, select, update

from etl.ops import consent, records
from etl.ops.records import ScopeCheck
from etl.ops.store import (
    AUDIT_DETAIL_MAX,
    AUDIT_FIELD_MAX,
    alert_outbox,
    audit,
    audit_log,
    record_tables,
    utcnow,
)
from etl.sources.contacts import CONTACTS
from etl.sources.phones import display, mask, normalise_phone, receives_sms
from etl.sources.validate import Known
from etl.warehouse.tables import ident

__all__ = ["RECIPIENT_COLUMNS", "normalise_phone", "mask", "display",
           "recipients", "opt_out", "cancel_pending", "contact"]

RECIPIENT_COLUMNS = ["id_contact", "code_commune", "fonction", "telephone", "origine"]
SAISIE, IMPORTE = "saisie", "importé"
OPTED_OUT = "désinscrit"
NOT_FOUND = "contact introuvable (ni saisi ni importé)"
CHUNK = 500

_CONTACT_FIELDS = [f.name for f in CONTACTS.fields]


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _warehouse_rows(con: duckdb.DuckDBPyConnection, communes: list[str]) -> pd.DataFrame:
    """The warehouse's contacts of ``communes`` (every field of the source there is)."""
    try:
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'elu_contacts'").fetchall()}
        columns = [c for c in _CONTACT_FIELDS if c in have]
        if not columns:
            return pd.DataFrame(columns=_CONTACT_FIELDS)
        names = ", ".join(ident(c) for c in columns)  # from the declaration, checked
        frame = con.execute(
            f"SELECT {names} FROM elu_contacts "  # noqa: S608 - declared names
            "WHERE list_contains(?::VARCHAR[], code_commune)", [communes]).df()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=_CONTACT_FIELDS)
    return frame.reindex(columns=_CONTACT_FIELDS)


def _store_rows(engine: Engine, communes: list[str], ids: list[str]) -> pd.DataFrame:
    """The store's contact records (deleted ones too) in ``communes`` or with one of ``ids``."""
    table = record_tables["contacts"]
    cols = [table.c[c] for c in _CONTACT_FIELDS] + [table.c.deleted]
    rows: dict[str, dict] = {}
    with engine.connect() as con:
        for chunk in _chunks(communes):
            for r in con.execute(select(*cols).where(table.c.code_commune.in_(chunk))).mappings():
                rows[r["id_contact"]] = dict(r)
        for chunk in _chunks(ids):
            for r in con.execute(select(*cols).where(table.c.id_contact.in_(chunk))).mappings():
                rows[r["id_contact"]] = dict(r)
    return pd.DataFrame(list(rows.values()), columns=[*_CONTACT_FIELDS, "deleted"])


def recipients(engine: Engine, con: duckdb.DuckDBPyConnection | None, communes: list[str]
               ) -> pd.DataFrame:
    """The contacts with opt-in in ``communes`` [id_contact, code_commune, fonction,
    telephone, origine], by commune, function and id: the store's records over the
    warehouse's rows of the same id (a record deleted in the store counts as no contact).
    One message per number: a number listed twice (an élu of two communes) is kept once; a
    number no SMS reaches (a landline) is left out. ``con``: the published warehouse (None:
    the store's contacts alone, for a caller without one)."""
    communes = sorted({str(c) for c in communes})
    if not communes:
        return pd.DataFrame(columns=RECIPIENT_COLUMNS)
    imported = (_warehouse_rows(con, communes) if con is not None
                else pd.DataFrame(columns=_CONTACT_FIELDS))
    entered = _store_rows(engine, communes, imported["id_contact"].dropna().astype(str).tolist())
    overridden = set(entered["id_contact"])
    imported = imported[~imported["id_contact"].isin(overridden)].assign(origine=IMPORTE)
    entered = entered[~entered["deleted"].astype(bool)
                      & entered["code_commune"].isin(communes)].assign(origine=SAISIE)
    frames = [f for f in (imported, entered.drop(columns=["deleted"])) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=RECIPIENT_COLUMNS)
    both = pd.concat(frames, ignore_index=True)
    both = both[both["opt_in"].fillna(False).astype(bool)]
    both["telephone"] = both["telephone"].map(normalise_phone)
    both = both[both["telephone"].map(receives_sms).astype(bool)]
    # a number that opted out never receives an alert, whatever its contact says (a file's
    # row, a record entered before the register had it): defence in depth
    stopped = consent.opted_out(engine, both["telephone"].dropna().tolist())
    both = both[~both["telephone"].isin(stopped)]
    both = both.sort_values(["code_commune", "fonction", "id_contact"], kind="stable")
    both = both.drop_duplicates("telephone", keep="first")
    return both[RECIPIENT_COLUMNS].reset_index(drop=True).astype(object)


def contact(engine: Engine, con: duckdb.DuckDBPyConnection | None, id_contact: str
            ) -> tuple[str, dict] | None:
    """(origin — « saisie » or « importé » —, the contact's values): the store's record first
    (with its bookkeeping columns: ``id``, ``version``…), else the warehouse's row (``con``;
    None: not looked up). ``(None, {})`` for a contact deleted in the store; None when there
    is no such contact."""
    table = record_tables["contacts"]
    with engine.connect() as c:
        row = c.execute(select(table).where(table.c.id_contact == str(id_contact))
                        ).mappings().first()
    if row is not None:
        return (None, {}) if row["deleted"] else (SAISIE, dict(row))  # type: ignore
    if con is None:
        return None
    try:
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = "
            "'elu_contacts'").fetchall()}
        columns = [c for c in _CONTACT_FIELDS if c in have]
        names = ", ".join(ident(c) for c in columns)  # from the declaration, checked
        found = con.execute(f"SELECT {names} FROM elu_contacts "  # noqa: S608
                            "WHERE id_contact = ?", [str(id_contact)]).fetchall()
    except duckdb.CatalogException:
        return None
    if not found:
        return None
    return IMPORTE, dict(zip(columns, found[0], strict=True))


def _adoption_key(id_contact: str) -> str:
    """The idempotency key of the store record that adopts an imported contact: the same for
    every opt-out of that contact (a double click adopts it once)."""
    return "desinscription-" + hashlib.sha256(id_contact.encode("utf-8")).hexdigest()[:40]


def cancel_pending(engine: Engine, id_contact: str, login: str | None = None,
                   address: str | None = None, reason: str = OPTED_OUT) -> int:
    """Every message still waiting for ``id_contact`` (``pending``, or ``sending``: a worker's
    claim, checked again just before it sends) cancelled with ``reason``; audited. The number
    cancelled."""
    now = utcnow()
    o = alert_outbox
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin():
            keys = [r[0] for r in con.execute(select(o.c.key).where(
                o.c.id_contact == str(id_contact), o.c.state.in_(("pending", "sending"))))]
            if not keys:
                return 0
            n = con.execute(update(o).where(
                o.c.id_contact == str(id_contact), o.c.state.in_(("pending", "sending")))
                .values(state="cancelled", reason=reason, updated_at=now)).rowcount
            detail = (f"{id_contact} : {n} message(s) en attente annulé(s) ({reason}) : "
                      + ", ".join(keys))
            con.execute(insert(audit_log).values(
                at=now, login=None if login is None else str(login)[:AUDIT_FIELD_MAX],
                action="alerte_envoi_annule", detail=detail[:AUDIT_DETAIL_MAX],
                address=None if address is None else str(address)[:AUDIT_FIELD_MAX]))
    return n


def _cell(value):
    """A value read from the warehouse as a form value (records' input)."""
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def opt_out(engine: Engine, id_contact: str, login: str, scope_check: ScopeCheck,
            known: Known | Iterable[str], address: str | None = None,
            con: duckdb.DuckDBPyConnection | None = None, today=None) -> records.Result:
    """The contact no longer receives alerts, at once: its number recorded in the opt-outs'
    register (``etl.ops.consent``: kept when the contact is deleted or entered again), its
    opt-in set to false through the forms' door (``records.correct`` of its store record, or
    ``records.submit`` of a record adopting the imported contact with the same id and values),
    then, in the same request, every message still waiting for it, or for its number under
    another contact, cancelled (« désinscrit », audited).

    ``con``: the published warehouse, where an imported contact is read (None: the settings'
    published warehouse is opened). ``scope_check`` as for every record (a contact outside
    the caller's communes raises PermissionError, audited)."""
    id_contact = str(id_contact)
    found = contact(engine, con, id_contact)
    if found is None and con is None:
        found = _from_published(engine, id_contact)
    if found is None or found[0] is None:
        return records.Result(False, errors={"*": NOT_FOUND})
    origin, values = found
    if not scope_check({k: _cell(values.get(k)) for k in _CONTACT_FIELDS}):
        audit(engine, "acces_refuse", login,
              f"saisie_contacts hors périmètre : désinscription de {id_contact}", address)
        raise PermissionError(records.DENIED)
    phone = normalise_phone(values.get("telephone"))
    if phone is not None:  # remembered first, whatever happens to the contact
        consent.record_opt_out(engine, phone, login, f"« Désinscrire » du contact {id_contact}",
                               address)
    if origin == SAISIE:
        result = records.correct(engine, "contacts", int(values["id"]), {"opt_in": False},
                                 login, scope_check, known, address=address, today=today)
    else:
        form = {k: _cell(values.get(k)) for k in _CONTACT_FIELDS if k in values}
        form["opt_in"] = False
        result = records.submit(engine, "contacts", form, login, scope_check,
                                _adoption_key(id_contact), known, address=address, today=today)
        if not result.ok and (again := contact(engine, None, id_contact)) and again[0]:
            # adopted meanwhile by another user's opt-out: correct that record
            result = records.correct(engine, "contacts", int(again[1]["id"]),
                                     {"opt_in": False}, login, scope_check, known,
                                     address=address, today=today)
    if result.ok:
        cancel_pending(engine, id_contact, login, address)
    if phone is not None:  # the same number under another contact (entered twice)
        consent.cancel_number(engine, phone, login, address)
    return result


def _from_published(engine: Engine, id_contact: str):
    from etl.settings import get_settings
    from etl.warehouse import parts

    try:
        with parts.connect(get_settings().warehouse_path) as con:
            return contact(engine, con, id_contact)
    except FileNotFoundError:
        return contact(engine, None, id_contact)

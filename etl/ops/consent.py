"""Consent that holds: the numbers whose élu opted out, remembered apart from the contacts.

« Désinscrire » (:func:`etl.alerts.contacts.opt_out`) records the contact's number here
(:func:`record_opt_out`), by its keyed hash only (HMAC-SHA256, :func:`phone_hash`): deleting
the contact, or entering it again as a new one, changes nothing. From then on:

- a contact with opt-in « oui » and that number is refused by the forms' door
  (``etl.ops.records``, :func:`refusal`: « Ce numéro a demandé à ne plus recevoir d'alertes
  (désinscription du JJ/MM/AAAA) »); with opt-in « non » it may be stored;
- the recipients of an alert never include it, whatever the contacts say (imported files too:
  :func:`opted_out`, read by ``etl.alerts.contacts.recipients``), and the messages still
  waiting for the number are cancelled with the opt-out;
- only an administrator lifts it (:func:`lift`), with a written reason (the élu's written
  request). The élu's own channel, a reply « STOP » (or its reverse) read from the gateway's
  inbound messages, is not built: the gateways (``etl.alerts.gateway``) read delivery reports
  only. :func:`record_opt_out` is what such a channel would call.

Every change is audited with who and why (``consentement_retire``, ``consentement_retabli``),
the number masked.

The hash's key is made by the store on first need and kept in it (``store_keys``), so that
the register never depends on a file that could be lost or rotated (the session signing key):
a backup of the store keeps both. The hash keeps numbers out of sight in the register (a
deleted contact's number is not kept in clear); it does not hide them from someone who reads
the whole store, key included (French mobile numbers are few enough to try them all).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from etl import clock
from etl.ops.store import (
    AUDIT_DETAIL_MAX,
    AUDIT_FIELD_MAX,
    alert_opt_outs,
    alert_outbox,
    audit_log,
    store_keys,
    utcnow,
)
from etl.sources.phones import mask, normalise_phone

KEY_NAME = "consent_hmac"
REASON_MIN, REASON_MAX = 10, 500
NO_REASON = (f"motif manquant ou trop court ({REASON_MIN} caractères au moins) : indiquez la "
             "demande écrite de l'élu")
REASON_TOO_LONG = f"motif trop long ({REASON_MAX} caractères au plus)"
BAD_NUMBER = "numéro de téléphone invalide (format français attendu)"
NOT_ADMIN = "seul un administrateur peut rétablir l'accord d'un élu désinscrit"
NOT_OPTED_OUT = "ce numéro n'est pas désinscrit"
#: the reason of a message cancelled because its number opted out
NUMBER_OPTED_OUT = "numéro désinscrit"

_keys: dict[str, bytes] = {}


def _key(engine: Engine) -> bytes:
    """The store's HMAC key, made once (concurrent makers: the first insert wins)."""
    cached = _keys.get(str(engine.url))
    if cached is not None:
        return cached
    with engine.connect() as con:
        value = con.execute(select(store_keys.c.value).where(
            store_keys.c.name == KEY_NAME)).scalar()
    if value is None:
        try:
            with engine.begin() as con:
                con.execute(insert(store_keys).values(
                    name=KEY_NAME, value=secrets.token_hex(32), created_at=utcnow()))
        except IntegrityError:
            pass  # made meanwhile by another process
        with engine.connect() as con:
            value = con.execute(select(store_keys.c.value).where(
                store_keys.c.name == KEY_NAME)).scalar_one()
    _keys[str(engine.url)] = key = bytes.fromhex(value)
    return key


def phone_hash(engine: Engine, phone: str) -> str | None:
    """The keyed hash of a number (any French writing; E.164 first), or None if unreadable."""
    e164 = normalise_phone(phone) if isinstance(phone, str) else None
    if e164 is None:
        return None
    return hmac.new(_key(engine), e164.encode("ascii"), hashlib.sha256).hexdigest()


def opted_out(engine: Engine, phones: Iterable[str]) -> dict[str, datetime]:
    """The numbers of ``phones`` (as given) whose opt-out holds → its time (UTC)."""
    hashes: dict[str, list[str]] = {}
    for phone in {p for p in phones if isinstance(p, str)}:
        if (h := phone_hash(engine, phone)) is not None:
            hashes.setdefault(h, []).append(phone)
    found: dict[str, datetime] = {}
    if not hashes:
        return found
    o = alert_opt_outs
    keys = sorted(hashes)
    with engine.connect() as con:
        for i in range(0, len(keys), 500):
            for h, at in con.execute(select(o.c.phone_hash, o.c.opted_out_at).where(
                    o.c.phone_hash.in_(keys[i:i + 500]), o.c.active.is_(True))):
                for phone in hashes[h]:
                    found[phone] = at
    return found


def local_date(at: datetime) -> str:
    """A UTC time of the store as the day in France (JJ/MM/AAAA)."""
    return at.replace(tzinfo=UTC).astimezone(clock.LOCAL_TZ).strftime("%d/%m/%Y")


def refusal(engine: Engine, phone: str) -> str | None:
    """Why a contact with opt-in cannot have this number (French), or None."""
    at = opted_out(engine, [phone]).get(phone)
    if at is None:
        return None
    return (f"Ce numéro a demandé à ne plus recevoir d'alertes (désinscription du "
            f"{local_date(at)}) : seul un administrateur peut rétablir son accord, sur demande "
            "écrite de l'élu")


def _audit(con, now: datetime, action: str, login: str, detail: str,
           address: str | None) -> None:
    con.execute(insert(audit_log).values(
        at=now, login=str(login)[:AUDIT_FIELD_MAX], action=action,
        detail=detail[:AUDIT_DETAIL_MAX],
        address=None if address is None else str(address)[:AUDIT_FIELD_MAX]))


def record_opt_out(engine: Engine, phone: str, login: str, reason: str,
                   address: str | None = None) -> None:
    """The number opted out from now on (again, if it had been lifted), audited with who and
    why. The messages still waiting for it: :func:`cancel_number`."""
    h = phone_hash(engine, phone)
    if h is None:
        raise ValueError(BAD_NUMBER)
    now = utcnow()
    o = alert_opt_outs
    values = {"active": True, "opted_out_at": now, "opted_out_by": str(login)[:AUDIT_FIELD_MAX],
              "lifted_at": None, "lifted_by": None, "reason": str(reason)[:REASON_MAX],
              "updated_at": now}
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin():
            if not con.execute(update(o).where(o.c.phone_hash == h).values(values)).rowcount:
                con.execute(insert(o).values(phone_hash=h, **values))
            _audit(con, now, "consentement_retire", login,
                   f"{mask(normalise_phone(phone))} : désinscrit ({reason})", address)


def cancel_number(engine: Engine, phone: str, login: str, address: str | None = None) -> int:
    """Every message still waiting for the number (``pending``, or ``sending``: checked again
    before it leaves), whichever contact it was written for, cancelled; audited when there
    was one. The number cancelled."""
    e164 = normalise_phone(phone)
    if e164 is None:
        return 0
    now = utcnow()
    out = alert_outbox
    waiting = (out.c.telephone == e164, out.c.state.in_(("pending", "sending")))
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin():
            keys = [r[0] for r in con.execute(select(out.c.key).where(*waiting))]
            if not keys:
                return 0
            n = con.execute(update(out).where(*waiting).values(
                state="cancelled", reason=NUMBER_OPTED_OUT, updated_at=now)).rowcount
            _audit(con, now, "alerte_envoi_annule", login,
                   f"{mask(e164)} : {n} message(s) en attente annulé(s) ({NUMBER_OPTED_OUT}) : "
                   + ", ".join(keys), address)
    return n


def reason_problem(reason) -> str | None:
    """Why ``reason`` cannot be a lift's reason (French), or None."""
    if not isinstance(reason, str) or len(reason.strip()) < REASON_MIN:
        return NO_REASON
    if len(reason) > REASON_MAX:
        return REASON_TOO_LONG
    if "\x00" in reason:
        return NO_REASON
    return None


def lift(engine: Engine, phone: str, login: str, role: str, reason: str,
         address: str | None = None) -> str | None:
    """An administrator lifts the number's opt-out on the élu's written request (``reason``):
    None when done (audited), else the French reason it is not (refusals by role audited)."""
    from etl import roles

    if not roles.can(role, roles.Capability.MANAGE_ACCOUNTS):
        with engine.begin() as con:
            _audit(con, utcnow(), "acces_refuse", login,
                   "levée d'une désinscription refusée : rôle " + str(role)[:20], address)
        return NOT_ADMIN
    if (problem := reason_problem(reason)) is not None:
        return problem
    h = phone_hash(engine, phone)
    if h is None:
        return BAD_NUMBER
    now = utcnow()
    o = alert_opt_outs
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin():
            done = con.execute(update(o).where(o.c.phone_hash == h, o.c.active.is_(True))
                               .values(active=False, lifted_at=now,
                                       lifted_by=str(login)[:AUDIT_FIELD_MAX],
                                       reason=reason.strip(), updated_at=now)).rowcount
            if not done:
                return NOT_OPTED_OUT
            _audit(con, now, "consentement_retabli", login,
                   f"{mask(normalise_phone(phone))} : désinscription levée ({reason.strip()})",
                   address)
    return None

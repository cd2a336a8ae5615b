"""An SMS alert's life in the operational store, with four eyes and an outbox.

1. :func:`create` — a brigade, a commandant or an administrator writes an alert for communes of
   his scope (the caller computes it from the session; a commune outside is refused, audited,
   PermissionError). Every alert starts ``a_valider``, whoever wrote it. The message is bounded
   (:data:`etl.alerts.encoding.MAX_PARTS` parts), the category one of the known ones, the facts
   dated and not in the future. Creations are limited per user and per département within a
   sliding hour (:class:`RateLimit`, ``PRESENCE_ALERTS_PER_*_HOUR``), counted in the same
   serialised transaction that stores the alert; an idempotency key per form display makes a
   resubmitted form return the first alert. An alert nobody would receive (no contact with
   opt-in and a mobile number in its communes) is refused, audited (``alerte_sans_destinataire``).
2. :func:`validate` — a commandant of the alert's département or an administrator, never its
   author: the recipients are computed then (contacts with opt-in in the communes,
   :func:`etl.alerts.contacts.recipients`) and one outbox row per recipient, with its unique key
   ``<id_alerte>:<id_contact>``, is written in the SAME transaction as the status change, before
   anything is sent. A second validation (a double click, two commandants at once) finds the
   status changed and writes nothing (``replayed``). If nobody would receive it any more (the
   élus opted out since its creation), the validation is refused with that reason, audited,
   and the alert waits (to be refused or cancelled). :func:`refuse` (with a reason) and
   :func:`cancel` (its author, before validation) close an alert that was never sent.
3. The worker (``etl.alerts.worker``) sends the outbox, follows the delivery reports and marks
   the alert ``envoyee`` once every message is final.

Every step writes an audit record whose detail begins with the alert's id (:func:`trail`).
Times: ``created_at``, ``validated_at`` and the outbox's are UTC (the store's clock);
``faits_le`` is the local time of the facts, as the user typed it (Europe/Paris).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pandas as pd
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from etl import clock, roles
from etl.alerts import contacts
from etl.alerts.encoding import MAX_PARTS, analyse
from etl.alerts.labels import NO_RECIPIENT_NOW, STATE_LABELS
from etl.alerts.tables import FINAL_STATES, STATES
from etl.ops.store import (
    AUDIT_DETAIL_MAX,
    AUDIT_FIELD_MAX,
    alert_outbox,
    alertes,
    audit,
    audit_log,
    utcnow,
)
from etl.roles import Capability
from etl.sources.alerts import ALERT_CATEGORIES
from etl.sources.validate import BIDI_CONTROLS, BIDI_REFUSED, DEP_RE, INSEE_RE

LOCAL_TZ = clock.LOCAL_TZ
# who may write an alert, and who may validate one: etl.roles (COMPOSE_ALERTS, VALIDATE_ALERTS)
MAX_COMMUNES = 2000
MAX_MESSAGE = 2 * MAX_PARTS * 160  # characters read at most (far beyond MAX_PARTS parts)
MAX_REASON = 500
KEY_MAX = 64
#: a date of facts this far ahead of the server's clock is still « now » (a browser's clock)
CLOCK_TOLERANCE = timedelta(minutes=5)

# --- French messages -------------------------------------------------------------------------
EMPTY_MESSAGE = "message vide : écrivez le texte de l'alerte"
ODD_MESSAGE = "texte illisible (caractère nul ou invalide)"
UNKNOWN_CATEGORY = "catégorie inconnue"
NO_COMMUNE = "aucune commune ciblée"
TOO_MANY_COMMUNES = f"trop de communes ciblées ({MAX_COMMUNES} au plus)"
BAD_COMMUNES = "liste de communes illisible"
NO_FACTS_DATE = "date et heure des faits manquantes"
BAD_FACTS_DATE = "date et heure des faits attendues (AAAA-MM-JJ HH:MM)"
FUTURE_FACTS = "date des faits dans le futur"
BAD_KEY = "formulaire expiré ou invalide : rechargez la page"
BAD_UNIT = "unité de l'auteur manquante"
BAD_DEPARTEMENT = "département de l'alerte inconnu"
NOT_FOUND = "alerte introuvable"
NO_REASON = "motif du refus obligatoire"
LONG_REASON = f"motif trop long ({MAX_REASON} caractères au plus)"
NO_RECIPIENT = ("aucun destinataire : aucun élu de ces communes n'a accepté les alertes SMS "
                "avec un numéro de mobile ; choisissez d'autres communes")
DENIED_SCOPE = ("Accès refusé : vous ne pouvez cibler que les communes de votre périmètre. "
                "La tentative est enregistrée.")
DENIED_ROLE = ("Accès refusé : votre rôle ne permet pas de rédiger d'alerte SMS. La tentative "
               "est enregistrée.")
DENIED_REVIEW = ("Accès refusé : seul un commandant du département de l'alerte ou un "
                 "administrateur peut la valider ou la refuser. La tentative est enregistrée.")
SELF_REVIEW = ("Accès refusé : vous ne pouvez pas valider votre propre alerte (principe des "
               "quatre yeux). La tentative est enregistrée.")
DENIED_CANCEL = ("Accès refusé : seul l'auteur d'une alerte peut l'annuler. La tentative est "
                 "enregistrée.")
ALREADY = {"validee": "alerte déjà validée", "envoyee": "alerte déjà envoyée",
           "refusee": "alerte déjà refusée", "annulee": "alerte annulée par son auteur"}

#: audit actions of an alert's trail → the step's French name
STEPS = {"alerte_creation": "création", "alerte_validation": "validation",
         "alerte_refus": "refus", "alerte_annulation": "annulation",
         "alerte_envoi_termine": "envoi terminé", "alerte_limite_atteinte": "limite atteinte",
         "alerte_sans_destinataire": "validation impossible", "acces_refuse": "accès refusé"}

#: one editable template per category, GSM-7 only (no ’ « » ê â ô œ …), one SMS each
TEMPLATES: dict[str, str] = {
    "cambriolages": "Gendarmerie : plusieurs cambriolages signalés ces derniers jours dans "
                    "votre secteur. Fermez portes et volets, signalez tout comportement "
                    "suspect au 17.",
    "vols": "Gendarmerie : vols de véhicules et de matériel signalés dans votre secteur. Ne "
            "laissez rien de visible dans les véhicules. Fait suspect : composez le 17.",
    "degradations": "Gendarmerie : dégradations de biens publics signalées dans votre "
                    "commune. Témoins ou faits suspects : composez le 17.",
    "depots_sauvages": "Gendarmerie : des déchets ont été abandonnés dans votre secteur. "
                       "Signalez lieux, véhicules et plaques observés au 17.",
    "rodeos": "Gendarmerie : rodéos motorisés signalés dans votre commune. Ne vous interposez "
              "pas ; notez lieu, heure et description, puis composez le 17.",
    "escroqueries": "Gendarmerie : escroqueries en cours (faux conseillers bancaires, faux "
                    "agents). Ne donnez jamais vos codes. En cas de doute : 17.",
    "demarchage_frauduleux": "Gendarmerie : démarchages frauduleux à domicile signalés (faux "
                             "techniciens). Exigez une carte professionnelle. Doute : 17.",
    "disparition": "Gendarmerie : personne disparue dans votre secteur. Description : ... "
                   "Toute information : composez le 17.",
    "autre": "Gendarmerie : ... Pour signaler un fait : composez le 17.",
}
assert set(TEMPLATES) == set(ALERT_CATEGORIES), "a category without its template"


@dataclass(frozen=True)
class RateLimit:
    """Most alerts created by one user, and sent (validated) for one département, within
    ``window``; ``brigade_share``: the percentage of the département's quota the brigades'
    alerts may use (the rest is kept for the commandants')."""

    per_user: int
    per_departement: int
    window: timedelta = timedelta(hours=1)
    brigade_share: int = 100

    @classmethod
    def from_settings(cls, settings) -> RateLimit:
        return cls(settings.alerts_per_user_hour, settings.alerts_per_departement_hour,
                   brigade_share=getattr(settings, "alerts_brigade_share", 100))

    @property
    def per_brigades(self) -> int:
        return self.per_departement * self.brigade_share // 100


#: the statuses of alerts sent: the département's quota counts these only
SENT = ("validee", "envoyee")


def uses_brigades_share(role_code: str | None) -> bool:
    """An author whose alerts need another's validation (a brigade) uses the brigades' share of
    the département's quota; those who validate (commandants, administrators) do not."""
    return (role_code in roles.ROLES and roles.can(role_code, Capability.COMPOSE_ALERTS)
            and not roles.can(role_code, Capability.VALIDATE_ALERTS))


@dataclass
class AlertResult:
    """``ok``: done (``id_alerte``, its ``statut``); ``replayed``: done before (the same form
    display, or the same validation), nothing written now; ``recipients``: the messages the
    validation put in the outbox. Otherwise ``errors``: field → French reason (``*``: the
    whole form)."""

    ok: bool
    id_alerte: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    replayed: bool = False
    statut: str | None = None
    recipients: int | None = None


def local_now() -> datetime:
    """Now, in France (naive), the clock of ``faits_le``."""
    return clock.now()


def to_local(utc: datetime | None) -> datetime | None:
    """A UTC time of the store in France's local time (naive)."""
    if utc is None:
        return None
    return utc.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def make_id(row_id: int, created_at: datetime) -> str:
    """« AL-<year>-S<6 digits> »: the S keeps it apart from the ids of imported files."""
    return f"AL-{created_at.year}-S{row_id:06d}"


# --- input -----------------------------------------------------------------------------------

def _clean_text(value) -> str | None:
    if not isinstance(value, str) or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                     "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y")


def _facts_time(value) -> tuple[datetime | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, NO_FACTS_DATE
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None) if value.tzinfo is None else (
            value.astimezone(LOCAL_TZ).replace(tzinfo=None))
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and len(value) <= 40:
        moment = None
        for fmt in _DATETIME_FORMATS:
            try:
                moment = datetime.strptime(value.strip(), fmt)
                break
            except ValueError:
                continue
        if moment is None:
            return None, BAD_FACTS_DATE
    else:
        return None, BAD_FACTS_DATE
    if moment.year < 2000:
        return None, BAD_FACTS_DATE
    now = local_now().replace(microsecond=0)
    if moment > now + CLOCK_TOLERANCE:
        return None, FUTURE_FACTS
    # a browser's clock a little ahead: the facts are « now » (never after the alert)
    return min(moment.replace(microsecond=0), now), None


def _communes(value) -> tuple[list[str] | None, str | None]:
    if isinstance(value, str):
        value = [c for c in value.split("|") if c.strip()]
    if not isinstance(value, list | tuple | set | frozenset):
        return None, BAD_COMMUNES
    if len(value) > MAX_COMMUNES:
        return None, TOO_MANY_COMMUNES
    codes = []
    for c in value:
        if not isinstance(c, str):
            return None, BAD_COMMUNES
        codes.append(c.strip())
    codes = list(dict.fromkeys(codes))
    if not codes:
        return None, NO_COMMUNE
    return codes, None


def check_message(message) -> tuple[str | None, str | None]:
    """(the message to send, or None and a French reason)."""
    text_ = _clean_text(message)
    if text_ is None:
        return None, (EMPTY_MESSAGE if message is None else ODD_MESSAGE)
    text_ = text_.strip()
    if not text_:
        return None, EMPTY_MESSAGE
    if BIDI_CONTROLS.search(text_):
        return None, BIDI_REFUSED
    if len(text_) > MAX_MESSAGE:
        return None, f"message trop long ({MAX_PARTS} SMS par destinataire au plus)"
    count = analyse(text_)
    if count.parts > MAX_PARTS:
        return None, (f"message trop long : {count.parts} SMS par destinataire "
                      f"({MAX_PARTS} au plus, {count.encoding})")
    return text_, None


def _shown(value, size: int = 300) -> str:
    text_ = repr(value)
    return text_ if len(text_) <= size else text_[:size] + "…"


def _audit_in(con, action: str, login: str | None, detail: str, address: str | None,
              at: datetime) -> None:
    """An audit record inside the caller's transaction."""
    con.execute(insert(audit_log).values(
        at=at, login=None if login is None else str(login)[:AUDIT_FIELD_MAX],
        action=action[:AUDIT_FIELD_MAX], detail=detail[:AUDIT_DETAIL_MAX],
        address=None if address is None else str(address)[:AUDIT_FIELD_MAX]))


# --- creation --------------------------------------------------------------------------------

def _by_key(con, key: str):
    return con.execute(select(alertes).where(alertes.c.idempotency_key == key)
                       ).mappings().first()


def _replay(row, login: str) -> AlertResult:
    if row["created_by"] != login:  # another user's form display: not theirs to learn
        return AlertResult(False, errors={"*": BAD_KEY})
    return AlertResult(True, row["id_alerte"], replayed=True, statut=row["statut"],
                       recipients=row["recipients"])


def _lock_keys(con, keys: list[str]) -> None:
    """PostgreSQL: the rate-limit counters serialised per key (SQLite: BEGIN IMMEDIATE)."""
    if con.dialect.name == "postgresql":
        for key in sorted(keys):
            con.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def _wait_text(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d}"


def _refusal(times: list[datetime], limit: int, limits: RateLimit, now: datetime,
             what: str) -> str | None:
    if len(times) < limit:
        return None
    free_at = (times[len(times) - limit] if limit else max(times, default=now)) + limits.window
    hours = limits.window.total_seconds() / 3600
    span = "une heure" if hours == 1 else f"{hours:g} h"
    return what.format(limit=limit, span=span) + (
        f" : réessayez dans {_wait_text((free_at - now).total_seconds())}")


def quota_refusal(con, *, departement: str, role: str, limits: RateLimit, now: datetime,
                  login: str | None = None) -> str | None:
    """The French refusal when one more alert of ``role`` sent for ``departement`` would pass
    its quota (alerts sent within the window: validated, not waiting nor closed unsent; a
    brigade's within the brigades' share), else None. ``login``: also the per-user limit on
    creations (every status: a flood of drafts is still one user's)."""
    since = now - limits.window
    if login is not None:
        times = [r[0] for r in con.execute(
            select(alertes.c.created_at).where(alertes.c.created_by == login,
                                               alertes.c.created_at > since)
            .order_by(alertes.c.created_at))]
        if refused := _refusal(times, limits.per_user, limits, now,
                               "trop d'alertes créées ({limit} en {span} au plus par "
                               "utilisateur)"):
            return refused
    sent = con.execute(
        select(alertes.c.validated_at, alertes.c.author_role)
        .where(alertes.c.departement == departement, alertes.c.statut.in_(SENT),
               alertes.c.validated_at > since)
        .order_by(alertes.c.validated_at)).fetchall()
    if uses_brigades_share(role) and limits.brigade_share < 100:
        times = [r[0] for r in sent if uses_brigades_share(r[1])]
        if refused := _refusal(times, limits.per_brigades, limits, now,
                               "trop d'alertes envoyées par les brigades ({limit} en {span} au "
                               f"plus, {limits.brigade_share} % du quota du département)"):
            return refused
    return _refusal([r[0] for r in sent], limits.per_departement, limits, now,
                    "trop d'alertes envoyées ({limit} en {span} au plus pour le département)")


def create(engine: Engine, *, login: str, role: str, departement: str, unite: str,
           categorie: str, message: str, communes: list[str], faits_le,
           allowed_communes: set[str] | Iterable[str], idempotency_key: str,
           address: str | None = None, limits: RateLimit,
           con: duckdb.DuckDBPyConnection | None = None) -> AlertResult:
    """A new alert ``a_valider`` (see the module's text). ``allowed_communes``: the communes
    the user may target (his scope). ``faits_le``: a datetime, a date or a text
    (AAAA-MM-JJ HH:MM, local time). ``con``: the published warehouse, where the imported
    contacts are read to count the recipients (None: the store's contacts alone); with none,
    the alert is refused (:data:`NO_RECIPIENT`, audited)."""
    login = str(login)[:AUDIT_FIELD_MAX]
    key = idempotency_key
    if not isinstance(key, str) or not 0 < len(key) <= KEY_MAX:
        return AlertResult(False, errors={"*": BAD_KEY})
    with engine.connect() as c:
        if (row := _by_key(c, key)) is not None:
            return _replay(row, login)
    if not roles.can(role, Capability.COMPOSE_ALERTS):
        audit(engine, "acces_refuse", login, f"création d'alerte SMS (rôle {role})", address)
        raise PermissionError(DENIED_ROLE)
    errors: dict[str, str] = {}
    codes, reason = _communes(communes)
    if reason:
        errors["communes"] = reason
    else:
        allowed = set(allowed_communes)
        outside = [c for c in codes if c not in allowed or not re.fullmatch(INSEE_RE, c)]
        if outside:
            audit(engine, "acces_refuse", login, "création d'alerte SMS hors périmètre : "
                  + ", ".join(_shown(c, 20) for c in outside[:50]), address)
            raise PermissionError(DENIED_SCOPE)
    text_, reason = check_message(message)
    if reason:
        errors["message"] = reason
    if categorie not in ALERT_CATEGORIES:
        errors["categorie"] = UNKNOWN_CATEGORY
    facts, reason = _facts_time(faits_le)
    if reason:
        errors["faits_le"] = reason
    if not isinstance(unite, str) or not unite.strip() or len(unite) > 32:
        errors["*"] = BAD_UNIT
    if not isinstance(departement, str) or not re.fullmatch(DEP_RE, departement):
        errors["*"] = BAD_DEPARTEMENT
    expected = 0
    if codes is not None and "communes" not in errors:
        expected = len(contacts.recipients(engine, con, codes))
        if expected == 0:
            errors["communes"] = NO_RECIPIENT
            audit(engine, "alerte_sans_destinataire", login,
                  f"création refusée ({_shown(departement, 10)}) : aucun destinataire dans "
                  f"{len(codes)} commune(s) : " + ", ".join(codes[:50]), address)
    if errors:
        return AlertResult(False, errors=errors)
    count = analyse(text_)
    now = utcnow()
    refusal = None
    try:
        with engine.connect() as c:
            c = c.execution_options(sqlite_immediate=True)
            with c.begin():
                _lock_keys(c, [f"alerte:login:{login}", f"alerte:dep:{departement}"])
                if (row := _by_key(c, key)) is not None:  # a twin submission won
                    return _replay(row, login)
                refusal = quota_refusal(c, login=login, role=role, departement=departement,
                                        limits=limits, now=now)
                if refusal is None:
                    row_id = int(c.execute(insert(alertes).values(
                        id_alerte="~" + key[:KEY_MAX - 1], version=1, created_at=now,
                        created_by=login, author_role=role, unite_auteur=unite.strip(),
                        departement=departement, categorie=categorie, message=text_,
                        communes="|".join(codes), faits_le=facts, encoding=count.encoding,
                        parts=count.parts, recipients=expected, statut="a_valider",
                        updated_at=now, idempotency_key=key)).inserted_primary_key[0])
                    ident = make_id(row_id, now)
                    c.execute(update(alertes).where(alertes.c.id == row_id)
                              .values(id_alerte=ident))
                    _audit_in(c, "alerte_creation", login,
                              f"{ident} : {categorie}, {len(codes)} commune(s), "
                              f"{count.parts} SMS {count.encoding} par destinataire, "
                              f"{expected} destinataire(s) prévus ; {role} {unite} ; "
                              f"message : {text_}", address, now)
    except IntegrityError:  # PostgreSQL: a twin submission committed first
        with engine.connect() as c:
            if (row := _by_key(c, key)) is not None:
                return _replay(row, login)
        raise
    if refusal is not None:
        audit(engine, "alerte_limite_atteinte", login, f"création refusée ({departement}) : "
              f"{refusal}", address)
        return AlertResult(False, errors={"*": refusal})
    return AlertResult(True, ident, statut="a_valider", recipients=expected)


# --- review ----------------------------------------------------------------------------------

def get(engine: Engine, id_alerte: str) -> dict | None:
    """The alert's row (``communes_liste``: its communes as a list), or None."""
    if not isinstance(id_alerte, str) or len(id_alerte) > 64:
        return None
    with engine.connect() as con:
        row = con.execute(select(alertes).where(alertes.c.id_alerte == id_alerte)
                          ).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["communes_liste"] = [c for c in (row["communes"] or "").split("|") if c]
    return out


def _deny(engine: Engine, login: str, detail: str, address: str | None, message: str):
    audit(engine, "acces_refuse", login, detail, address)
    raise PermissionError(message)


def _authorise_review(engine: Engine, row: dict, login: str, role: str,
                      departement: str | None, address: str | None, what: str) -> None:
    ident = row["id_alerte"]
    if login == row["created_by"]:
        _deny(engine, login, f"{ident} : {what} de sa propre alerte refusée (quatre yeux)",
              address, SELF_REVIEW)
    if roles.may_review_alert(roles.Holder(role, departement), row["departement"]):
        return
    _deny(engine, login, f"{ident} : {what} refusée ({role}, département "
          f"{departement or '-'} ; alerte du {row['departement']})", address, DENIED_REVIEW)


def _closed(row: dict, done_ok: tuple[str, ...]) -> AlertResult | None:
    """The answer when the alert is no longer ``a_valider``: a replay if it reached one of
    ``done_ok``, else an error."""
    statut = row["statut"]
    if statut == "a_valider":
        return None
    if statut in done_ok:
        return AlertResult(True, row["id_alerte"], replayed=True, statut=statut,
                           recipients=row["recipients"])
    return AlertResult(False, row["id_alerte"], errors={"*": ALREADY[statut]}, statut=statut)


def _outbox_rows(ident: str, message: str, parts: int, frame: pd.DataFrame,
                 now: datetime) -> list[dict]:
    return [{"key": f"{ident}:{r.id_contact}", "id_alerte": ident,
             "id_contact": str(r.id_contact), "code_commune": r.code_commune,
             "fonction": r.fonction, "telephone": r.telephone, "message": message,
             "parts": parts, "state": "pending", "attempts": 0, "next_attempt_at": now,
             "created_at": now, "updated_at": now}
            for r in frame.itertuples(index=False)]


def validate(engine: Engine, con: duckdb.DuckDBPyConnection, id_alerte: str, *, login: str,
             role: str, departement: str | None, address: str | None = None,
             limits: RateLimit | None = None) -> AlertResult:
    """Validate the alert (four eyes, see the module's text): its outbox written with the
    status, in one transaction, before any sending. ``con``: the published warehouse (the
    imported contacts). ``limits``: the département's quota of alerts sent (its author's
    share), refused when used (audited)."""
    login = str(login)[:AUDIT_FIELD_MAX]
    row = get(engine, id_alerte)
    if row is None:
        return AlertResult(False, errors={"*": NOT_FOUND})
    _authorise_review(engine, row, login, role, departement, address, "validation")
    if (closed := _closed(row, ("validee", "envoyee"))) is not None:
        return closed
    frame = contacts.recipients(engine, con, row["communes_liste"])
    now = utcnow()
    ident = row["id_alerte"]
    if frame.empty:  # the élus opted out since it was written: nothing to send, say so
        audit(engine, "alerte_sans_destinataire", login, f"{ident} : validation refusée : "
              f"aucun destinataire dans ses {len(row['communes_liste'])} commune(s)", address)
        return AlertResult(False, ident, errors={"*": NO_RECIPIENT_NOW}, statut=row["statut"],
                           recipients=0)
    refusal = None
    try:
        with engine.connect() as c:
            c = c.execution_options(sqlite_immediate=True)
            with c.begin() as tx:
                if limits is not None:
                    _lock_keys(c, [f"alerte:dep:{row['departement']}"])
                    refusal = quota_refusal(c, departement=row["departement"],
                                            role=row["author_role"], limits=limits, now=now)
                    if refusal is not None:
                        tx.rollback()
                        raise _QuotaUsed
                changed = c.execute(update(alertes).where(
                    alertes.c.id == row["id"], alertes.c.statut == "a_valider").values(
                    statut="validee", validated_by=login, validated_at=now,
                    recipients=len(frame), version=alertes.c.version + 1,
                    updated_at=now)).rowcount
                if changed != 1:  # validated (or closed) meanwhile
                    tx.rollback()
                    return _closed(get(engine, ident), ("validee", "envoyee"))  # type: ignore
                rows = _outbox_rows(ident, row["message"], row["parts"], frame, now)
                for i in range(0, len(rows), 1000):
                    c.execute(insert(alert_outbox), rows[i:i + 1000])
                _audit_in(c, "alerte_validation", login,
                          f"{ident} : validée ; {len(rows)} message(s) en file d'envoi "
                          f"({row['parts']} SMS chacun)", address, now)
    except IntegrityError:  # PostgreSQL: a twin validation committed first
        return _closed(get(engine, ident), ("validee", "envoyee"))  # type: ignore
    except _QuotaUsed:
        audit(engine, "alerte_limite_atteinte", login, f"{ident} : validation refusée "
              f"({row['departement']}) : {refusal}", address)
        return AlertResult(False, ident, errors={"*": refusal or ""}, statut=row["statut"])
    return AlertResult(True, ident, statut="validee", recipients=len(frame))


class _QuotaUsed(Exception):
    """The département's quota is used: the validation's transaction is rolled back."""


def refuse(engine: Engine, id_alerte: str, *, login: str, role: str, departement: str | None,
           reason: str, address: str | None = None) -> AlertResult:
    """Refuse the alert (same reviewers as :func:`validate`), with its French ``reason``."""
    login = str(login)[:AUDIT_FIELD_MAX]
    row = get(engine, id_alerte)
    if row is None:
        return AlertResult(False, errors={"*": NOT_FOUND})
    _authorise_review(engine, row, login, role, departement, address, "refus")
    why = _clean_text(reason)
    why = why.strip() if why else ""
    if not why:
        return AlertResult(False, row["id_alerte"], errors={"reason": NO_REASON})
    if len(why) > MAX_REASON:
        return AlertResult(False, row["id_alerte"], errors={"reason": LONG_REASON})
    if (closed := _closed(row, ("refusee",))) is not None:
        return closed
    return _close(engine, row, login, address, "refusee", "alerte_refus",
                  f"refusée : {why}", refused_reason=why, validated_by=login)


def cancel(engine: Engine, id_alerte: str, *, login: str, address: str | None = None
           ) -> AlertResult:
    """Its author withdraws an alert not yet validated."""
    login = str(login)[:AUDIT_FIELD_MAX]
    row = get(engine, id_alerte)
    if row is None:
        return AlertResult(False, errors={"*": NOT_FOUND})
    if login != row["created_by"]:
        _deny(engine, login, f"{row['id_alerte']} : annulation par un autre que l'auteur",
              address, DENIED_CANCEL)
    if (closed := _closed(row, ("annulee",))) is not None:
        return closed
    return _close(engine, row, login, address, "annulee", "alerte_annulation",
                  "annulée par son auteur")


def _close(engine: Engine, row: dict, login: str, address: str | None, statut: str,
           action: str, detail: str, **values) -> AlertResult:
    now = utcnow()
    ident = row["id_alerte"]
    with engine.connect() as c:
        c = c.execution_options(sqlite_immediate=True)
        with c.begin() as tx:
            changed = c.execute(update(alertes).where(
                alertes.c.id == row["id"], alertes.c.statut == "a_valider").values(
                statut=statut, version=alertes.c.version + 1, updated_at=now,
                **({"validated_at": now} if "validated_by" in values else {}),
                **values)).rowcount
            if changed != 1:
                tx.rollback()
                return _closed(get(engine, ident), (statut,))  # type: ignore[return-value]
            _audit_in(c, action, login, f"{ident} : {detail}", address, now)
    return AlertResult(True, ident, statut=statut)


# --- reads -----------------------------------------------------------------------------------

LIST_COLUMNS = ["id_alerte", "created_at", "created_by", "author_role", "unite_auteur",
                "departement", "categorie", "message", "communes", "faits_le", "encoding",
                "parts", "recipients", "statut", "validated_by", "validated_at",
                "refused_reason", "finished_at", "updated_at"]


def list_alerts(engine: Engine, *, departement: str | None = None, unite: str | None = None,
                statut: str | None = None, limit: int = 200) -> pd.DataFrame:
    """The alerts, newest first (at most ``limit``, 1 to 5000), filtered by département,
    author's unit and status."""
    limit = max(1, min(int(limit), 5000))
    query = select(*[alertes.c[c] for c in LIST_COLUMNS])
    if departement is not None:
        query = query.where(alertes.c.departement == departement)
    if unite is not None:
        query = query.where(alertes.c.unite_auteur == unite)
    if statut is not None:
        query = query.where(alertes.c.statut == statut)
    query = query.order_by(alertes.c.created_at.desc(), alertes.c.id.desc()).limit(limit)
    with engine.connect() as con:
        rows = con.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=LIST_COLUMNS)


def trail(engine: Engine, id_alerte: str) -> list[dict]:
    """The alert's audited steps, oldest first: at (UTC), login, action, step (French),
    detail — creation, refused attempts, validation or refusal, end of sending."""
    row = get(engine, id_alerte)
    if row is None:
        return []
    a = audit_log
    with engine.connect() as con:
        rows = con.execute(select(a.c.at, a.c.login, a.c.action, a.c.detail).where(
            a.c.at >= row["created_at"] - timedelta(seconds=1),
            a.c.action.in_(tuple(STEPS)),
            a.c.detail.like(row["id_alerte"] + " %")).order_by(a.c.id)).mappings().all()
    return [{**dict(r), "etape": STEPS.get(r["action"], r["action"])} for r in rows]


def progress(engine: Engine, id_alerte: str) -> dict:
    """Where the alert's messages are: ``total``; ``states`` (count per outbox state);
    ``pending`` (waiting or being sent), ``sent`` (accepted by the gateway, final or not),
    ``delivered``, ``failed``, ``cancelled``; ``failed_by_reason`` and ``dlr_states``
    (counts); ``done``: every message final; ``statut``: the alert's."""
    o = alert_outbox
    row = get(engine, id_alerte)
    with engine.connect() as con:
        by_state = dict(con.execute(select(o.c.state, func.count()).where(
            o.c.id_alerte == id_alerte).group_by(o.c.state)).all())
        sent = con.execute(select(func.count()).where(
            o.c.id_alerte == id_alerte, o.c.gateway_id.is_not(None))).scalar_one()
        reasons = dict(con.execute(select(o.c.reason, func.count()).where(
            o.c.id_alerte == id_alerte, o.c.state == "failed").group_by(o.c.reason)).all())
        dlr = dict(con.execute(select(o.c.dlr_state, func.count()).where(
            o.c.id_alerte == id_alerte, o.c.dlr_state.is_not(None))
            .group_by(o.c.dlr_state)).all())
    states = {s: int(by_state.get(s, 0)) for s in STATES}
    total = sum(states.values())
    final = sum(states[s] for s in FINAL_STATES)
    statut = row["statut"] if row else None
    return {"total": total, "states": states,
            "pending": states["pending"] + states["sending"], "sent": int(sent),
            "delivered": states["delivered"], "failed": states["failed"],
            "cancelled": states["cancelled"],
            "failed_by_reason": {str(k or "motif inconnu"): int(v) for k, v in reasons.items()},
            "dlr_states": {str(k): int(v) for k, v in dlr.items()},
            "done": row is not None and statut in ("validee", "envoyee") and final == total,
            "statut": statut}


DELIVERY_COLUMNS = ["id_contact", "code_commune", "fonction", "telephone", "state", "etat",
                    "dlr_state", "sent_at", "dlr_at", "attempts", "reason", "updated_at"]


def deliveries(engine: Engine, id_alerte: str, show_numbers: bool) -> pd.DataFrame:
    """One row per message of the alert (by commune, function, contact): its state (``etat``
    in French), delivery report, times (UTC), attempts and reason; numbers masked unless
    ``show_numbers`` (the roles with ``Capability.SEE_PHONE_NUMBERS``)."""
    o = alert_outbox
    with engine.connect() as con:
        rows = con.execute(select(
            o.c.id_contact, o.c.code_commune, o.c.fonction, o.c.telephone, o.c.state,
            o.c.dlr_state, o.c.sent_at, o.c.dlr_at, o.c.attempts, o.c.reason, o.c.updated_at)
            .where(o.c.id_alerte == id_alerte)
            .order_by(o.c.code_commune, o.c.fonction, o.c.id_contact)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[
        c for c in DELIVERY_COLUMNS if c != "etat"])
    frame["telephone"] = frame["telephone"].map(
        contacts.display if show_numbers else contacts.mask)
    frame["etat"] = frame["state"].map(STATE_LABELS)
    return frame[DELIVERY_COLUMNS]

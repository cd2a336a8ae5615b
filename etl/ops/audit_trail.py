"""The audit log as administrators read it: the French name of each action the code writes
(:data:`ACTION_LABELS`; an action without one is shown as written), and the refusals of
requests without a session, counted rather than written one record each (:func:`count_refusal`:
one ``refusal_counts`` row per minute, action, reason and client address, its count raised).

A flood of anonymous requests (no CSRF token, a sign-in form too large, a locked login) thus
adds at most one row per minute and address and kind, never one per request; rows older than
:data:`RETENTION` are purged as new ones come.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select, update

from etl.ops.store import AUDIT_FIELD_MAX, refusal_counts, utcnow

#: how long the counters are kept
RETENTION = timedelta(days=90)
REASON_MAX = 200

#: audit actions written across the code (``audit(...)`` and the trails of the forms, plans,
#: alerts and consent) → their French name
ACTION_LABELS: dict[str, str] = {
    "connexion": "Connexion",
    "connexion_refusee": "Connexion refusée",
    "connexion_verrouillee": "Connexion verrouillée (trop de tentatives)",
    "deconnexion": "Déconnexion",
    "session_expiree": "Session expirée",
    "session_fermee_limite": "Session fermée (trop de sessions ouvertes)",
    "sessions_revoquees": "Sessions révoquées",
    "compte_cree": "Compte créé",
    "compte_desactive": "Compte désactivé",
    "verrou_leve": "Verrou de connexion levé",
    "acces_refuse": "Accès refusé",
    "requete_invalide": "Requête invalide",
    "csrf_refuse": "Jeton de sécurité refusé",
    "recommandation_appliquee": "Plan de présence appliqué",
    "alerte_creation": "Alerte SMS rédigée",
    "alerte_validation": "Alerte SMS validée",
    "alerte_refus": "Alerte SMS refusée",
    "alerte_annulation": "Alerte SMS annulée",
    "alerte_envoi_termine": "Envoi d'alerte SMS terminé",
    "alerte_envoi_annule": "Envoi d'alerte SMS annulé",
    "alerte_limite_atteinte": "Limite d'alertes SMS atteinte",
    "alerte_sans_destinataire": "Alerte SMS sans destinataire",
    "consentement_retire": "Consentement retiré (désinscription)",
    "consentement_retabli": "Consentement rétabli",
}
#: the forms' trails (``etl.ops.records``): ``saisie_<source>[_correction|_suppression]``
FORM_LABELS = {"dcas": "consultation DCAS", "complaints": "plainte", "trainings": "formation",
               "immersions": "immersion", "diagnostics": "diagnostic",
               "contacts": "contact d'élu"}
FORM_VERBS = {"": "Saisie", "_correction": "Correction", "_suppression": "Suppression"}


def label(action: str) -> str:
    """The French name of ``action``, or ``action`` itself when it has none."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("saisie_"):
        rest = action.removeprefix("saisie_")
        for suffix in ("_correction", "_suppression"):
            if rest.endswith(suffix) and rest.removesuffix(suffix) in FORM_LABELS:
                return f"{FORM_VERBS[suffix]} : {FORM_LABELS[rest.removesuffix(suffix)]}"
        if rest in FORM_LABELS:
            return f"{FORM_VERBS['']} : {FORM_LABELS[rest]}"
    return action


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def count_refusal(engine: Engine, action: str, reason: str, address: str | None) -> None:
    """One more refusal of a request without a session: the count of its minute, ``action``,
    ``reason`` (a fixed text: never what the request carried) and client address raised, in
    one upsert (SQLite and PostgreSQL; elsewhere an update, else an insert)."""
    now = utcnow()
    key = {"minute": _minute(now), "action": action[:AUDIT_FIELD_MAX],
           "reason": reason[:REASON_MAX],
           "address": (address or "").replace("\x00", "\ufffd")[:AUDIT_FIELD_MAX]}
    table = refusal_counts
    with engine.begin() as con:
        con.execute(delete(table).where(table.c.minute < key["minute"] - RETENTION))
        if con.dialect.name in ("sqlite", "postgresql"):
            if con.dialect.name == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            else:
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            con.execute(dialect_insert(table).values(**key, count=1, last_at=now)
                        .on_conflict_do_update(
                            index_elements=list(key),
                            set_={"count": table.c["count"] + 1, "last_at": now}))
            return
        where = [table.c[name] == value for name, value in key.items()]
        if not con.execute(update(table).where(*where).values(
                count=table.c["count"] + 1, last_at=now)).rowcount:
            con.execute(insert(table).values(**key, count=1, last_at=now))


def counted(engine: Engine, action: str | None = None, since: datetime | None = None) -> int:
    """How many refusals were counted (of ``action`` only; from the minute of ``since``, UTC
    naive, on)."""
    table = refusal_counts
    where = ([table.c.action == action] if action is not None else []) + (
        [table.c.minute >= _minute(since)] if since is not None else [])
    with engine.connect() as con:
        return int(con.execute(select(func.coalesce(func.sum(table.c["count"]), 0))
                               .where(*where)).scalar_one())

"""The operational store's tables of the SMS alerts (revision 0006), declared on the store's
metadata by ``etl/ops/store.py`` (this module imports nothing of the store).

- ``alertes``: one row per alert, its text, area and four-eyes status (``a_valider`` →
  ``validee`` or ``refusee`` or ``annulee``; ``validee`` → ``envoyee`` once every message is
  final);
- ``alert_outbox``: one row per (alert, recipient), written with the validation, before any
  sending; its unique ``key`` (``<id_alerte>:<id_contact>``) is the message's client reference
  at the gateway, so that nothing is ever sent twice; the worker moves it
  ``pending`` → ``sending`` → ``sent`` → ``delivered`` / ``failed`` (or ``cancelled``: an
  opt-out);
- ``alert_dlr_quarantine``: delivery reports that match no message, or arrive out of time,
  with their French reason;
- ``alert_opt_outs`` and ``store_keys`` (revision 0007): the numbers that opted out, by keyed
  hash, and the key (``etl.ops.consent``).

A change here needs a new migration revision (``etl/ops/migrations/versions``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

#: alert statuses, and the outbox's states
STATUTS = ("a_valider", "validee", "refusee", "envoyee", "annulee")
STATES = ("pending", "sending", "sent", "delivered", "failed", "cancelled")
#: states a message no longer leaves
FINAL_STATES = ("delivered", "failed", "cancelled")
ID_MAX, KEY_MAX = 64, 140


def alerts_table(metadata: MetaData) -> Table:
    return Table(
        "alertes", metadata,
        Column("id", Integer, primary_key=True),
        Column("id_alerte", String(ID_MAX), nullable=False, unique=True),
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", String(64), nullable=False),
        Column("author_role", String(16), nullable=False),
        Column("unite_auteur", String(32), nullable=False),
        Column("departement", String(3), nullable=False),
        Column("categorie", String(32), nullable=False),
        Column("message", Text, nullable=False),
        Column("communes", Text, nullable=False),  # INSEE codes separated by |
        Column("faits_le", DateTime, nullable=False),
        Column("encoding", String(8), nullable=False),
        Column("parts", Integer, nullable=False),
        Column("recipients", Integer, nullable=False),  # at creation, then at validation
        Column("statut", String(16), nullable=False),
        Column("validated_by", String(64)),
        Column("validated_at", DateTime),
        Column("refused_reason", Text),
        Column("finished_at", DateTime),  # every message final (statut envoyee)
        Column("updated_at", DateTime, nullable=False),
        Column("idempotency_key", String(64), nullable=False, unique=True),
        Index("ix_alertes_departement_statut", "departement", "statut"),
        Index("ix_alertes_created_by", "created_by", "created_at"),
        Index("ix_alertes_updated_at", "updated_at"),
    )


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "alert_outbox", metadata,
        Column("id", Integer, primary_key=True),
        Column("key", String(KEY_MAX), nullable=False, unique=True),
        Column("id_alerte", String(ID_MAX), nullable=False),
        Column("id_contact", String(64), nullable=False),
        Column("code_commune", String(5)),
        Column("fonction", String(64)),
        Column("telephone", String(32), nullable=False),
        Column("message", Text, nullable=False),
        Column("parts", Integer, nullable=False),
        Column("state", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", DateTime, nullable=False),
        Column("claimed_at", DateTime),
        Column("claimed_by", String(64)),
        Column("gateway_id", String(64)),
        Column("sent_at", DateTime),  # accepted by the gateway
        Column("dlr_state", String(8)),
        Column("dlr_at", DateTime),
        Column("reason", Text),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Index("ix_alert_outbox_due", "state", "next_attempt_at"),
        Index("ix_alert_outbox_gateway_id", "gateway_id"),
        Index("ix_alert_outbox_alerte", "id_alerte", "state"),
        Index("ix_alert_outbox_contact", "id_contact", "state"),
        Index("ix_alert_outbox_updated_at", "updated_at"),
    )


def dlr_quarantine_table(metadata: MetaData) -> Table:
    return Table(
        "alert_dlr_quarantine", metadata,
        Column("id", Integer, primary_key=True),
        Column("received_at", DateTime, nullable=False),
        Column("gateway_id", String(64)),
        Column("client_ref", String(KEY_MAX)),
        Column("state", String(16)),
        Column("reported_at", DateTime),
        Column("reason", Text, nullable=False),
        Column("raw", Text),
        Index("ix_alert_dlr_quarantine_received_at", "received_at"),
    )


def build(metadata: MetaData) -> tuple[Table, Table, Table]:
    """(alertes, alert_outbox, alert_dlr_quarantine) declared on ``metadata``."""
    return alerts_table(metadata), outbox_table(metadata), dlr_quarantine_table(metadata)


#: the length of a number's keyed hash (HMAC-SHA256, hexadecimal)
HASH_LENGTH = 64


def opt_outs_table(metadata: MetaData) -> Table:
    """The numbers that opted out (revision 0007), by their keyed hash (never the number
    itself): one row per number ever opted out; ``active`` until an administrator lifts it on
    the élu's written request (``etl.ops.consent``). Independent of the contacts: deleting
    or re-creating a contact changes nothing here."""
    return Table(
        "alert_opt_outs", metadata,
        Column("id", Integer, primary_key=True),
        Column("phone_hash", String(HASH_LENGTH), nullable=False, unique=True),
        Column("active", Boolean, nullable=False),
        Column("opted_out_at", DateTime, nullable=False),  # the latest opt-out (UTC)
        Column("opted_out_by", String(64), nullable=False),
        Column("lifted_at", DateTime),
        Column("lifted_by", String(64)),
        Column("reason", Text),  # why the latest change
        Column("updated_at", DateTime, nullable=False),
    )


def store_keys_table(metadata: MetaData) -> Table:
    """Keys the store makes for itself on first need (revision 0007): ``consent_hmac``, the
    key of the opt-outs' hashes, kept with them (a backup of the store keeps both)."""
    return Table(
        "store_keys", metadata,
        Column("name", String(32), primary_key=True),
        Column("value", String(128), nullable=False),
        Column("created_at", DateTime, nullable=False),
    )


def consent_tables(metadata: MetaData) -> tuple[Table, Table]:
    """(alert_opt_outs, store_keys) declared on ``metadata``."""
    return opt_outs_table(metadata), store_keys_table(metadata)

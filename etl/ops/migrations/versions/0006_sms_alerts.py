"""SMS alerts: the élus' contacts as a form source, the alerts with their four-eyes status,
the outbox of their messages and the quarantined delivery reports.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

The tables are written out as ``etl/ops/record_tables.py`` (``saisie_contacts``, from the
contacts source's declaration at this revision) and ``etl/alerts/tables.py`` made them, never
imported: a revision does not change when the code does. New tables only: the rows already
there are kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: the tables this revision creates, in creation order
TABLES = ("saisie_contacts", "alertes", "alert_outbox", "alert_dlr_quarantine")
#: (index, table, columns)
INDEXES = (
    ("ix_alertes_departement_statut", "alertes", ["departement", "statut"]),
    ("ix_alertes_created_by", "alertes", ["created_by", "created_at"]),
    ("ix_alertes_updated_at", "alertes", ["updated_at"]),
    ("ix_alert_outbox_due", "alert_outbox", ["state", "next_attempt_at"]),
    ("ix_alert_outbox_gateway_id", "alert_outbox", ["gateway_id"]),
    ("ix_alert_outbox_alerte", "alert_outbox", ["id_alerte", "state"]),
    ("ix_alert_outbox_contact", "alert_outbox", ["id_contact", "state"]),
    ("ix_alert_outbox_updated_at", "alert_outbox", ["updated_at"]),
    ("ix_alert_dlr_quarantine_received_at", "alert_dlr_quarantine", ["received_at"]),
)


def upgrade() -> None:
    op.create_table(
        "saisie_contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("id_contact", sa.String(64), nullable=False, unique=True),
        sa.Column("code_commune", sa.String(5), nullable=False),
        sa.Column("fonction", sa.String(64), nullable=False),
        sa.Column("telephone", sa.Text, nullable=False),
        sa.Column("opt_in", sa.Boolean, nullable=False),
        sa.Column("date_opt_in", sa.Date),
        sa.Column("canal_opt_in", sa.String(64)),
    )
    op.create_table(
        "alertes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("id_alerte", sa.String(64), nullable=False, unique=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("author_role", sa.String(16), nullable=False),
        sa.Column("unite_auteur", sa.String(32), nullable=False),
        sa.Column("departement", sa.String(3), nullable=False),
        sa.Column("categorie", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("communes", sa.Text, nullable=False),
        sa.Column("faits_le", sa.DateTime, nullable=False),
        sa.Column("encoding", sa.String(8), nullable=False),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("statut", sa.String(16), nullable=False),
        sa.Column("validated_by", sa.String(64)),
        sa.Column("validated_at", sa.DateTime),
        sa.Column("refused_reason", sa.Text),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(140), nullable=False, unique=True),
        sa.Column("id_alerte", sa.String(64), nullable=False),
        sa.Column("id_contact", sa.String(64), nullable=False),
        sa.Column("code_commune", sa.String(5)),
        sa.Column("fonction", sa.String(64)),
        sa.Column("telephone", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("gateway_id", sa.String(64)),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("dlr_state", sa.String(8)),
        sa.Column("dlr_at", sa.DateTime),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "alert_dlr_quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("gateway_id", sa.String(64)),
        sa.Column("client_ref", sa.String(140)),
        sa.Column("state", sa.String(16)),
        sa.Column("reported_at", sa.DateTime),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    for name in reversed(TABLES):
        op.drop_table(name)

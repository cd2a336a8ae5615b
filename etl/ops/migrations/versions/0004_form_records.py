"""The input forms' records (one table per form source) and their history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

The tables are written out as the source declarations made them at this revision (see
``etl/ops/record_tables.py``), never imported: a revision does not change when the code does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: the tables this revision creates, in creation order
TABLES = ("saisie_dcas", "saisie_complaints", "saisie_trainings", "saisie_immersions",
          "saisie_diagnostics", "saisie_historique")


def upgrade() -> None:
    op.create_table(
        "saisie_dcas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("id_consultation", sa.String(64), nullable=False, unique=True),
        sa.Column("date_consultation", sa.Date, nullable=False),
        sa.Column("code_commune", sa.String(5), nullable=False),
        sa.Column("brigade_id", sa.String(32), nullable=False),
        sa.Column("fonction_elu", sa.String(64), nullable=False),
        sa.Column("canal", sa.String(64), nullable=False),
        sa.Column("attentes", sa.String(500), nullable=False),
        sa.Column("creneaux", sa.String(500)),
        sa.Column("priorite", sa.String(64), nullable=False),
        sa.Column("actions_suivi", sa.Text),
        sa.Column("statut", sa.String(64), nullable=False),
        sa.Column("date_suivi", sa.Date),
        sa.Column("satisfaction", sa.BigInteger),
    )
    op.create_table(
        "saisie_complaints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("id_plainte", sa.String(64), nullable=False, unique=True),
        sa.Column("date_faits", sa.Date, nullable=False),
        sa.Column("date_depot", sa.DateTime, nullable=False),
        sa.Column("lieu_depot", sa.String(64), nullable=False),
        sa.Column("code_commune", sa.String(5), nullable=False),
        sa.Column("brigade_id", sa.String(32), nullable=False),
        sa.Column("fonction_victime", sa.String(64), nullable=False),
        sa.Column("infraction", sa.String(64), nullable=False),
        sa.Column("statut", sa.String(64), nullable=False),
    )
    op.create_table(
        "saisie_trainings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("id_participation", sa.String(64), nullable=False, unique=True),
        sa.Column("id_session", sa.String(64), nullable=False),
        sa.Column("theme", sa.String(64), nullable=False),
        sa.Column("date_session", sa.Date, nullable=False),
        sa.Column("code_commune_session", sa.String(5), nullable=False),
        sa.Column("unite", sa.String(64), nullable=False),
        sa.Column("code_commune_participant", sa.String(5), nullable=False),
        sa.Column("fonction_participant", sa.String(64), nullable=False),
    )
    op.create_table(
        "saisie_immersions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("id_immersion", sa.String(64), nullable=False, unique=True),
        sa.Column("date_immersion", sa.Date, nullable=False),
        sa.Column("code_commune", sa.String(5), nullable=False),
        sa.Column("fonction_elu", sa.String(64), nullable=False),
        sa.Column("type_unite", sa.String(64), nullable=False),
        sa.Column("unite", sa.String(64), nullable=False),
        sa.Column("duree_heures", sa.Float),
        sa.Column("note", sa.BigInteger),
        sa.Column("commentaire", sa.Text),
    )
    op.create_table(
        "saisie_diagnostics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("id_diagnostic", sa.String(64), nullable=False, unique=True),
        sa.Column("date_diagnostic", sa.Date, nullable=False),
        sa.Column("code_commune", sa.String(5), nullable=False),
        sa.Column("q1_inventaire", sa.String(64), nullable=False),
        sa.Column("q2_mots_de_passe", sa.String(64), nullable=False),
        sa.Column("q3_mises_a_jour_sauvegardes", sa.String(64), nullable=False),
        sa.Column("q4_sensibilisation", sa.String(64), nullable=False),
        sa.Column("q5_antivirus", sa.String(64), nullable=False),
        sa.Column("q6_donnees_personnelles", sa.String(64), nullable=False),
        sa.Column("q7_teletravail", sa.String(64), nullable=False),
        sa.Column("q8_evaluation", sa.String(64), nullable=False),
        sa.Column("q9_prestataires", sa.String(64), nullable=False),
    )
    op.create_table(
        "saisie_historique",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
    )
    op.create_index("ix_saisie_historique_record", "saisie_historique", ["source", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_saisie_historique_record", table_name="saisie_historique")
    for name in reversed(TABLES):
        op.drop_table(name)

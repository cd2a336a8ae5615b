"""Immersions are scheduled, then done: the status of an immersion record.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

``saisie_immersions.statut`` (``planifiee`` or ``realisee``; empty: ``realisee``, as the records
stored before this revision are), nullable: the records already there keep every value.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("saisie_immersions", sa.Column("statut", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saisie_immersions") as batch:
        batch.drop_column("statut")

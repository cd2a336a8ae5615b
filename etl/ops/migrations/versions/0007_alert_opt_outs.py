"""Consent that holds: the numbers that opted out, by keyed hash, and the store's keys.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

The tables are written out as ``etl/alerts/tables.py`` made them at this revision, never
imported. New tables only: the rows already there are kept as they are. The opt-outs recorded
before this revision (contacts with opt-in false) are not carried over: the register starts
with the next « Désinscrire » (the contacts' opt-in false still stops their messages).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: the tables this revision creates, in creation order
TABLES = ("alert_opt_outs", "store_keys")


def upgrade() -> None:
    op.create_table(
        "alert_opt_outs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("phone_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("opted_out_at", sa.DateTime, nullable=False),
        sa.Column("opted_out_by", sa.String(64), nullable=False),
        sa.Column("lifted_at", sa.DateTime),
        sa.Column("lifted_by", sa.String(64)),
        sa.Column("reason", sa.Text),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "store_keys",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)

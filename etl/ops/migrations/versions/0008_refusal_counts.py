"""Anonymous refusals counted: one row per minute, action, reason and client address.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09

The table is written out as ``etl/ops/store.py`` made it at this revision, never imported. A
new table only: the audit records already written are kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: the tables this revision creates
TABLES = ("refusal_counts",)


def upgrade() -> None:
    op.create_table(
        "refusal_counts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("minute", sa.DateTime, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("minute", "action", "reason", "address",
                            name="uq_refusal_counts_key"),
    )
    op.create_index("ix_refusal_counts_minute", "refusal_counts", ["minute"])


def downgrade() -> None:
    op.drop_index("ix_refusal_counts_minute", table_name="refusal_counts")
    op.drop_table("refusal_counts")

"""The commanders' decisions on recommended patrol plans (« Appliquer »).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("brigade_id", sa.String(32), nullable=False),
        sa.Column("semaine", sa.String(8), nullable=False),
        sa.Column("run_id", sa.String(80), nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("total_hours", sa.Float, nullable=False),
    )
    op.create_index("ix_plan_decisions_brigade", "plan_decisions", ["brigade_id", "semaine"])


def downgrade() -> None:
    op.drop_index("ix_plan_decisions_brigade", table_name="plan_decisions")
    op.drop_table("plan_decisions")

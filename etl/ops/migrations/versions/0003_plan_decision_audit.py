"""The audit figures of an applied plan, stored with the decision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plan_decisions", sa.Column("audit", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_decisions") as batch:
        batch.drop_column("audit")

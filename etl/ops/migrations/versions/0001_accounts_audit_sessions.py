"""Accounts, audit log, sign-in sessions and sign-in attempts (the store before the plans).

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Each table is created only when absent: a store made before the migrations by an older
``metadata.create_all`` (the accounts and the audit log only) gets the tables it lacks, and
keeps its rows. The tables are written out here as they were, never imported from ``store.py``:
a revision does not change when the code does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("departement", sa.String(3)),
        sa.Column("brigade_id", sa.String(32)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("login", sa.String(64)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("address", sa.String(64)),
        if_not_exists=True,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("address", sa.String(64)),
        if_not_exists=True,
    )
    op.create_index("ix_sessions_login", "sessions", ["login"], if_not_exists=True)
    op.create_index("ix_sessions_created_at", "sessions", ["created_at"], if_not_exists=True)
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", sa.DateTime, nullable=False),
        if_not_exists=True,
    )
    op.create_index("ix_login_attempts_last_at", "login_attempts", ["last_at"],
                    if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_login_attempts_last_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("ix_sessions_created_at", table_name="sessions")
    op.drop_index("ix_sessions_login", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("audit_log")
    op.drop_table("users")

"""Migrations of the operational store (Alembic, ``etl/ops/migrations``): any store is brought to
the head revision, and an upgrade never loses data.

:func:`etl.ops.store.get_engine` upgrades a store on its first use in a process; the set-up runs
``python -m etl ops-upgrade`` (``make run``). A store made by ``metadata.create_all`` before the
migrations existed (our tables, no ``alembic_version``) is stamped at the revision its tables
match, then upgraded.

A new revision: change the tables in ``store.py``, then
``.venv/bin/alembic -c etl/ops/migrations/alembic.ini revision --autogenerate --rev-id 0003 -m
"..."`` against a store at the head, review the file (tables written out, never imported), and
keep ``tests/integration/test_ops_migrations.py`` green.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

MIGRATIONS = Path(__file__).with_name("migrations")
#: the tables each revision creates, oldest first (revision 1: the store as it was before the
#: migrations, without the plans)
REVISION_TABLES = (
    ("0001", ("users", "audit_log", "sessions", "login_attempts")),
    ("0002", ("plan_decisions",)),
)
#: PostgreSQL: one upgrade at a time (a transaction-scoped advisory lock; SQLite's is the write
#: lock that BEGIN IMMEDIATE takes)
_PG_LOCK = 0x70726573


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did: the revision found (None: none recorded), whether the store was made
    before the migrations (our tables, no version) and the revision it was stamped at (None:
    the oldest stores, which revision 1 completes), and the revision now."""

    before: str | None
    after: str | None
    legacy: bool = False
    stamped: str | None = None

    def line(self) -> str:
        """In French, for the command line."""
        if self.legacy:
            seen = f" (reconnue en révision {self.stamped})" if self.stamped else ""
            return (f"Base opérationnelle antérieure aux migrations reprise avec ses données"
                    f"{seen} : révision {self.after}.")
        if self.before == self.after:
            return f"Base opérationnelle à jour (révision {self.after})."
        if self.before is None:
            return f"Base opérationnelle créée (révision {self.after})."
        return f"Base opérationnelle mise à jour : révision {self.before} → {self.after}."


def alembic_config() -> Config:
    """The migrations' configuration, without an ini file."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def head() -> str:
    """The newest revision."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(engine: Engine) -> str | None:
    """The store's revision (None: no migration ever ran there)."""
    with engine.connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def legacy_revision(tables: set[str]) -> str | None:
    """For a store without a version holding ``tables``: the newest revision whose tables (and
    those of every revision before it) are all there; None for a new store, or for the oldest
    stores (accounts and audit only), whose missing tables revision 1 creates."""
    found = None
    for revision, created in REVISION_TABLES:
        if not tables.issuperset(created):
            break
        found = revision
    return found


def upgrade(engine: Engine, revision: str = "head") -> Upgrade:
    """Bring the store to ``revision`` in one transaction that first takes the store's write
    lock: processes starting together upgrade it once, and a failed upgrade leaves it as it
    was (SQLite and PostgreSQL run DDL inside transactions)."""
    cfg = alembic_config()
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin():
            if con.dialect.name == "postgresql":
                con.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            context = MigrationContext.configure(con)
            before = context.get_current_revision()
            legacy, stamped = False, None
            if before is None:
                ours = {t for _, created in REVISION_TABLES for t in created}
                tables = set(inspect(con).get_table_names())
                legacy = bool(tables & ours)
                if stamped := legacy_revision(tables):
                    context.stamp(ScriptDirectory.from_config(cfg), stamped)
            if (stamped or before) != head() or revision != "head":
                cfg.attributes["connection"] = con
                command.upgrade(cfg, revision)
            after = MigrationContext.configure(con).get_current_revision()
    return Upgrade(before, after, legacy, stamped)

"""Operational store tables and engine: every write is a transaction; SQLite runs in WAL mode."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
)

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("departement", String(3)),
    Column("brigade_id", String(32)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("login", String(64)),
    Column("action", String(64), nullable=False),
    Column("detail", Text),
    Column("address", String(64)),
)

_engines: dict[str, Engine] = {}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def get_engine(url: str) -> Engine:
    """One engine per URL per process, tables created on first use."""
    if url not in _engines:
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url)
        if eng.dialect.name == "sqlite":
            @event.listens_for(eng, "connect")
            def _sqlite_pragmas(dbapi_con, _record):  # WAL: readers never block the writer
                cur = dbapi_con.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=5000")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
        metadata.create_all(eng)
        _engines[url] = eng
    return _engines[url]


def audit(engine: Engine, action: str, login: str | None = None, detail: str = "",
          address: str | None = None) -> None:
    with engine.begin() as con:
        con.execute(insert(audit_log).values(at=utcnow(), login=login, action=action,
                                             detail=detail[:2000], address=address))

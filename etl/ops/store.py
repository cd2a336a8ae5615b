"""Operational store tables and engine: every write is a transaction; SQLite runs in WAL mode,
PostgreSQL (``postgresql+psycopg://...``) as it is.

Besides the accounts and the audit log, the store holds what every worker process of the
dashboard must share: the sign-in sessions (only a hash of each session id) and the failed
sign-in counters of the lockout (:func:`reserve_attempt`). SQL goes through SQLAlchemy Core and
stays PostgreSQL-compatible. The tables are created and changed by the migrations
(``etl/ops/migrate.py``, ``etl/ops/migrations/versions``): a change here needs a new revision.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError

from etl.alerts.tables import build as build_alert_tables
from etl.alerts.tables import consent_tables
from etl.ops.migrate import upgrade
from etl.ops.record_tables import build as build_record_tables

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

#: refusals of requests without a session (no CSRF token, a sign-in form too large, a locked
#: login...), counted rather than written one audit record each: one row per minute, action,
#: reason and client address, its count raised by each new one (``etl.ops.journal``, revision
#: 0008)
refusal_counts = Table(
    "refusal_counts", metadata,
    Column("id", Integer, primary_key=True),
    Column("minute", DateTime, nullable=False),
    Column("action", String(64), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("address", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_at", DateTime, nullable=False),
    UniqueConstraint("minute", "action", "reason", "address", name="uq_refusal_counts_key"),
    Index("ix_refusal_counts_minute", "minute"),
)

#: sign-in sessions: the browser's cookie carries a random id, the store only its SHA-256
sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("login", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("address", String(64)),
    Index("ix_sessions_login", "login"),
    Index("ix_sessions_created_at", "created_at"),
)

#: sign-in attempts under way or failed, per key ("login:<login>", "adresse:<address>"): one
#: row per key, its counter and the time of its last attempt (rows older than the lockout are
#: purged, so the table stays bounded)
login_attempts = Table(
    "login_attempts", metadata,
    Column("key", String(100), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_at", DateTime, nullable=False),
    Index("ix_login_attempts_last_at", "last_at"),
)

#: the commanders' decisions on recommended patrol plans (« Appliquer »): who, when, which run
#: and parameters, and the plan itself (JSON: commune × slot hours and visits); the next week's
#: current allocation of the brigade starts from its last applied plan
plan_decisions = Table(
    "plan_decisions", metadata,
    Column("id", Integer, primary_key=True),
    Column("decided_at", DateTime, nullable=False),
    Column("login", String(64), nullable=False),
    Column("brigade_id", String(32), nullable=False),
    Column("semaine", String(8), nullable=False),
    Column("run_id", String(80), nullable=False),
    Column("parameters", Text, nullable=False),
    Column("plan", Text, nullable=False),
    Column("total_hours", Float, nullable=False),
    Column("audit", Text),  # the plan's audit figures (JSON), from revision 0003
    Index("ix_plan_decisions_brigade", "brigade_id", "semaine"),
)

#: the input forms' records, one table per form source (``saisie_<source>``), and the history of
#: every record (``saisie_historique``): derived from the source declarations (revision 0004)
record_tables, record_history = build_record_tables(metadata)

#: the SMS alerts, their outbox and the quarantined delivery reports (revision 0006)
alertes, alert_outbox, alert_dlr_quarantine = build_alert_tables(metadata)

#: the numbers that opted out (keyed hashes) and the store's own keys (revision 0007)
alert_opt_outs, store_keys = consent_tables(metadata)

#: bounds of the audit log's fields (the columns' sizes; ``detail`` is text, kept short)
AUDIT_DETAIL_MAX, AUDIT_FIELD_MAX = 2000, 64

_engines: dict[str, Engine] = {}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def get_engine(url: str) -> Engine:
    """One engine per URL per process; on first use, the store is brought to the head revision
    of the migrations (created if new)."""
    if url not in _engines:
        eng = new_engine(url)
        upgrade(eng)
        _engines[url] = eng
    return _engines[url]


def _set_wal(cur, seconds: float = 10.0) -> None:
    """WAL mode (persistent in the file). On a new file opened by several processes at once
    the switch can fail at once with "database is locked" (SQLite does not always call the busy
    handler for it): try again until another process's switch is done or the time is up."""
    import sqlite3
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def new_engine(url: str) -> Engine:
    """An engine on the store as it is, not migrated (:func:`get_engine` is the one to use; this
    one is for the migrations' command and tests). SQLite: WAL mode, transactions begun by
    SQLAlchemy (DDL included), ``sqlite_immediate`` to take the write lock at once. Other
    databases (PostgreSQL) ignore ``sqlite_immediate``; a pooled connection is checked before
    use (a restarted server costs no failed request)."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    eng = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if eng.dialect.name == "sqlite":
        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_con, _record):  # WAL: readers never block the writer
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA busy_timeout=5000")  # first: switching to WAL may wait
            _set_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            # SQLAlchemy emits BEGIN itself (below) instead of the driver's implicit one, so
            # that a transaction may take the write lock at once (BEGIN IMMEDIATE)
            dbapi_con.isolation_level = None

        @event.listens_for(eng, "begin")
        def _sqlite_begin(con):
            immediate = con.get_execution_options().get("sqlite_immediate")
            con.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    return eng


def _storable(value: str) -> str:
    """``value`` without NUL characters (PostgreSQL stores none in a text: each becomes U+FFFD),
    for what a request may carry (a login, a path)."""
    return value.replace("\x00", "\ufffd")


def _bounded(value: str | None, size: int) -> str | None:
    return None if value is None else _storable(str(value)[:size])


def audit(engine: Engine, action: str, login: str | None = None, detail: str = "",
          address: str | None = None) -> None:
    """One audit record; every field is cut to its bound (a forged 600,000-character login is
    recorded as its first 64 characters), a NUL character shown as U+FFFD."""
    with engine.begin() as con:
        con.execute(insert(audit_log).values(
            at=utcnow(), login=_bounded(login, AUDIT_FIELD_MAX),
            action=_bounded(action, AUDIT_FIELD_MAX),
            detail=_bounded(detail or "", AUDIT_DETAIL_MAX),
            address=_bounded(address, AUDIT_FIELD_MAX)))


# --- sign-in lockout: count and check in one serialised step ----------------------------------

def _insert_missing(con, key: str, now: datetime) -> None:
    """The key's row, made if absent (concurrent makers: one wins, the others see it)."""
    if con.dialect.name in ("sqlite", "postgresql"):
        if con.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        con.execute(dialect_insert(login_attempts).values(key=key, failures=0, last_at=now)
                    .on_conflict_do_nothing(index_elements=["key"]))
        return
    try:
        with con.begin_nested():
            con.execute(insert(login_attempts).values(key=key, failures=0, last_at=now))
    except IntegrityError:
        pass


def reserve_attempt(engine: Engine, limits: dict[str, int], window: timedelta) -> bool:
    """Reserve one sign-in attempt under every key of ``limits`` (key → most attempts within
    ``window`` of the key's last one). True: the caller may check the password (and must call
    :func:`attempt_succeeded` if it was right); False: a key is locked, nothing was counted.

    Counting and checking are one conditional UPDATE per key inside one transaction that takes
    the write lock first (SQLite: BEGIN IMMEDIATE; PostgreSQL: the row locks of the UPDATE), so
    simultaneous attempts from any number of processes never check more passwords than the
    limit.
    """
    now = utcnow()
    limits = {_storable(key): limit for key, limit in limits.items()}
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin() as tx:
            # keys stale for longer than the window are forgotten: the table stays bounded
            con.execute(delete(login_attempts).where(login_attempts.c.last_at < now - window))
            for key in sorted(limits):  # one order everywhere: no deadlock on PostgreSQL
                _insert_missing(con, key, now)
                counted = con.execute(
                    update(login_attempts)
                    .where(login_attempts.c.key == key,
                           login_attempts.c.failures < limits[key])
                    .values(failures=login_attempts.c.failures + 1, last_at=now)).rowcount
                if counted != 1:
                    tx.rollback()
                    return False
    return True


def attempt_succeeded(engine: Engine, forget: list[str], refund: list[str]) -> None:
    """A right password: the keys of ``forget`` start again from zero, the keys of ``refund``
    give back the attempt just reserved."""
    forget, refund = [_storable(k) for k in forget], [_storable(k) for k in refund]
    with engine.begin() as con:
        if forget:
            con.execute(delete(login_attempts).where(login_attempts.c.key.in_(forget)))
        if refund:
            con.execute(update(login_attempts)
                        .where(login_attempts.c.key.in_(refund), login_attempts.c.failures > 0)
                        .values(failures=login_attempts.c.failures - 1))

"""The sign-in lockout (issue #21 item 4): a lockout that cannot be used to lock people out.

From an address a login has already signed in from (a *known* address, remembered
:data:`KNOWN_KEEP`), wrong passwords only slow that (login, address) pair down: :data:`FREE`
failures, then a wait that doubles from :data:`FIRST_WAIT` up to :data:`MAX_WAIT` before each
further attempt. An attacker elsewhere can therefore never lock a user out of his own office.
From any other address the hard limits hold: at most :data:`PER_LOGIN` password checks per login
and :data:`PER_ADDRESS` per address within :data:`WINDOW` of the last attempt, whatever the
number of simultaneous requests and processes. An administrator lifts a lock (:func:`unlock`,
``python -m dashboard users unlock``), audited.

Everything lives in the store's ``login_attempts`` table (no new table): one row per key, its
counter and the time of its last attempt. Keys: ``login:<login>`` and ``adresse:<address>``
(purged :data:`WINDOW` after their last attempt), ``paire:<h(login)>:<h(address)>`` (the pair's
growing delays, purged :data:`PAIR_KEEP` after) and ``connue:<h(login)>:<h(address)>`` (a known
address, its time the last sign-in from there), where ``h`` is a truncated SHA-256: the keys stay
within the column's 100 characters and the table names no address in clear beside a login.

Each reservation is one transaction that takes the write lock first (SQLite ``BEGIN
IMMEDIATE``; PostgreSQL row locks, keys in one order), counting before the password is checked.
The clock is :func:`etl.ops.store.utcnow` (tests replace it).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, delete, or_, select, update

from etl.ops import store
from etl.ops.store import _insert_missing, _storable, audit, login_attempts

#: hard limits from unknown addresses: attempts per login, per address, within WINDOW of the
#: key's last attempt
PER_LOGIN, PER_ADDRESS, WINDOW = 5, 20, timedelta(minutes=15)
#: from a known address: failures without a wait, then waits doubling from FIRST_WAIT to MAX_WAIT
FREE, FIRST_WAIT, MAX_WAIT = 3, timedelta(seconds=30), timedelta(minutes=15)
#: a pair's counter is forgotten this long after its last attempt; a known address this long
#: after the last sign-in from it
PAIR_KEEP, KNOWN_KEEP = timedelta(days=1), timedelta(days=90)

TOO_MANY = "Trop de tentatives : réessayez dans {n} minute{s}."


def _h(value: str) -> str:
    return hashlib.sha256(_storable(value).encode("utf-8")).hexdigest()[:24]


def login_key(login: str) -> str:
    return _storable(f"login:{login}")


def address_key(address: str | None) -> str:
    return _storable(f"adresse:{address or '-'}")[:100]


def pair_key(login: str, address: str | None) -> str:
    return f"paire:{_h(login)}:{_h(address or '-')}"


def known_key(login: str, address: str | None) -> str:
    return f"connue:{_h(login)}:{_h(address or '-')}"


def pair_wait(failures: int) -> timedelta:
    """The wait after the pair's last attempt before one more, once it has ``failures``."""
    if failures < FREE:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - FREE), MAX_WAIT)


def wait_message(wait: timedelta) -> str:
    """« Trop de tentatives : réessayez dans N minutes. » (N rounded up, 1 at least)."""
    n = max(1, math.ceil(wait.total_seconds() / 60))
    return TOO_MANY.format(n=n, s="s" if n > 1 else "")


def _purge(con, now: datetime) -> None:
    """Stale rows forgotten: the table stays bounded."""
    pair, known = login_attempts.c.key.like("paire:%"), login_attempts.c.key.like("connue:%")
    con.execute(delete(login_attempts).where(or_(
        and_(~pair, ~known, login_attempts.c.last_at < now - WINDOW),
        and_(pair, login_attempts.c.last_at < now - PAIR_KEEP),
        and_(known, login_attempts.c.last_at < now - KNOWN_KEEP))))


def is_known(engine: Engine, login: str, address: str | None) -> bool:
    """Whether ``login`` signed in from ``address`` within :data:`KNOWN_KEEP`."""
    with engine.connect() as con:
        at = con.execute(select(login_attempts.c.last_at)
                         .where(login_attempts.c.key == known_key(login, address))).scalar()
    return at is not None and at >= store.utcnow() - KNOWN_KEEP


def reserve(engine: Engine, login: str, address: str | None) -> timedelta | None:
    """Reserve one password check for ``login`` from ``address``: None if granted (the caller
    checks the password, then calls :func:`succeeded` if it was right), else how long to wait
    (nothing was counted)."""
    now = store.utcnow()
    known = is_known(engine, login, address)
    if known:
        limits, pairs = {}, [pair_key(login, address)]
    else:
        limits, pairs = {login_key(login): PER_LOGIN, address_key(address): PER_ADDRESS}, []
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin() as tx:
            _purge(con, now)
            keys = sorted([*limits, *pairs])  # one order everywhere: no deadlock
            for key in keys:
                _insert_missing(con, key, now)
            query = select(login_attempts.c.key, login_attempts.c.failures,
                           login_attempts.c.last_at).where(login_attempts.c.key.in_(keys))
            if con.dialect.name == "postgresql":
                query = query.order_by(login_attempts.c.key).with_for_update()
            rows = {r.key: r for r in con.execute(query)}
            waits = []
            for key, limit in limits.items():
                if rows[key].failures >= limit:
                    waits.append(rows[key].last_at + WINDOW - now)
            for key in pairs:
                free_at = rows[key].last_at + pair_wait(rows[key].failures)
                if rows[key].failures >= FREE and now < free_at:
                    waits.append(free_at - now)
            if waits:
                tx.rollback()
                return max(waits)
            con.execute(update(login_attempts).where(login_attempts.c.key.in_(keys))
                        .values(failures=login_attempts.c.failures + 1, last_at=now))
    return None


def succeeded(engine: Engine, login: str, address: str | None) -> None:
    """A right password: the login's and the pair's counters start again from zero, the
    address gets back the attempt just reserved, and the address is known for the login."""
    now = store.utcnow()
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)
        with con.begin():
            con.execute(delete(login_attempts).where(login_attempts.c.key.in_(
                [login_key(login), pair_key(login, address)])))
            con.execute(update(login_attempts).where(login_attempts.c.key
                                                     == address_key(address),
                                                     login_attempts.c.failures > 0)
                        .values(failures=login_attempts.c.failures - 1))
            key = known_key(login, address)
            _insert_missing(con, key, now)
            con.execute(update(login_attempts).where(login_attempts.c.key == key)
                        .values(failures=0, last_at=now))


def unlock(engine: Engine, login: str | None = None, address: str | None = None,
           by: str | None = None) -> int:
    """An administrator's unlock of ``login`` (its counter and those of every pair with it)
    and/or of ``address`` (its counter and its pairs); returns the rows removed. Audited
    (``verrou_leve``, with who did it)."""
    conditions = []
    if login is not None:
        conditions += [login_attempts.c.key == login_key(login),
                       login_attempts.c.key.like(f"paire:{_h(login)}:%")]
    if address is not None:
        conditions += [login_attempts.c.key == address_key(address),
                       login_attempts.c.key.like(f"paire:%:{_h(address)}")]
    if not conditions:
        return 0
    with engine.begin() as con:
        removed = con.execute(delete(login_attempts).where(or_(*conditions))).rowcount
    what = " ; ".join(p for p in (f"compte {login}" if login is not None else "",
                                  f"adresse {address}" if address is not None else "") if p)
    audit(engine, "verrou_leve", login, f"{what} : {removed} compteur(s) effacé(s) par "
          f"{by or 'un administrateur'}", address)
    return removed

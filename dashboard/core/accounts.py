"""Local accounts (create, list, disable, verify a password), their sign-in sessions (kept in the
operational store, shared by every worker process) and the demo accounts, one per role (printed
by `make run`)."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.core.access import ROLES, User
from etl.ops.store import audit, get_engine, sessions, users, utcnow
from etl.roles import ROLES as ROLE_TABLE
from etl.roles import Reach, reach
from etl.settings import Settings

HASH_METHOD = "scrypt"
DEMO_FILE = "comptes_demo.txt"
#: longest login and password looked at (a longer one is refused before any work)
LOGIN_MAX, PASSWORD_MAX = 64, 256


def brigade_departement(settings: Settings, brigade_id: str) -> str | None:
    if not settings.warehouse_path.exists():
        return None
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT departement FROM brigades WHERE brigade_id = ?",
                           [brigade_id]).fetchall()
    return rows[0][0] if rows else None


def _first_brigade(settings: Settings, departement: str) -> str | None:
    if not settings.warehouse_path.exists():
        return None
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute("SELECT brigade_id FROM brigades WHERE departement = ? "
                           "ORDER BY population DESC LIMIT 1", [departement]).fetchall()
    return rows[0][0] if rows else None


def ensure_demo_accounts(settings: Settings, departement: str = "35") -> list[str]:
    """One account per role, with a random password written once to a 0600 file beside the data
    (so that `make run` can print it again); returns the lines to print."""
    path: Path = settings.data_dir / DEMO_FILE
    engine = get_engine(settings.ops_url)
    existing = {u["login"] for u in list_users(engine)}
    known = {}
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            if line and not line.startswith("#"):
                login, password = line.split("\t")[:2]
                known[login] = password
    brigade = _first_brigade(settings, departement)
    # one account per role of etl.roles, attached as its reach needs
    wanted = [(f"{code}.demo", code, None if r.reach is Reach.NATIONAL else departement,
               brigade if r.reach is Reach.BRIGADE else None) for code, r in ROLE_TABLE.items()]
    lines = []
    for login, role, dep, brig in wanted:
        if reach(role) is Reach.BRIGADE and brig is None:
            continue
        if login not in existing:
            password = secrets.token_urlsafe(12)
            add_user(engine, login, password, role, dep, brig, dep)
            known[login] = password
        scope = dep or "national"
        lines.append(f"{login}\t{known.get(login, '(mot de passe déjà défini)')}\t{role}\t"
                     f"{scope}{' ' + brig if brig else ''}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# identifiant\tmot de passe\trôle\tpérimètre\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    os.chmod(path, 0o600)
    header = ["Comptes de démonstration (un par rôle ; mots de passe aléatoires, conservés dans "
              f"{path}) :"]
    return header + ["  " + line.replace("\t", "  ") for line in lines]


class AccountError(ValueError):
    """A refused account operation; the message is in French."""


# --- accounts --------------------------------------------------------------------------------

def add_user(engine: Engine, login: str, password: str, role: str, departement: str | None = None,
             brigade_id: str | None = None, brigade_departement: str | None = None) -> User:
    login = login.strip()
    if not login or len(login) > LOGIN_MAX or any(c.isspace() for c in login):
        raise AccountError("Identifiant invalide (1 à 64 caractères, sans espace).")
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu : {role} (rôles : {', '.join(ROLES)}).")
    if len(password) < 10:
        raise AccountError("Mot de passe trop court (10 caractères au moins).")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"Mot de passe trop long ({PASSWORD_MAX} caractères au plus).")
    if reach(role) is Reach.DEPARTEMENT and not departement:
        raise AccountError(f"Le rôle {role} exige un département (--departement).")
    if reach(role) is Reach.BRIGADE:
        if not brigade_id:
            raise AccountError("Le rôle brigade exige une brigade (--brigade).")
        departement = departement or brigade_departement
    if reach(role) is Reach.NATIONAL:
        departement, brigade_id = None, None
    try:
        with engine.begin() as con:
            con.execute(users.insert().values(
                login=login, password_hash=generate_password_hash(password, method=HASH_METHOD),
                role=role, departement=departement, brigade_id=brigade_id, active=True,
                created_at=utcnow()))
    except IntegrityError as exc:
        raise AccountError(f"Le compte {login} existe déjà.") from exc
    audit(engine, "compte_cree", login, f"rôle {role}, département {departement or '-'}, "
          f"brigade {brigade_id or '-'}")
    return User(login, role, departement, brigade_id)


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as con:
        rows = con.execute(select(users.c.login, users.c.role, users.c.departement,
                                  users.c.brigade_id, users.c.active).order_by(users.c.login))
        return [dict(r._mapping) for r in rows]


def disable_user(engine: Engine, login: str) -> None:
    """The account can no longer sign in, and its open sessions end at once."""
    with engine.begin() as con:
        n = con.execute(update(users).where(users.c.login == login).values(active=False)).rowcount
        if n:
            ended = _revoke(con, sessions.c.login == login)
    if not n:
        raise AccountError(f"Compte inconnu : {login}")
    audit(engine, "compte_desactive", login, f"{ended} session(s) fermée(s)")


_DUMMY_HASH = generate_password_hash("not a password", method=HASH_METHOD)


def verify(engine: Engine, login: str, password: str) -> User | None:
    """The user if the password is right and the account active (same work either way).
    A login or password over its bound is refused without hashing anything."""
    if len(login) > LOGIN_MAX or len(password) > PASSWORD_MAX:
        return None
    with engine.connect() as con:
        row = con.execute(select(users).where(users.c.login == login)).first()
    ok = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
    if row is None or not ok or not row.active:
        return None
    return User(row.login, row.role, row.departement, row.brigade_id)


# --- sessions --------------------------------------------------------------------------------

#: last_seen is written at most this often per session (not on every request)
TOUCH_INTERVAL = timedelta(minutes=1)
#: a session row is kept this long after its absolute end (then purged at a sign-in)
SESSION_KEEP = timedelta(days=1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _revoke(con, condition) -> int:
    return con.execute(update(sessions).where(condition, sessions.c.revoked_at.is_(None))
                       .values(revoked_at=utcnow())).rowcount


def open_session(engine: Engine, login: str, address: str | None,
                 max_age: timedelta, limit: int | None = None) -> str:
    """A new session for ``login``: returns its random id (for the cookie; the store keeps only
    its hash). Sessions past their absolute end for more than a day are purged. ``limit``: most
    open sessions of the login (the new one included); the oldest beyond it are ended
    (``session_fermee_limite``, audited)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    ended = 0
    with engine.connect() as con:
        con = con.execution_options(sqlite_immediate=True)  # simultaneous sign-ins: in turn
        with con.begin():
            con.execute(delete(sessions).where(
                sessions.c.created_at < now - max_age - SESSION_KEEP))
            if limit:
                older = con.execute(
                    select(sessions.c.id).where(sessions.c.login == login,
                                                sessions.c.revoked_at.is_(None),
                                                sessions.c.created_at > now - max_age)
                    .order_by(sessions.c.created_at.desc(), sessions.c.id.desc())
                    .with_for_update()).scalars().all()[limit - 1:]
                if older:
                    ended = _revoke(con, sessions.c.id.in_(older))
            con.execute(insert(sessions).values(
                token_hash=_token_hash(token), login=login, created_at=now, last_seen=now,
                address=(address or "")[:64] or None))
    for _ in range(ended):
        audit(engine, "session_fermee_limite", login, "session la plus ancienne fermée : "
              f"{limit} sessions ouvertes au plus par compte", address)
    return token


def session_user(engine: Engine, token: str, idle: timedelta, max_age: timedelta,
                 address: str | None = None, touch: bool = True) -> User | None:
    """The user of session ``token`` if it is open, used within ``idle`` and younger than
    ``max_age``, and its account active; else None. An expired session is closed here (one
    ``session_expiree`` audit record). ``last_seen`` moves at most once a minute, and never
    when ``touch`` is false (a background refresh, :mod:`dashboard.core.polling`)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    now = utcnow()
    with engine.connect() as con:
        row = con.execute(
            select(sessions.c.id, sessions.c.created_at, sessions.c.last_seen,
                   sessions.c.revoked_at, users.c.login, users.c.role, users.c.departement,
                   users.c.brigade_id, users.c.active)
            .join(users, users.c.login == sessions.c.login)
            .where(sessions.c.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    expired = _expiry(row.created_at, row.last_seen, now, idle, max_age)
    if expired or not row.active:
        with engine.begin() as con:
            closed = _revoke(con, sessions.c.id == row.id)
        if closed and expired:
            audit(engine, "session_expiree", row.login, expired, address)
        return None
    if touch and now - row.last_seen >= TOUCH_INTERVAL:
        with engine.begin() as con:  # conditional: several workers may race, one writes
            con.execute(update(sessions).where(sessions.c.id == row.id,
                                               sessions.c.last_seen <= now - TOUCH_INTERVAL)
                        .values(last_seen=now))
    return User(row.login, row.role, row.departement, row.brigade_id)


def _expiry(created_at: datetime, last_seen: datetime, now: datetime, idle: timedelta,
            max_age: timedelta) -> str:
    """Why a session has ended ("" while it has not)."""
    if now - created_at >= max_age:
        return "durée maximale de session atteinte"
    if now - last_seen >= idle:
        return "session inactive trop longtemps"
    return ""


def close_session(engine: Engine, token: str) -> bool:
    """Sign-out: the session ends at once for every copy of its cookie."""
    if not isinstance(token, str):
        return False
    with engine.begin() as con:
        return bool(_revoke(con, sessions.c.token_hash == _token_hash(token)))


def revoke_sessions(engine: Engine, login: str) -> int:
    """Ends every open session of ``login`` (an administrator's revocation); returns how many.
    The account itself stays active: its user signs in again."""
    with engine.begin() as con:
        known = con.execute(select(users.c.id).where(users.c.login == login)).first()
        ended = _revoke(con, sessions.c.login == login) if known else 0
    if known is None:
        raise AccountError(f"Compte inconnu : {login}")
    audit(engine, "sessions_revoquees", login, f"{ended} session(s) fermée(s)")
    return ended

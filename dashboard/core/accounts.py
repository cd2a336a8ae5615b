"""Local accounts (create, list, disable, verify a password) and the demo accounts, one per role
(printed by `make run`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import duckdb
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.core.access import NATIONAL_ROLES, ROLES, User
from etl.ops.store import audit, get_engine, users, utcnow
from etl.settings import Settings

HASH_METHOD = "scrypt"
DEMO_FILE = "comptes_demo.txt"


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
    wanted = [("prefet.demo", "prefet", departement, None),
              ("commandant.demo", "commandant", departement, None),
              ("brigade.demo", "brigade", departement, brigade),
              ("analyste.demo", "analyste", None, None),
              ("admin.demo", "admin", None, None)]
    lines = []
    for login, role, dep, brig in wanted:
        if role == "brigade" and brig is None:
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
    if not login or len(login) > 64 or any(c.isspace() for c in login):
        raise AccountError("Identifiant invalide (1 à 64 caractères, sans espace).")
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu : {role} (rôles : {', '.join(ROLES)}).")
    if len(password) < 10:
        raise AccountError("Mot de passe trop court (10 caractères au moins).")
    if role in ("prefet", "commandant") and not departement:
        raise AccountError(f"Le rôle {role} exige un département (--departement).")
    if role == "brigade":
        if not brigade_id:
            raise AccountError("Le rôle brigade exige une brigade (--brigade).")
        departement = departement or brigade_departement
    if role in NATIONAL_ROLES:
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
    with engine.begin() as con:
        n = con.execute(update(users).where(users.c.login == login).values(active=False)).rowcount
    if not n:
        raise AccountError(f"Compte inconnu : {login}")
    audit(engine, "compte_desactive", login)


_DUMMY_HASH = generate_password_hash("not a password", method=HASH_METHOD)


def verify(engine: Engine, login: str, password: str) -> User | None:
    """The user if the password is right and the account active (same work either way)."""
    with engine.connect() as con:
        row = con.execute(select(users).where(users.c.login == login)).first()
    ok = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
    if row is None or not ok or not row.active:
        return None
    return User(row.login, row.role, row.departement, row.brigade_id)


def load_user(engine: Engine, login: str) -> User | None:
    """Re-read at every request: a disabled account is out at once."""
    with engine.connect() as con:
        row = con.execute(select(users).where(users.c.login == login)).first()
    if row is None or not row.active:
        return None
    return User(row.login, row.role, row.departement, row.brigade_id)

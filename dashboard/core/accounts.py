"""Demo accounts (one per role, printed by `make run`) and account helpers needing the warehouse."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import duckdb

from dashboard.core import auth
from etl.ops.store import get_engine
from etl.settings import Settings

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
    existing = {u["login"] for u in auth.list_users(engine)}
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
            auth.add_user(engine, login, password, role, dep, brig, dep)
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

"""Backup and restore of a data folder: the operational store, the published warehouse and the
keys the store needs (``python -m etl backup DEST``, ``python -m etl restore SRC``).

A backup is a folder:

- ``operations.sqlite``: the store, copied by SQLite's online backup API (one read transaction:
  a consistent copy while the dashboard keeps writing), checked (``PRAGMA integrity_check``)
  and left in rollback-journal mode (one self-contained file); on PostgreSQL,
  ``operations.dump`` (``pg_dump --format=custom`` on a snapshot exported by a transaction
  that also counts the rows: the counts are those of the dump);
- ``entrepot/``: the published warehouse as readers see it, one publication: its manifest and
  every file it names (``entrepot/warehouse.parts/``), or its one file (``warehouse.duckdb``)
  when it has no manifest. The files a manifest names never change once published, and are
  opened right after the manifest is read (a file replaced meanwhile stays readable once open):
  neither readers nor writers wait for a backup;
- ``secret_key``: the dashboard's session signing key, when the data folder has one (the
  opt-outs' HMAC key lives in the store, table ``store_keys``: the store's copy carries it);
- ``sauvegarde.json``: what was saved: every file with its size and SHA-256, the store's
  Alembic revision and rows per table, the warehouse's rows per table, the date (Paris time).

The warehouse is copied before the store: a store a little newer than the warehouse is what a
running dashboard has anyway (``refresh`` publishes the records made since).

Everything is written into a hidden folder beside ``DEST`` and renamed onto it at the end:
``DEST`` either does not exist or holds a whole backup. Folders are 0700, files 0600.

A restore first verifies the backup (every file against its SHA-256, the store's revision known
to this code, i.e. not newer than its head) and refuses while another process has the SQLite
store open; nothing is changed before. Then it stages every file beside its place and renames:
the warehouse's files are published by a new manifest under the ETL's writer lock (a reader
sees the previous publication or the restored one, never a mix), the store replaces the old
one (checkpointed and closed first, so that no stale WAL file is left to replay), then the key.
Last it checks what was restored: the store's rows per table and the warehouse's, against
``sauvegarde.json``, and brings an older store to the code's head revision.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from etl import clock
from etl.files import fsync, new_folder_problem
from etl.ops.migrate import alembic_config, head
from etl.warehouse import parts
from etl.warehouse.publish import write_init_sql
from etl.warehouse.tables import quoted

DESCRIPTION = "sauvegarde.json"
FORMAT = 1
STORE_SQLITE = "operations.sqlite"
STORE_DUMP = "operations.dump"
WAREHOUSE = "entrepot"
#: the data folder's key files a restored store needs to stay usable (sessions' signing key)
KEY_FILES = ("secret_key",)
CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup or a restore that cannot be done (French message); nothing was changed."""


# --- helpers ----------------------------------------------------------------------------------

def _copy(src, target: Path) -> str:
    """Copy ``src`` (a path or a binary file) to the new file ``target`` (0600, fsynced); its
    SHA-256."""
    digest = hashlib.sha256()
    opened = open(src, "rb") if isinstance(src, (str, Path)) else contextlib.nullcontext(src)  # noqa: SIM115
    with opened as f:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    return digest.hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _store_kind(url: str) -> tuple[str, Path | None]:
    """("sqlite", its file) or ("postgresql", None)."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite" and u.database and u.database != ":memory:":
        return "sqlite", Path(u.database)
    if backend == "postgresql":
        return "postgresql", None
    raise BackupError(f"Base opérationnelle non prise en charge par la sauvegarde : {backend} "
                      "(SQLite ou PostgreSQL).")


def _sqlite_counts(con: sqlite3.Connection) -> tuple[dict[str, int], str | None]:
    """Rows per table and the Alembic revision of a SQLite store."""
    names = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name").fetchall()]
    counts = {n: con.execute(f"SELECT count(*) FROM {quoted(n)}")  # noqa: S608
              .fetchone()[0] for n in names}
    revision = None
    if "alembic_version" in names:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return counts, revision


def _integrity(con: sqlite3.Connection) -> str:
    rows = con.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(r[0]) for r in rows[:5])


def store_in_use(path: Path) -> bool:
    """Whether another process has the SQLite store ``path`` open: every connection to a
    WAL database holds a shared lock on the « DMS » byte of its ``-shm`` file (byte 128) for as
    long as it is open, idle connections of a pool included. (POSIX locks: the calling
    process's own connections are not seen.)"""
    shm = path.with_name(path.name + "-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 128)
        return False
    finally:
        os.close(fd)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq URL of a SQLAlchemy PostgreSQL URL, without its password, and the environment
    that passes the password (never on a command line, which every local user can read)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False), env


def _pg_tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise BackupError(f"{name} est introuvable : installez le client PostgreSQL (paquet "
                          "Debian postgresql-client, de la même version majeure que le "
                          "serveur au moins), puis recommencez.")
    return exe


def _pg_counts(con) -> tuple[dict[str, int], str | None]:
    names = sorted(inspect(con).get_table_names())
    counts = {n: con.execute(text(f"SELECT count(*) FROM {quoted(n)}")).scalar_one()  # noqa: S608
              for n in names}
    revision = (con.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if "alembic_version" in names else None)
    return counts, revision


def _warehouse_counts(published: Path) -> dict[str, int]:
    """Rows per table of the warehouse published at ``published`` (its manifest's files)."""
    with parts.connect(published) as con:
        rows = con.execute(
            "SELECT database_name, table_name FROM duckdb_tables() WHERE NOT internal "
            "AND NOT temporary AND schema_name = 'main' "
            "AND database_name NOT IN ('system', 'temp') ORDER BY table_name").fetchall()
        return {str(t): con.execute(
            f"SELECT count(*) FROM {quoted(c)}.main.{quoted(t)}").fetchall()[0][0]  # noqa: S608
            for c, t in rows}


def _published(published: Path) -> bool:
    return published.exists() or parts.is_split(published)


# --- backup -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Saved:
    dest: Path
    description: dict

    def lines(self) -> list[str]:
        d = self.description
        store, wh = d["base_operationnelle"], d["entrepot"]
        size = sum(f["octets"] for f in d["fichiers"].values())
        return [
            f"Sauvegarde écrite dans {self.dest} ({len(d['fichiers'])} fichiers, "
            f"{size / 1e6:.1f} Mo), le {d['date'].replace('T', ' à ')} (heure de Paris).",
            f"  base opérationnelle ({store['type']}) : révision {store['revision']}, "
            f"{sum(store['tables'].values())} lignes dans {len(store['tables'])} tables",
            f"  entrepôt publié : {len(wh['fichiers'])} fichier(s), "
            f"{sum(wh['tables'].values())} lignes dans {len(wh['tables'])} tables",
            "  clés : " + (", ".join(d["cles"]) or "aucune")
            + " ; la clé des désinscriptions est dans la base opérationnelle",
        ]


def _check_dest(dest: Path) -> None:
    if (problem := new_folder_problem(dest, "une sauvegarde")) is not None:
        raise BackupError(problem)


def _backup_sqlite(src: Path, target: Path) -> dict:
    if not src.is_file():
        raise BackupError(f"Aucune base opérationnelle à {src} : rien à sauvegarder.")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    source = sqlite3.connect(src, timeout=30)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        copy = sqlite3.connect(target)
        try:
            # one step (pages=-1): one read transaction, a snapshot however busy the writers
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            problem = _integrity(copy)
            if problem != "ok":
                raise BackupError(f"La copie de la base opérationnelle est incohérente "
                                  f"({problem}) : sauvegarde abandonnée.")
            counts, revision = _sqlite_counts(copy)
        finally:
            copy.close()
    finally:
        source.close()
    fsync(target)
    return {"type": "sqlite", "fichier": STORE_SQLITE, "revision": revision, "tables": counts}


def _backup_postgres(url: str, target: Path) -> dict:
    from etl.ops.store import new_engine

    exe = _pg_tool("pg_dump")
    libpq, env = _libpq(url)
    engine = new_engine(url)
    try:
        with engine.connect() as con:
            con = con.execution_options(isolation_level="REPEATABLE READ")
            with con.begin():
                snapshot = con.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                counts, revision = _pg_counts(con)
                # the dump reads the snapshot of this transaction, still open: the counts
                # above are the dump's
                done = subprocess.run(  # noqa: S603 - our arguments, no shell
                    [exe, "--format=custom", f"--snapshot={snapshot}", "--file", str(target),
                     "--dbname", libpq], env=env, capture_output=True, text=True, check=False)
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise BackupError("pg_dump a échoué : " + (done.stderr.strip()[-500:] or "?"))
    os.chmod(target, 0o600)
    return {"type": "postgresql", "fichier": STORE_DUMP, "revision": revision, "tables": counts}


def _open_publication(published: Path) -> tuple[parts.Manifest | None, dict[str, object]]:
    """The manifest (None: one file) and its files, open: a publication made after this point
    (which may remove replaced files after their grace period) changes nothing of the copy."""
    for _attempt in range(50):
        manifest = parts.read_manifest(published)
        if manifest is None:
            return None, {parts.MAIN: open(published, "rb")}  # noqa: SIM115 - closed by caller
        opened: dict[str, object] = {}
        try:
            for part in sorted(manifest.files):
                opened[part] = open(manifest.path(published, part), "rb")  # noqa: SIM115
            return manifest, opened
        except FileNotFoundError:  # a newer manifest meanwhile: read it
            for f in opened.values():
                f.close()  # type: ignore[attr-defined]
            time.sleep(0.05)
    raise BackupError(f"L'entrepôt {published} change sans cesse : sauvegarde abandonnée.")


def _backup_warehouse(published: Path, into: Path) -> dict:
    into.mkdir(mode=0o700)
    manifest, opened = _open_publication(published)
    try:
        if manifest is None:
            target = into / published.name
            _copy(opened[parts.MAIN], target)
            files = {parts.MAIN: f"{WAREHOUSE}/{published.name}"}
            layout = "fichier"
        else:
            copy = into / published.name
            folder = parts.parts_dir(copy)
            folder.mkdir(mode=0o700)
            for part, f in opened.items():
                _copy(f, folder / manifest.files[part])
            (folder / parts.MANIFEST).write_text(
                json.dumps({"files": manifest.files}, indent=1, sort_keys=True), "utf-8")
            os.chmod(folder / parts.MANIFEST, 0o600)
            rel = f"{WAREHOUSE}/{folder.name}"
            files = {part: f"{rel}/{name}" for part, name in sorted(manifest.files.items())}
            layout = "parties"
    finally:
        for f in opened.values():
            f.close()  # type: ignore[attr-defined]
    return {"disposition": layout, "fichiers": files,
            "tables": _warehouse_counts(into / published.name)}


def backup(data_dir: Path, ops_url: str, dest: Path) -> Saved:
    """Back up the data folder ``data_dir`` (its published warehouse and keys) and the store at
    ``ops_url`` into the new or empty folder ``dest``."""
    dest = Path(dest).absolute()
    _check_dest(dest)
    published = data_dir / "warehouse.duckdb"
    if not _published(published):
        raise BackupError(f"Aucun entrepôt publié à {published} : rien à sauvegarder (lancez "
                          "d'abord `python -m etl build`).")
    kind, store_path = _store_kind(ops_url)
    if kind == "sqlite" and not store_path.is_file():  # type: ignore[union-attr]
        raise BackupError(f"Aucune base opérationnelle à {store_path} : rien à sauvegarder.")
    if kind == "postgresql":
        _pg_tool("pg_dump")
    tmp = dest.with_name(f".{dest.name}.sauvegarde-{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    os.mkdir(tmp, 0o700)
    try:
        os.chmod(tmp, 0o700)
        warehouse = _backup_warehouse(published, tmp / WAREHOUSE)
        store = (_backup_sqlite(store_path, tmp / STORE_SQLITE)  # type: ignore[arg-type]
                 if kind == "sqlite" else _backup_postgres(ops_url, tmp / STORE_DUMP))
        keys = []
        for name in KEY_FILES:
            with contextlib.suppress(FileNotFoundError):
                _copy(data_dir / name, tmp / name)
                keys.append(name)
        described = {}
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            described[path.relative_to(tmp).as_posix()] = {
                "octets": path.stat().st_size, "sha256": sha256(path)}
        description = {
            "format": FORMAT,
            "produit": "Présents pour les élus",
            "date": clock.now().isoformat(timespec="seconds"),
            "fuseau": str(clock.LOCAL_TZ),
            "origine": {"dossier_donnees": str(data_dir), "base": kind},
            "base_operationnelle": store,
            "entrepot": warehouse,
            "cles": keys,
            "fichiers": described,
        }
        fd = os.open(tmp / DESCRIPTION, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(description, out, indent=1, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        for folder in [tmp, *(p for p in tmp.rglob("*") if p.is_dir())]:
            fsync(folder)
        os.rename(tmp, dest)  # onto a missing or empty folder: atomic
        fsync(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Saved(dest, description)


# --- verification -----------------------------------------------------------------------------

def verify(src: Path) -> dict:
    """The description of the backup ``src`` once every file matches it and its store's
    revision is one this code knows (not newer than its head); else BackupError."""
    src = Path(src)
    if not src.is_dir():
        raise BackupError(f"Aucune sauvegarde à {src} (dossier attendu).")
    try:
        description = json.loads((src / DESCRIPTION).read_text("utf-8"))
        files = description["fichiers"]
        store = description["base_operationnelle"]
        warehouse = description["entrepot"]
    except FileNotFoundError:
        raise BackupError(f"{src} n'est pas une sauvegarde : {DESCRIPTION} est absent.") from None
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{src / DESCRIPTION} est illisible ou incomplet : sauvegarde "
                          "refusée.") from None
    if description.get("format") != FORMAT:
        raise BackupError(f"Format de sauvegarde inconnu ({description.get('format')!r}) : "
                          "cette version ne sait pas la restaurer.")
    problems = []
    for rel, meta in sorted(files.items()):
        path = src / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            problems.append(f"{rel} : chemin refusé")
        elif not path.is_file():
            problems.append(f"{rel} : absent")
        elif path.stat().st_size != meta["octets"] or sha256(path) != meta["sha256"]:
            problems.append(f"{rel} : contenu modifié (empreinte SHA-256 différente)")
    needed = [store["fichier"], *warehouse["fichiers"].values(), *description.get("cles", [])]
    problems += [f"{rel} : non décrit" for rel in needed if rel not in files]
    if problems:
        raise BackupError("Sauvegarde altérée ou incomplète, restauration refusée (rien n'a "
                          "été modifié) : " + " ; ".join(problems[:10]) + ".")
    revision = store.get("revision")
    if revision is not None:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(alembic_config())
        try:
            known = script.get_revision(revision) is not None
        except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
            known = False
        if not known:
            raise BackupError(f"La base sauvegardée est en révision {revision}, inconnue de "
                              f"cette version du code (dernière révision : {head()}) : "
                              "restaurez-la avec la version qui l'a écrite, ou mettez le code "
                              "à jour. Rien n'a été modifié.")
    return description


# --- restore ----------------------------------------------------------------------------------

@dataclass
class Restored:
    data_dir: Path
    description: dict
    lines_: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.lines_


def _stage(src: Path, target: Path, expected: str) -> Path:
    """A copy of ``src`` beside ``target`` (hidden name, 0600), checked against ``expected``."""
    staged = target.with_name(f".{target.name}.restauration-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        staged.unlink()
    if _copy(src, staged) != expected:
        staged.unlink()
        raise BackupError(f"Copie de {src} altérée en route vers {target.parent} : "
                          "restauration abandonnée (rien n'a été modifié).")
    return staged


def _close_sqlite_store(path: Path) -> None:
    """The store about to be replaced, checkpointed and in rollback mode: no -wal or -shm file
    of it is left to be replayed onto the restored file."""
    if not path.exists():
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                path.with_name(path.name + suffix).unlink()
        return
    con = sqlite3.connect(path, timeout=30)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")
    finally:
        con.close()


def _check_staged_store(staged: Path, store: dict) -> None:
    con = sqlite3.connect(staged)
    try:
        problem = _integrity(con)
        counts, revision = _sqlite_counts(con)
    finally:
        con.close()
    if problem != "ok":
        raise BackupError(f"La base sauvegardée est incohérente ({problem}) : restauration "
                          "refusée (rien n'a été modifié).")
    if counts != store["tables"] or revision != store["revision"]:
        raise BackupError("La base sauvegardée ne correspond pas à sa description (lignes ou "
                          "révision) : restauration refusée (rien n'a été modifié).")


def _publish_restored(published: Path, names: dict[str, str]) -> None:
    """The restored files (part → name, in the parts folder) published as exactly the
    manifest, under the writer lock already held: the files of the previous manifest get their
    grace period, as in :func:`etl.warehouse.parts.publish`."""
    current = parts.read_manifest(published)
    if current is not None:
        for part, name in current.files.items():
            if names.get(part) != name:
                with contextlib.suppress(OSError):
                    os.utime(current.path(published, part))
    new = parts.Manifest(dict(names))
    parts.write_manifest(published, new)
    parts.remove_stale(published, new)


def restore(src: Path, data_dir: Path, ops_url: str) -> Restored:
    """Restore the backup ``src`` into the data folder ``data_dir`` and the store at
    ``ops_url``, then check what was restored."""
    description = verify(src)
    src = Path(src)
    data_dir = Path(data_dir).absolute()
    store, warehouse = description["base_operationnelle"], description["entrepot"]
    kind, store_path = _store_kind(ops_url)
    if kind != store["type"]:
        raise BackupError(f"La sauvegarde contient une base {store['type']}, la cible est une "
                          f"base {kind} (PRESENCE_OPS_URL) : restauration refusée.")
    if not data_dir.parent.is_dir():
        raise BackupError(f"Le dossier parent du dossier de données, {data_dir.parent}, "
                          "n'existe pas.")
    published = data_dir / "warehouse.duckdb"
    if warehouse["disposition"] == "fichier" and parts.is_split(published):
        raise BackupError(f"La sauvegarde contient un entrepôt en un seul fichier, celui de "
                          f"{data_dir} est en parties (manifeste) : restaurez dans un dossier "
                          "de données nouveau.")
    if kind == "sqlite" and store_in_use(store_path):  # type: ignore[arg-type]
        raise BackupError(f"La base opérationnelle {store_path} est ouverte par un autre "
                          "processus (tableau de bord, worker des alertes, refresh --watch…) : "
                          "arrêtez-les, puis recommencez. Rien n'a été modifié.")
    if kind == "postgresql":
        _pg_tool("pg_restore")
    files = description["fichiers"]
    data_dir.mkdir(mode=0o700, exist_ok=True)
    out = Restored(data_dir, description)
    staged: list[Path] = []
    try:
        # 1. everything staged beside its place and checked
        store_staged = None
        if kind == "sqlite":
            store_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # type: ignore[union-attr]
            store_staged = _stage(src / store["fichier"], store_path,  # type: ignore[arg-type]
                                  files[store["fichier"]]["sha256"])
            staged.append(store_staged)
            _check_staged_store(store_staged, store)
        keys = {}
        for name in description.get("cles", []):
            if name in KEY_FILES:
                keys[name] = _stage(src / name, data_dir / name, files[name]["sha256"])
                staged.append(keys[name])
        # 2. the warehouse, under the ETL's writer lock (a single file: renamed into place)
        with parts.writer_lock(published):
            if warehouse["disposition"] == "fichier":
                rel = warehouse["fichiers"][parts.MAIN]
                one = _stage(src / rel, published, files[rel]["sha256"])
                staged.append(one)
                os.replace(one, published)
                write_init_sql(published, {parts.MAIN_CATALOG: published.name})
                restored_files = [published]
            else:
                folder = parts.parts_dir(published)
                names = {}
                for part, rel in warehouse["fichiers"].items():
                    name = Path(rel).name
                    target = folder / name
                    if target.exists() and sha256(target) == files[rel]["sha256"]:
                        names[part] = name  # the very file, already there
                        continue
                    if target.exists():
                        stem = name.removesuffix(".duckdb")
                        target = folder / f"{stem}-restauration-{os.getpid()}.duckdb"
                    building = target.with_name(target.name + parts.BUILDING)
                    with contextlib.suppress(FileNotFoundError):
                        building.unlink()
                    staged.append(building)
                    if _copy(src / rel, building) != files[rel]["sha256"]:
                        raise BackupError(f"Copie de {rel} altérée en route : restauration "
                                          "abandonnée (rien n'a été modifié).")
                    names[part] = target.name
                for name in names.values():
                    building = folder / (name + parts.BUILDING)
                    if building.exists():
                        os.replace(building, folder / name)
                fsync(folder)
                _publish_restored(published, names)
                restored_files = [folder / n for n in names.values()]
        out.lines_.append(f"Entrepôt restauré dans {published} ({len(restored_files)} "
                          "fichier(s), publié d'un coup).")
        # 3. the store, then the keys
        if kind == "sqlite":
            _close_sqlite_store(store_path)  # type: ignore[arg-type]
            os.replace(store_staged, store_path)  # type: ignore[arg-type]
            fsync(store_path.parent)  # type: ignore[union-attr]
        else:
            _restore_postgres(ops_url, src / store["fichier"])
        for name, path in keys.items():
            os.replace(path, data_dir / name)
        fsync(data_dir)
        out.lines_.append(f"Base opérationnelle restaurée ({kind}, révision "
                          f"{store['revision']}).")
    except BaseException:
        for path in staged:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    _check_restored(out, published, ops_url, kind, store_path, description)
    return out


def _restore_postgres(url: str, dump: Path) -> None:
    from etl.ops.store import new_engine

    engine = new_engine(url)
    try:
        with engine.connect() as con:
            others = con.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()
    if others:
        raise BackupError(f"La base opérationnelle a {others} autre(s) connexion(s) ouverte(s) "
                          "(tableau de bord, worker des alertes…) : arrêtez-les, puis "
                          "recommencez.")
    libpq, env = _libpq(url)
    done = subprocess.run(  # noqa: S603 - our arguments, no shell
        [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", "--dbname", libpq, str(dump)],
        env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError("pg_restore a échoué (la base est inchangée : une seule "
                          "transaction) : " + (done.stderr.strip()[-500:] or "?"))


def _check_restored(out: Restored, published: Path, ops_url: str, kind: str,
                    store_path: Path | None, description: dict) -> None:
    """What was restored, read back and compared with the description; an older store brought
    to the head revision."""
    from etl.ops.migrate import upgrade
    from etl.ops.store import new_engine

    store, warehouse = description["base_operationnelle"], description["entrepot"]
    problems = []
    if kind == "sqlite":
        con = sqlite3.connect(store_path)  # type: ignore[arg-type]
        try:
            counts, revision = _sqlite_counts(con)
        finally:
            con.close()
    else:
        engine = new_engine(ops_url)
        try:
            with engine.connect() as con:
                counts, revision = _pg_counts(con)
        finally:
            engine.dispose()
    if counts != store["tables"]:
        diff = sorted(t for t in set(counts) | set(store["tables"])
                      if counts.get(t) != store["tables"].get(t))
        problems.append(f"base opérationnelle : lignes différentes dans {', '.join(diff)}")
    if revision != store["revision"]:
        problems.append(f"base opérationnelle : révision {revision} au lieu de "
                        f"{store['revision']}")
    manifest = parts.read_manifest(published)
    if manifest is not None:
        missing = [n for p, n in manifest.files.items()
                   if not manifest.path(published, p).is_file()]
        if missing:
            problems.append(f"entrepôt : fichiers absents {missing}")
    try:
        tables = _warehouse_counts(published)
    except Exception as exc:  # noqa: BLE001 - any failure to read it is the finding
        problems.append(f"entrepôt illisible : {exc}")
        tables = {}
    else:
        if tables != warehouse["tables"]:
            diff = sorted(t for t in set(tables) | set(warehouse["tables"])
                          if tables.get(t) != warehouse["tables"].get(t))
            problems.append(f"entrepôt : lignes différentes dans {', '.join(diff)}")
    if problems:
        raise BackupError("Restauration faite mais la vérification échoue : "
                          + " ; ".join(problems) + ".")
    out.lines_.append(
        f"Vérifié : {sum(counts.values())} lignes dans {len(counts)} tables de la base, "
        f"{sum(tables.values())} lignes dans {len(tables)} tables de l'entrepôt, comme "
        f"dans la sauvegarde du {description['date'].replace('T', ' à ')} (heure de Paris).")
    if store["revision"] != head():
        engine = new_engine(ops_url)
        try:
            out.lines_.append(upgrade(engine).line())
        finally:
            engine.dispose()

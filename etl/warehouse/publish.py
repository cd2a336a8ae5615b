"""Build a warehouse in a new file, then publish it atomically: readers never see a partial one.

Beside the published warehouse, each publication also writes its *init SQL*
(``warehouse.sql`` for ``warehouse.duckdb``, :func:`write_init_sql`): the statements that give
any DuckDB client — the command line, Python, DBeaver, SQLAlchemy — every table of the warehouse
in one connection, whatever files hold them (:mod:`etl.warehouse.parts`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from etl.warehouse import schema
from etl.warehouse.tables import ident

BUILDING_SUFFIX = ".building"
#: DuckDB variable that, when set, replaces the folder the init SQL names (a moved data folder)
DATA_VARIABLE = "presence_data"


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for t in schema.TABLES:
        con.execute(t.ddl())


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> int:
    """Insert ``frame`` into the declared table, in the declared column order and storage order.

    Only the declared columns are written: a missing one is an error, extra ones are ignored.
    """
    t = schema.table(name)
    missing = [c for c in t.column_names if c not in frame.columns]
    if missing:
        raise ValueError(f"table {name}: colonnes absentes {missing}")
    data = frame[t.column_names]
    if t.order_by:
        data = data.sort_values(list(t.order_by), kind="stable")
    con.register("incoming_frame", data)
    try:
        cols = ", ".join(ident(c) for c in t.column_names)
        # identifiers come from the declared schema (checked by ident()), never from input
        con.execute(f"INSERT INTO {ident(t.name)} ({cols}) SELECT {cols} FROM incoming_frame")  # noqa: S608
    finally:
        con.unregister("incoming_frame")
    return len(data)


def remove_stale_builds(published: Path) -> None:
    """Files left by a build that was killed: they were never published, so they can go."""
    for p in published.parent.glob(published.name + BUILDING_SUFFIX + "*"):
        with contextlib.suppress(OSError):
            p.unlink()


@contextlib.contextmanager
def building(published: Path, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a fresh warehouse file; on success it is checkpointed, closed and renamed
    onto ``published`` (atomic on one file system). On any error the new file is deleted and the
    published one is untouched."""
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(published)
    tmp = published.with_name(f"{published.name}{BUILDING_SUFFIX}-{run_id}")
    con = duckdb.connect(str(tmp))
    try:
        create_tables(con)
        yield con
        _finish(con, tmp, published)
    except BaseException:
        _discard(con, tmp)
        raise


class NoWarehouse(RuntimeError):
    """Nothing is published yet: a load needs the reference build first (French message)."""


@contextlib.contextmanager
def updating(published: Path, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write copy of the published warehouse, published back atomically on success.

    Loads go through the same path as builds: readers see the old file until the new one is
    complete. Tables declared since the published file was built are created on the way.
    """
    if not published.exists():
        raise NoWarehouse(f"Aucun entrepôt publié à {published} : lancez d'abord "
                          "`python -m etl build`.")
    published.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(published)
    tmp = published.with_name(f"{published.name}{BUILDING_SUFFIX}-{run_id}")
    shutil.copyfile(published, tmp)
    con = duckdb.connect(str(tmp))
    try:
        for t in schema.TABLES:
            con.execute(t.ddl(if_not_exists=True))
        _add_missing_columns(con)
        yield con
        _finish(con, tmp, published)
    except BaseException:
        _discard(con, tmp)
        raise


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns declared after the published file was built (e.g. new load_runs counters)."""
    for t in schema.TABLES:
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            [t.name]).fetchall()}
        for c in t.columns:
            if c.name not in have:
                con.execute(f"ALTER TABLE {ident(t.name)} ADD COLUMN {ident(c.name)} "
                            f"{c.sql_type}")


def _finish(con: duckdb.DuckDBPyConnection, tmp: Path, published: Path) -> None:
    con.execute("CHECKPOINT")
    con.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, published)
    write_init_sql(published, {"wh": published.name})
    dir_fd = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _discard(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    with contextlib.suppress(Exception):
        con.close()
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        with contextlib.suppress(OSError):
            p.unlink()


def carry_over(con: duckdb.DuckDBPyConnection, previous: Path, tables: list[str]) -> dict[str, int]:
    """Copy loaded facts from the previous published warehouse into a new build."""
    if not previous.exists():
        return {}
    out = {}
    con.execute("ATTACH ? AS previous (READ_ONLY)", [str(previous)])
    try:
        have = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'previous'"
        ).fetchall()}
        for name in tables:
            if name in have:
                # identifiers come from the declared schema
                con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM previous."{name}"')  # noqa: S608
                out[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]  # noqa: S608
    finally:
        con.execute("DETACH previous")
    return out


# --- the init SQL: every table in one step, from any DuckDB client -------------------------------

def init_sql_path(published: Path) -> Path:
    """``data/warehouse.sql`` for ``data/warehouse.duckdb``."""
    return published.with_suffix(".sql")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def init_sql(published: Path, files: dict[str, str]) -> str:
    """The init SQL of a publication: ``files`` maps each catalog to attach to its file, relative
    to the published warehouse's folder (``{"wh": "warehouse.parts/main-<run>.duckdb", ...}``).

    Paths. DuckDB resolves a relative ``ATTACH`` path against the process's working directory,
    not against the SQL file, and the clients that read this file (the command line, DBeaver,
    a notebook, a BI server) each start somewhere else. So each file is named by the data
    folder's absolute path, written again at every publication, **unless** the DuckDB variable
    ``presence_data`` is set: then it is the folder (a data folder moved or copied elsewhere —
    ``SET VARIABLE presence_data = '/new/place'`` before reading the file —, or ``'.'`` from
    inside the folder). The file itself never sets the variable, so that reading two
    warehouses' files in one connection reads each from its own folder.

    Each statement is on one line and ends with ``;`` (clients that run a script statement by
    statement, such as DBeaver, split it as DuckDB does). Catalogs are detached first, so that
    reading the file again in the same connection shows the newest publication; every file is
    attached read-only (a reader never blocks a publication: new files, never changed ones),
    and the search path names every catalog, as :func:`etl.warehouse.parts.connect` does, so
    that every table is named as in one file.
    """
    folder = str(published.parent.absolute())
    base = f"coalesce(getvariable({_literal(DATA_VARIABLE)}), {_literal(folder)})"
    lines = [
        "-- Entrepôt « Présents pour les élus » : toutes ses tables dans une connexion DuckDB,",
        "-- en lecture seule. Réécrit à chaque publication (avec warehouse.parts/manifest.json) :",
        "-- ne pas modifier. Relu dans la même connexion, il montre la dernière publication.",
        f"--   DuckDB 2.0+ :  duckdb -init {folder}/{init_sql_path(published).name}",
        f"--   Python     :  con = duckdb.connect(); "
        f"con.execute(open('{folder}/{init_sql_path(published).name}').read())",
        f"-- Dossier déplacé ou copié : d'abord  SET VARIABLE {DATA_VARIABLE} = "
        "'/nouveau/dossier';",
        f"--   (depuis le dossier lui-même :  SET VARIABLE {DATA_VARIABLE} = '.';)",
    ]
    # the search path's first catalog is the default one: back to the connection's own first,
    # so that its catalogs can be detached
    lines.append("RESET search_path;")
    for cat, rel in files.items():
        ident(cat)
        lines.append(f"DETACH DATABASE IF EXISTS {cat};")
        lines.append(f"ATTACH {base} || {_literal('/' + rel)} AS {cat} (READ_ONLY);")
    lines.append("SET search_path = " + _literal(",".join(f"{c}.main" for c in files)) + ";")
    return "\n".join(lines) + "\n"


def write_init_sql(published: Path, files: dict[str, str]) -> Path:
    """Write :func:`init_sql` atomically beside ``published`` (a reader gets the previous text
    or the new one, each naming a whole publication's files); its path."""
    path = init_sql_path(published)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(init_sql(published, files))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path

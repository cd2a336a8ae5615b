"""Build a warehouse in a new file, then publish it atomically: readers never see a partial one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from etl.warehouse import schema

BUILDING_SUFFIX = ".building"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
        cols = ", ".join(f'"{c}"' for c in t.column_names)
        # identifiers come from the declared schema, never from input
        con.execute(f'INSERT INTO "{t.name}" ({cols}) SELECT {cols} FROM incoming_frame')  # noqa: S608
    finally:
        con.unregister("incoming_frame")
    return len(data)


def previous_load_runs(published: Path) -> pd.DataFrame | None:
    """The load history of the published warehouse, carried into the next one."""
    if not published.exists():
        return None
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            return con.sql("SELECT * FROM load_runs").df()
    except duckdb.Error:
        return None


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
        con.execute("CHECKPOINT")
        con.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, published)
        dir_fd = os.open(published.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(Exception):
            con.close()
        for p in (tmp, tmp.with_name(tmp.name + ".wal")):
            with contextlib.suppress(OSError):
                p.unlink()
        raise

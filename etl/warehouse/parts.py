"""The published warehouse as one main file and small part files, published together.

A load of a few rows, or the forms' records of the last minute, must not copy an 840 MB file.
So the published warehouse is:

- the main file: the reference data, geometries and organisation (and the demo's oracle),
  written by a build only;
- one small DuckDB file per frequently-changing part: each source's table(s), the ``journal``
  (load runs, quarantine, what the forms published) and the ``recommandations``;
- ``warehouse.parts/manifest.json``: the file of the main part and of each part. Every file
  lives in ``warehouse.parts/``, is named after the run that wrote it and never changes once
  published; ``warehouse.duckdb`` is a link to the current main file, for tools that read the
  reference data.

A change copies the parts it changes (a few MB), writes them, then publishes a new manifest
with ``os.replace``: the single step that makes the change visible, all parts at once (a build
too: its main file is one more file of the manifest). A crash before it leaves the published
manifest, hence the published warehouse, as it was. Readers attach the manifest's files
read-only in one connection, with a search path, so that every query names tables as before;
they reopen when the manifest changes (:func:`signature`).

Writers are serialised by a lock file; readers never wait for them. A warehouse without a
manifest (built before this layout, or a test fixture) is read as one file, and changed by
copying it (:func:`etl.warehouse.publish.updating`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl.analytics.tables import RECO_TABLES
from etl.files import fsync
from etl.sources.registry import SOURCES
from etl.warehouse import schema
from etl.warehouse.publish import NoWarehouse, updating, write_init_sql
from etl.warehouse.tables import Table, ident

MANIFEST = "manifest.json"
LOCK = ".lock"
MAIN = "main"
MAIN_CATALOG = "wh"
BUILDING = ".building"
#: an unpublished file, or a replaced one this long after its replacement, is removed by the
#: next publication (a reader that read the previous manifest just before has long attached
#: its files by then; should it not have, it reads the new manifest and attaches those)
STALE_SECONDS = 120.0
JOURNAL = "journal"
RECOMMANDATIONS = "recommandations"


def parts_dir(published: Path) -> Path:
    return published.with_name(published.stem + ".parts")


def manifest_path(published: Path) -> Path:
    return parts_dir(published) / MANIFEST


def catalog(part: str) -> str:
    """The catalog name a part is attached under."""
    return MAIN_CATALOG if part == MAIN else ident("p_" + part).strip('"')


# --- which table lives where ------------------------------------------------------------------

def part_tables() -> dict[str, tuple[Table, ...]]:
    """Part name → its tables (the main part: every table no other part holds)."""
    out: dict[str, tuple[Table, ...]] = {
        s.name: (s.warehouse_table(), *s.children) for s in SOURCES.values()}
    out[JOURNAL] = (schema.LOAD_RUNS, schema.QUARANTINE, schema.SAISIE_PUBLICATION)
    out[RECOMMANDATIONS] = tuple(RECO_TABLES)
    in_parts = {t.name for tables in out.values() for t in tables}
    return {MAIN: tuple(t for t in schema.TABLES if t.name not in in_parts), **out}


def source_parts() -> list[str]:
    return list(SOURCES)


# --- the manifest -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Manifest:
    files: dict[str, str] = field(default_factory=dict)  # part (and "main") → file name

    def path(self, published: Path, part: str) -> Path:
        return parts_dir(published) / self.files[part]


def read_manifest(published: Path) -> Manifest | None:
    try:
        raw = json.loads(manifest_path(published).read_text("utf-8"))
    except FileNotFoundError:
        return None
    return Manifest({str(k): str(v) for k, v in raw["files"].items()})


def write_manifest(published: Path, manifest: Manifest) -> None:
    """Publish ``manifest`` atomically (write, fsync, rename, fsync the folder), then its init
    SQL (``warehouse.sql``: every table from any DuckDB client, see
    :func:`etl.warehouse.publish.init_sql`) and point ``published`` (a link, for tools reading
    the reference data) at its main file. Between the two renames the init SQL still names the
    previous manifest's files, which stay for their grace period: either text is a whole
    publication; a crash between them leaves it one publication behind until the next."""
    folder = parts_dir(published)
    tmp = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"files": manifest.files}, indent=1, sort_keys=True), "utf-8")
    fsync(tmp)
    os.replace(tmp, folder / MANIFEST)
    fsync(folder)
    write_init_sql(published, init_sql_files(published, manifest))
    _link_main(published, manifest)


def init_sql_files(published: Path, manifest: Manifest) -> dict[str, str]:
    """Catalog → file relative to the published warehouse's folder, the main part first."""
    order = [MAIN, *sorted(p for p in manifest.files if p != MAIN)]
    return {catalog(p): f"{parts_dir(published).name}/{manifest.files[p]}" for p in order
            if p in manifest.files}


def _link_main(published: Path, manifest: Manifest) -> None:
    target = Path(parts_dir(published).name) / manifest.files[MAIN]
    if published.is_symlink() and Path(os.readlink(published)) == target:
        return
    link = published.with_name(f".{published.name}.{os.getpid()}.link")
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(target, link)
    os.replace(link, published)
    fsync(published.parent)


def signature(published: Path) -> tuple:
    """Identity of what is published (device, inode, modification time, size of the manifest,
    or of the one file without one). FileNotFoundError when nothing is published."""
    try:
        st = os.stat(manifest_path(published))
    except FileNotFoundError:
        st = os.stat(published)
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def is_split(published: Path) -> bool:
    return manifest_path(published).exists()


# --- readers ----------------------------------------------------------------------------------

def attach(con: duckdb.DuckDBPyConnection, published: Path, manifest: Manifest,
           writable: dict[str, Path] | None = None) -> None:
    """Attach the manifest's files to ``con`` (an in-memory connection) and set the search path
    so that tables are named as in one file: ``writable`` parts (part → a file being written)
    read-write, every other one read-only."""
    writable = writable or {}
    catalogs = []
    for part, path in writable.items():
        con.execute(f"ATTACH ? AS {catalog(part)}", [str(path)])
        catalogs.append(catalog(part))
    for part in sorted(manifest.files):
        if part not in writable:
            con.execute(f"ATTACH ? AS {catalog(part)} (READ_ONLY)",
                        [str(manifest.path(published, part))])
            catalogs.append(catalog(part))
    set_search_path(con, catalogs)


def set_search_path(con: duckdb.DuckDBPyConnection, catalogs: list[str]) -> None:
    con.execute("SET search_path = ?", [",".join(f"{c}.main" for c in catalogs)])


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of ``con`` that names tables as ``con`` does (the search path is a setting of
    each DuckDB connection, and a cursor is a new one)."""
    path = con.execute("SELECT current_setting('search_path')").fetchall()[0][0]
    cur = con.cursor()
    if path:
        cur.execute("SET search_path = ?", [path])
    return cur


def connect(published: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, all parts attached (a warehouse
    without a manifest: its one file). FileNotFoundError when nothing is published."""
    published = Path(published)
    for attempt in range(100):
        manifest = read_manifest(published)
        if manifest is None:
            if not published.exists():
                raise FileNotFoundError(str(published))
            return duckdb.connect(str(published), read_only=True)
        con = duckdb.connect()
        try:
            attach(con, published, manifest)
            return con
        except duckdb.IOException:
            # a file of the manifest read was removed meanwhile: read the new manifest
            con.close()
            if attempt == 99:
                raise
            time.sleep(0.01)
    raise AssertionError("unreachable")


def previous_load_runs(published: Path) -> pd.DataFrame | None:
    """The load history of the published warehouse, carried into the next one."""
    try:
        with connect(published) as con:
            return con.sql("SELECT * FROM load_runs").df()
    except (duckdb.Error, FileNotFoundError):
        return None


# --- writers ----------------------------------------------------------------------------------

@contextlib.contextmanager
def writer_lock(published: Path, seconds: float = 1800.0) -> Iterator[None]:
    """One writer at a time publishes (loads, refresh, builds); readers never wait for it."""
    folder = parts_dir(published)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+") as f:
        deadline = time.monotonic() + seconds
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"L'entrepôt {published} est en cours de modification par un autre "
                        f"processus depuis plus de {seconds:.0f} s.") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def create_part_tables(con: duckdb.DuckDBPyConnection, part: str) -> None:
    """The part's declared tables in its attached catalog (those missing, and columns declared
    since the file was written). Leaves the search path to the caller."""
    cat = catalog(part)
    con.execute(f"USE {cat}")
    for t in part_tables()[part]:
        con.execute(t.ddl(if_not_exists=True))
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_name = ?", [cat, t.name]).fetchall()}
        for c in t.columns:
            if c.name not in have:
                con.execute(f"ALTER TABLE {ident(t.name)} ADD COLUMN {ident(c.name)} "
                            f"{c.sql_type}")
    con.execute("USE memory")


def new_file(published: Path, part: str, run_id: str) -> Path:
    return parts_dir(published) / f"{part}-{run_id}.duckdb{BUILDING}"


def finish_files(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> dict[str, str]:
    """Checkpoint and close the written files, fsync them and give them their published name
    (part → file name); the manifest that names them is written next."""
    con.execute("USE memory")
    for part in files:
        con.execute(f"CHECKPOINT {catalog(part)}")
    con.close()
    names = {}
    for part, path in files.items():
        fsync(path)
        final = path.with_name(path.name.removesuffix(BUILDING))
        os.replace(path, final)
        names[part] = final.name
    return names


def discard(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    with contextlib.suppress(Exception):
        con.close()
    for path in files.values():
        for p in (path, path.with_name(path.name + ".wal")):
            with contextlib.suppress(OSError):
                p.unlink()


def remove_stale(published: Path, manifest: Manifest, now: float | None = None) -> None:
    """Files the manifest no longer names (replaced, or left by a killed writer), once older
    than :data:`STALE_SECONDS`."""
    now = time.time() if now is None else now
    keep = set(manifest.files.values()) | {MANIFEST, LOCK}
    for p in parts_dir(published).iterdir():
        if p.name in keep:
            continue
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > STALE_SECONDS:
                p.unlink()


def publish(published: Path, changed: dict[str, str]) -> Manifest:
    """Name the ``changed`` files (part → file name) in a new manifest; under the writer lock."""
    current = read_manifest(published) or Manifest()
    new = Manifest({**current.files, **changed})
    for part, name in current.files.items():
        if new.files.get(part) != name:
            # the grace period of a replaced file starts now, not when it was written (a main
            # file may be hours old): a reader that has just read the old manifest attaches it
            with contextlib.suppress(OSError):
                os.utime(current.path(published, part))
    write_manifest(published, new)
    remove_stale(published, new)
    return new


@contextlib.contextmanager
def changing(published: Path, run_id: str, parts: list[str]
             ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the published warehouse where ``parts`` are fresh copies, writable;
    on success they are published together (one new manifest), on any error discarded and the
    published warehouse is untouched. Only the changed parts are copied: a few MB, not the
    main file. A warehouse without a manifest is changed as one file (copied)."""
    if not (published.exists() or is_split(published)):
        raise NoWarehouse(f"Aucun entrepôt publié à {published} : lancez d'abord "
                          "`python -m etl build`.")
    if not is_split(published):
        with updating(published, run_id) as con:
            yield con
        return
    with writer_lock(published):
        manifest = read_manifest(published)
        assert manifest is not None  # noqa: S101 - only a build writes the first manifest
        files = {}
        for part in parts:
            path = new_file(published, part, run_id)
            if part in manifest.files:
                shutil.copyfile(manifest.path(published, part), path)
            files[part] = path
        con = duckdb.connect()
        try:
            attach(con, published, manifest, writable=files)
            for part in parts:
                create_part_tables(con, part)
            attach_search_path(con, manifest, files)
            yield con
            names = finish_files(con, files)
        except BaseException:
            discard(con, files)
            raise
        publish(published, names)


def attach_search_path(con: duckdb.DuckDBPyConnection, manifest: Manifest,
                       files: dict[str, Path]) -> None:
    """The search path of :func:`attach` again (creating tables moves the default catalog)."""
    catalogs = [catalog(p) for p in files] + [catalog(p) for p in sorted(manifest.files)
                                              if p not in files]
    set_search_path(con, catalogs)


@contextlib.contextmanager
def building(published: Path, run_id: str, keep_sources: bool = False
             ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a new warehouse: a new main file and new part files, every declared
    table created, published together on success (one new manifest). ``keep_sources``: the
    sources' parts of the published warehouse are kept as they are (attached read-only, and
    named again by the new manifest — as published when it is written, should a load have
    changed one meanwhile) instead of new empty ones. On any error nothing is published."""
    published.parent.mkdir(parents=True, exist_ok=True)
    parts_dir(published).mkdir(parents=True, exist_ok=True)
    previous = read_manifest(published)
    keep = ({p: previous.path(published, p) for p in source_parts() if p in previous.files}
            if keep_sources and previous else {})
    files = {part: new_file(published, part, run_id) for part in part_tables()
             if part not in keep}
    con = duckdb.connect()
    try:
        for part, path in files.items():
            con.execute(f"ATTACH ? AS {catalog(part)}", [str(path)])
        for part, path in keep.items():
            con.execute(f"ATTACH ? AS {catalog(part)} (READ_ONLY)", [str(path)])
        for part in files:
            create_part_tables(con, part)
        con.execute(f"USE {MAIN_CATALOG}")
        set_search_path(con, [catalog(p) for p in dict.fromkeys([MAIN, *files, *keep])])
        yield con
        names = finish_files(con, files)
    except BaseException:
        discard(con, files)
        raise
    with writer_lock(published):
        current = read_manifest(published) or Manifest()
        kept = {p: current.files.get(p, previous.files[p])  # type: ignore[union-attr]
                for p in keep}
        publish(published, {**names, **kept})

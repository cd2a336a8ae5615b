"""The published warehouse exported for tools that read Parquet: one file per table.

``python -m etl export --format parquet DEST`` writes ``DEST/<table>.parquet`` for every table
of the warehouse (its main file and every part, from one manifest: one consistent
publication), then ``DEST/manifest.json`` (tables, files, row counts, when, from what) and a
short ``DEST/LISEZMOI.md``. Everything is written in a hidden folder beside ``DEST`` and renamed
onto it at the end: ``DEST`` either does not exist or holds a whole export, never a partial one
(a killed export leaves only its hidden ``.<DEST>.export-<pid>.tmp`` folder, which the next
export into the same ``DEST`` removes).

``python -m etl export --format sql`` writes the init SQL again (``warehouse.sql``, see
:func:`etl.warehouse.publish.init_sql`): for a warehouse published before it existed, or a data
folder moved since its last publication.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.files import fsync, new_folder_problem
from etl.warehouse import parts, schema
from etl.warehouse.publish import init_sql_path, write_init_sql
from etl.warehouse.tables import quoted, utcnow

MANIFEST = "manifest.json"
README = "LISEZMOI.md"


class ExportError(RuntimeError):
    """The export cannot be done (French message); nothing was left at the destination."""


@dataclass(frozen=True)
class Exported:
    dest: Path
    tables: dict[str, int]  # table → rows

    def line(self) -> str:
        rows = f"{sum(self.tables.values()):,}".replace(",", " ")
        return f"{len(self.tables)} tables exportées ({rows} lignes) dans {self.dest}"


def _check_dest(dest: Path) -> None:
    if (problem := new_folder_problem(dest, "un export")) is not None:
        raise ExportError(problem)


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(catalog, table) of every table of the connection's warehouse, by table name."""
    rows = con.execute(
        "SELECT database_name, table_name FROM duckdb_tables() WHERE NOT internal "
        "AND NOT temporary AND schema_name = 'main' AND database_name NOT IN ('system', 'temp') "
        "ORDER BY table_name").fetchall()
    names = [t for _, t in rows]
    twice = sorted({t for t in names if names.count(t) > 1})
    if twice:
        raise ExportError(f"Tables présentes dans deux fichiers de l'entrepôt : {twice}.")
    return [(str(c), str(t)) for c, t in rows]


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _files_read(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Catalog → name of the file it is (those the connection attached: a publication made
    during the export is not mixed in)."""
    return {str(name): Path(path).name for name, path in con.execute(
        "SELECT database_name, path FROM duckdb_databases() WHERE NOT internal "
        "AND path IS NOT NULL ORDER BY database_name").fetchall()}


def _readme(published: Path, tables: dict[str, int], at: str) -> str:
    lines = ["# Export Parquet de l'entrepôt « Présents pour les élus »", "",
             f"Exporté le {at} (UTC) depuis `{published}` : un fichier Parquet par table, "
             f"lisible par pandas (`pd.read_parquet`), DuckDB (`FROM 'table.parquet'`), R, "
             "Power BI, Tableau… Le sens de chaque colonne : `docs/data-dictionary.md` du "
             "projet. La liste des fichiers, machine-lisible : `manifest.json`.", "",
             "| table | fichier | lignes | description |", "|---|---|---:|---|"]
    declared = {t.name: t.description for t in schema.TABLES}
    for name, n in tables.items():
        about = declared.get(name, "").replace("|", "/").replace("\n", " ")
        lines.append(f"| `{name}` | `{name}.parquet` | {n} | {about} |")
    return "\n".join(lines) + "\n"


def export_parquet(published: Path, dest: Path) -> Exported:
    """Every table of the published warehouse as ``dest/<table>.parquet`` (see the module)."""
    dest = Path(dest).absolute()
    _check_dest(dest)
    try:
        con = parts.connect(published)
    except FileNotFoundError:
        raise ExportError(f"Aucun entrepôt publié à {published} : lancez d'abord "
                          "`python -m etl build`.") from None
    tmp = dest.with_name(f".{dest.name}.export-{os.getpid()}.tmp")
    for old in dest.parent.glob(f".{dest.name}.export-*.tmp"):
        if not _alive(old.name.rsplit("-", 1)[1].removesuffix(".tmp")):
            shutil.rmtree(old, ignore_errors=True)  # left by a killed export
    try:
        tmp.mkdir()
        tables: dict[str, int] = {}
        for cat, name in _tables(con):
            target = tmp / f"{name}.parquet"
            # identifiers: the warehouse's own names, quoted; the path a parameter
            rel = f"{quoted(cat)}.main.{quoted(name)}"
            con.execute(f"COPY (SELECT * FROM {rel}) TO ? (FORMAT parquet, "  # noqa: S608
                        "COMPRESSION zstd)", [str(target)])
            tables[name] = con.execute(f"SELECT count(*) FROM {rel}").fetchall()[0][0]  # noqa: S608
            fsync(target)
        at = utcnow().isoformat(timespec="seconds")
        (tmp / MANIFEST).write_text(json.dumps({
            "entrepot": str(Path(published).absolute()), "exporte_le_utc": at,
            "fichiers_entrepot": _files_read(con),
            "tables": [{"table": n, "fichier": f"{n}.parquet", "lignes": rows}
                       for n, rows in tables.items()]}, indent=1, ensure_ascii=False), "utf-8")
        (tmp / README).write_text(_readme(published, tables, at), "utf-8")
        fsync(tmp / MANIFEST)
        fsync(tmp)
        os.replace(tmp, dest)  # onto nothing, or onto an empty folder (checked)
        fsync(dest.parent)
    except (OSError, duckdb.Error) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExportError(f"Export interrompu, rien n'est laissé dans {dest} : {exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        with contextlib.suppress(Exception):
            con.close()
    return Exported(dest, tables)


def rewrite_init_sql(published: Path) -> Path:
    """The init SQL of the published warehouse written again (under the writer lock: never
    between a publication's manifest and its own init SQL); its path."""
    published = Path(published)
    manifest = parts.read_manifest(published)
    if manifest is None:
        if not published.exists():
            raise ExportError(f"Aucun entrepôt publié à {published} : lancez d'abord "
                              "`python -m etl build`.")
        return write_init_sql(published, {"wh": published.name})
    with parts.writer_lock(published):
        manifest = parts.read_manifest(published)
        assert manifest is not None  # noqa: S101 - a manifest is never removed
        return write_init_sql(published, parts.init_sql_files(published, manifest))


__all__ = ["ExportError", "Exported", "export_parquet", "init_sql_path", "rewrite_init_sql"]

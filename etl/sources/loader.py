"""Loading source files into a warehouse being built: validate, quarantine, upsert by key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from etl import clock
from etl.reference.datafrance import sha256_of
from etl.sources.base import Source
from etl.sources.journal import LOAD_RUNS, QUARANTINE
from etl.sources.registry import SOURCES, source_tables
from etl.sources.validate import (
    LINE,
    FileRejected,
    Known,
    Rejections,
    first_duplicates,
    read_file,
    top_reasons,
    validate,
)
from etl.warehouse.tables import Table, ident, utcnow


@dataclass
class FileReport:
    source: str
    path: str
    sha256: str | None
    read: int = 0
    loaded: int = 0
    replaced: int = 0
    unchanged: int = 0
    quarantined: int = 0
    reasons: str = ""
    rejected_file: str = ""  # why the whole file was refused

    @property
    def ok(self) -> bool:
        return not self.rejected_file

    def line(self) -> str:
        name = Path(self.path).name
        if not self.ok:
            return f"{self.source:<12} {name} : REFUSÉ — {self.rejected_file}"
        text = (f"{self.source:<12} {name} : {self.read} lues, {self.loaded} chargées, "
                f"{self.replaced} remplacées, {self.unchanged} déjà présentes, "
                f"{self.quarantined} en quarantaine")
        return text + (f" — motifs : {self.reasons}" if self.reasons else "")


def known_codes(con: duckdb.DuckDBPyConnection) -> Known:
    """The reference codes, and the parent keys the sources' ``Ref`` fields point to, as the
    warehouse being built holds them now (read again before each source: parents first)."""
    def col(sql: str) -> set[str]:
        return {r[0] for r in con.execute(sql).fetchall()}

    refs = {(f.ref.table, f.ref.column) for s in SOURCES.values() for f in s.fields if f.ref}
    return Known(communes=col("SELECT code FROM communes"),
                 departements=col("SELECT code FROM departements"),
                 brigades=col("SELECT brigade_id FROM brigades"),
                 # identifiers from the declarations, checked when each Table is declared
                 parents={(t, c): col(f"SELECT DISTINCT {ident(c)} FROM {ident(t)}")  # noqa: S608
                          for t, c in sorted(refs)})


def load_file(con: duckdb.DuckDBPyConnection, source: Source, path: Path, run_id: str,
              known: Known, synthetic: bool = False, today: date | None = None) -> FileReport:
    """Load one file into ``con`` (a warehouse being built) and record it in load_runs."""
    started = utcnow()
    sha = sha256_of(path) if path.is_file() else None
    report = FileReport(source.name, str(path), sha)
    rejections = Rejections()
    try:
        raw = read_file(path, rejections)
        headers = [c for c in raw.columns if c != LINE]
        mapping, missing = source.match_headers(headers)
        if missing:
            raise FileRejected("colonnes obligatoires absentes : " + ", ".join(missing))
        names = [mapping.get(h, h) for h in headers]
        twice = sorted({n for n in names if names.count(n) > 1 and n in mapping.values()})
        if twice:
            raise FileRejected("colonnes présentes plusieurs fois : " + ", ".join(twice))
        report.read = len(raw) + len({r[0] for r in rejections.rows})
        _validate_and_upsert(con, source, raw, mapping, path, run_id, known, synthetic,
                             today or clock.today(), rejections, report)
    except FileRejected as exc:
        report.rejected_file = str(exc)
    _finish(con, source, report, rejections, run_id, started, synthetic)
    return report


def load_records(con: duckdb.DuckDBPyConnection, source: Source, raw: pd.DataFrame,
                 label: str, run_id: str, known: Known, today: date | None = None
                 ) -> FileReport:
    """Load rows that did not come from a file (the input forms' records, as the cells of a
    file: one column per field, and ``LINE``, the record's number) through the same
    validation, key upsert and quarantine as a file's rows; recorded in load_runs as
    ``label``."""
    started = utcnow()
    report = FileReport(source.name, label, label)
    rejections = Rejections()
    report.read = len(raw)
    _validate_and_upsert(con, source, raw, {}, Path(label), run_id, known, False,
                         today or clock.today(), rejections, report)
    _finish(con, source, report, rejections, run_id, started, False)
    return report


def _validate_and_upsert(con, source: Source, raw: pd.DataFrame, mapping: dict[str, str],
                         path: Path, run_id: str, known: Known, synthetic: bool, today: date,
                         rejections: Rejections, report: FileReport) -> None:
    good = validate(source, raw, mapping, known, today, rejections)
    good = first_duplicates(good, list(source.key), rejections, [f.name for f in source.fields])
    if source.derive is not None:
        good = source.derive(good)
    _upsert(con, source, good, path, run_id, synthetic, report)


def _finish(con, source: Source, report: FileReport, rejections: Rejections, run_id: str,
            started, synthetic: bool) -> None:
    """Quarantine (replacing that of an earlier load of the same file) and the load run."""
    rej = rejections.frame()
    report.quarantined = len(rej)
    report.reasons = top_reasons(rej)
    sha = report.sha256
    if sha is not None:
        con.execute("DELETE FROM quarantine WHERE source = ? AND sha256 = ?", [source.name, sha])
    if len(rej) and sha is not None:
        rej = rej.assign(source=source.name, fichier=report.path, sha256=sha, run_id=run_id,
                         charge_le=started)
        _insert(con, "quarantine", rej)
    _record(con, report, run_id, started, synthetic)


def _upsert(con, source: Source, good: pd.DataFrame, path: Path, run_id: str, synthetic: bool,
            report: FileReport) -> None:
    table = source.warehouse_table()
    key = list(source.key)
    good = good.assign(synthetique=synthetic, fichier=str(path), run_id=run_id)
    con.register("incoming_keys", good[key + ["empreinte"]])
    try:
        on = " AND ".join(f't."{k}" = i."{k}"' for k in key)
        # identifiers come from the declared schema, never from input
        existing = con.execute(
            f'SELECT i.*, t.empreinte AS old FROM incoming_keys i JOIN "{table.name}" t ON {on}'  # noqa: S608
        ).df()
    finally:
        con.unregister("incoming_keys")
    same = existing[existing["old"] == existing["empreinte"]]
    changed = existing[existing["old"] != existing["empreinte"]]
    report.unchanged, report.replaced = len(same), len(changed)
    if len(same):
        marker = same[key].assign(_skip=True)
        good = good.merge(marker, on=key, how="left")
        good = good[good["_skip"].isna()].drop(columns="_skip")
    if len(changed):
        delete_keys(con, table.name, changed[key], key)
        for child in source.children:
            delete_keys(con, child.name, changed[key], key)
    report.loaded = len(good) - len(changed)
    _insert(con, table.name, good)
    if source.explode is not None and len(good):
        for child_name, rows in source.explode(good).items():
            _insert(con, child_name, rows.assign(synthetique=synthetic))


def delete_keys(con, table: str, keys: pd.DataFrame, key: list[str]) -> None:
    con.register("deleted_keys", keys)
    try:
        on = " AND ".join(f"{ident(table)}.{ident(k)} = d.{ident(k)}" for k in key)
        con.execute(f"DELETE FROM {ident(table)} USING deleted_keys d WHERE {on}")  # noqa: S608
    finally:
        con.unregister("deleted_keys")


def _tables() -> dict[str, Table]:
    """The tables the loader writes: the sources' and the journal's."""
    return {t.name: t for t in (*source_tables(), LOAD_RUNS, QUARANTINE)}


def _insert(con, table_name: str, frame: pd.DataFrame) -> None:
    """Rows in the table's storage order (its key, for source tables): the order the dashboard
    filters on, and a faster primary-key insert."""
    table = _tables()[table_name]
    cols = table.column_names
    data = frame.reindex(columns=cols)
    con.register("incoming_rows", data)
    try:
        names = ", ".join(ident(c) for c in cols)
        order = (" ORDER BY " + ", ".join(ident(c) for c in table.order_by)
                 if table.order_by else "")
        con.execute(f"INSERT INTO {ident(table_name)} ({names}) "  # noqa: S608
                    f"SELECT {names} FROM incoming_rows{order}")
    finally:
        con.unregister("incoming_rows")


def _record(con, report: FileReport, run_id: str, started, synthetic: bool) -> None:
    status = "succes" if report.ok else "echec"
    message = report.rejected_file or (f"motifs de quarantaine : {report.reasons}"
                                       if report.reasons else "chargé")
    row = {"run_id": run_id, "source": report.source, "fichier": report.path,
           "sha256": report.sha256, "lignes_lues": report.read,
           "lignes_chargees": report.loaded, "lignes_rejetees": report.quarantined,
           "lignes_remplacees": report.replaced, "lignes_inchangees": report.unchanged,
           "synthetique": synthetic, "debut": started, "fin": utcnow(), "statut": status,
           "message": message[:2000]}
    _insert(con, "load_runs", pd.DataFrame([row]))

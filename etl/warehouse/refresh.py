"""Publishing the input forms' records into the analytics: ``python -m etl refresh [--watch]``.

The forms write to the operational store (``etl.ops.records``); the analytical pages read the
published warehouse. A refresh reads what the forms wrote since the last one (the store's
``saisie_historique``, from the last entry each source's publication recorded in the
warehouse's ``saisie_publication``), passes each changed record through the source's loader
as a file row would go (same validation, key upsert, quarantine, load run), removes the deleted
ones, and publishes the sources' parts and the journal together (``etl.warehouse.parts``): it
costs what changed, not the warehouse. Nothing new: nothing is written.

The SMS alerts reach the analytics through the same door: each refresh also passes the
alerts validated in the store (``alertes``, as rows of the ``alerts`` source) and the messages
the gateway accepted (``alert_outbox`` with a gateway id, as rows of the ``dlr`` source: the
delivery reports) through their loaders. Every source goes in the registry's load order
(``etl.sources.registry.SOURCES``: the contacts before the alerts, the alerts before their
deliveries), so that a new form source is published with no change here. What changed since
the last publication is read from the rows' ``updated_at`` (the watermark of
``saisie_publication``, read again :data:`LOOKBACK` earlier). Times go into the warehouse in
France's local time, as in the files.

``--watch`` repeats it every ``PRESENCE_REFRESH_SECONDS`` (15 by default): a record is on the
analytical pages well within a minute. `python -m dashboard` starts it beside the server. Only
one refresh runs at a time (a lock file); a killed refresh publishes nothing, and the next one
publishes everything again from the last published entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
from sqlalchemy import Engine, Table, func, or_, select

from etl.ops.record_tables import FORM_SOURCES
from etl.ops.store import alert_outbox, alertes, get_engine, record_history, record_tables
from etl.settings import Settings
from etl.sources.base import Source
from etl.sources.loader import FileReport, delete_keys, known_codes, load_records
from etl.sources.registry import SOURCES
from etl.sources.validate import LINE
from etl.warehouse import parts
from etl.warehouse.tables import ident, utcnow

log = logging.getLogger(__name__)

#: entries this much older than the last published one are read again: on PostgreSQL an entry
#: may be committed after one with a higher number
LOOKBACK = timedelta(minutes=2)
CHUNK = 500


def label(source_name: str) -> str:
    """The ``fichier`` of a form record in the warehouse, and its load runs' name."""
    return f"saisie:{source_name}"


@dataclass
class RefreshReport:
    loaded: dict[str, FileReport] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: bool = False  # another refresh was running

    @property
    def changed(self) -> bool:
        return bool(self.loaded or self.removed)

    def lines(self) -> list[str]:
        if self.skipped:
            return ["Une autre publication des saisies est en cours : rien à faire."]
        if not self.changed:
            return ["Aucune nouvelle saisie à publier."]
        out = [r.line() for r in self.loaded.values()]
        out += [f"{name:<12} {n} saisie(s) supprimée(s) retirée(s) de l'entrepôt"
                for name, n in self.removed.items() if n]
        return out + [f"Publié en {self.seconds:.2f} s."]


def published_marks(published) -> dict[str, tuple[int, datetime]]:
    """Per form source: the last history entry published and when (none yet: absent)."""
    try:
        with parts.connect(published) as con:
            rows = con.execute("SELECT source, dernier_historique, publie_le "
                               "FROM saisie_publication").fetchall()
    except (FileNotFoundError, duckdb.CatalogException):
        return {}
    return {r[0]: (int(r[1]), r[2]) for r in rows}


def pending(engine: Engine, marks: dict[str, tuple[int, datetime]]
            ) -> dict[str, tuple[list[int], int]]:
    """Per source with new history entries: (the records to publish again, the last entry)."""
    h = record_history
    out = {}
    with engine.connect() as con:
        for name in FORM_SOURCES:
            mark, at = marks.get(name, (0, None))
            newest = con.execute(select(func.max(h.c.id)).where(h.c.source == name)).scalar()
            if newest is None or newest <= mark:
                continue
            since = h.c.id > mark if at is None else or_(h.c.id > mark, h.c.at >= at - LOOKBACK)
            ids = [r[0] for r in con.execute(select(h.c.record_id).distinct().where(
                h.c.source == name, since))]
            out[name] = (sorted(ids), int(newest))
    return out


def _cell(value) -> str | None:
    """A stored value as the cell of a file of the source (what its loader reads)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _records(engine: Engine, name: str, ids: list[int]) -> list[dict]:
    table = record_tables[name]
    rows: list[dict] = []
    with engine.connect() as con:
        for i in range(0, len(ids), CHUNK):
            rows += [dict(r) for r in con.execute(
                select(table).where(table.c.id.in_(ids[i:i + CHUNK]))).mappings()]
    return rows


def _publish_source(con: duckdb.DuckDBPyConnection, source: Source, rows: list[dict],
                    newest: int, run_id: str, today: date | None
                    ) -> tuple[FileReport | None, int]:
    live = [r for r in rows if not r["deleted"]]
    gone = [r for r in rows if r["deleted"]]
    report = None
    if live:
        raw = pd.DataFrame([{**{f.name: _cell(r[f.name]) for f in source.fields},
                             LINE: r["id"]} for r in live], dtype=object)
        report = load_records(con, source, raw, label(source.name), run_id, known_codes(con),
                              today)
    if gone:
        keys = pd.DataFrame([{k: r[k] for k in source.key} for r in gone])
        delete_keys(con, source.table, keys, list(source.key))
        for child in source.children:
            delete_keys(con, child.name, keys, list(source.key))
    # identifiers from the declaration, checked by ident()
    count = con.execute(f"SELECT count(*) FROM {ident(source.table)} "  # noqa: S608
                        "WHERE fichier = ?", [label(source.name)]).fetchall()[0][0]
    con.execute("DELETE FROM saisie_publication WHERE source = ?", [source.name])
    con.execute("INSERT INTO saisie_publication VALUES (?, ?, ?, ?)",
                [source.name, newest, count, utcnow()])
    return report, len(gone)


# --- the SMS alerts of the store --------------------------------------------------------------

#: the statuses of the store's alerts that are published (validated, then sent)
PUBLISHED_STATUTS = ("validee", "envoyee")


def _local(utc: datetime | None) -> datetime | None:
    from etl.alerts.workflow import to_local

    return to_local(utc)


def _alert_rows(con, since: datetime | None) -> list[dict]:
    a = alertes
    query = select(a).where(a.c.statut.in_(PUBLISHED_STATUTS))
    if since is not None:
        query = query.where(a.c.updated_at >= since)
    return [{
        LINE: r["id"], "id_alerte": r["id_alerte"], "cree_le": _cell(_local(r["created_at"])),
        "faits_le": _cell(r["faits_le"]), "unite_auteur": r["unite_auteur"],
        "categorie": r["categorie"], "message": r["message"],
        "communes_ciblees": r["communes"], "nb_destinataires": str(r["recipients"]),
        "statut": r["statut"], "_updated": r["updated_at"]}
        for r in con.execute(query.order_by(a.c.id)).mappings()]


def _delivery_rows(con, since: datetime | None) -> list[dict]:
    o = alert_outbox
    query = select(o.c.id, o.c.gateway_id, o.c.id_alerte, o.c.id_contact, o.c.sent_at,
                   o.c.dlr_state, o.c.dlr_at, o.c.updated_at).where(o.c.gateway_id.is_not(None))
    if since is not None:
        query = query.where(o.c.updated_at >= since)
    return [{
        LINE: r["id"], "id_message": r["gateway_id"], "id_alerte": r["id_alerte"],
        "id_contact": r["id_contact"], "soumis_le": _cell(_local(r["sent_at"])),
        "etat": r["dlr_state"] or "ENROUTE", "etat_le": _cell(_local(r["dlr_at"])),
        "_updated": r["updated_at"]}
        for r in con.execute(query.order_by(o.c.id)).mappings()]


#: the store's tables behind the sources the SMS alerts publish, by the source's name in the
#: registry (``etl.sources.registry.SOURCES``, which declares them), and how their rows are read
STORE_SOURCES: dict[str, tuple[Table, Callable]] = {
    "alerts": (alertes, _alert_rows), "dlr": (alert_outbox, _delivery_rows)}


def published_sources() -> list[str]:
    """The sources a refresh publishes — the forms' (``FORM_SOURCES``) and the store's
    (:data:`STORE_SOURCES`) — in the registry's load order (parents first: the contacts
    before the alerts, the alerts before their deliveries). A name the registry does not
    declare is an error."""
    unknown = sorted((set(FORM_SOURCES) | set(STORE_SOURCES)) - set(SOURCES))
    if unknown:
        raise RuntimeError(f"refresh: sources not in etl/sources/registry.py: {unknown}")
    return [name for name in SOURCES if name in FORM_SOURCES or name in STORE_SOURCES]


def pending_store(engine: Engine, marks: dict[str, tuple[int, datetime]]
                  ) -> dict[str, tuple[list[dict], datetime]]:
    """Per store source with rows changed since its last publication: (the rows to publish —
    those changed since the watermark minus :data:`LOOKBACK` —, the new watermark: the
    newest ``updated_at`` read)."""
    out = {}
    with engine.connect() as con:
        for name, (table, read) in STORE_SOURCES.items():
            _mark, at = marks.get(name, (0, None))
            newest = con.execute(select(func.max(table.c.updated_at))).scalar()
            if newest is None or (at is not None and newest <= at):
                continue
            rows = read(con, None if at is None else at - LOOKBACK)
            # only rows read again (the look-back) and none new: nothing to publish
            if rows and (at is None or any(r["_updated"] > at for r in rows)):
                out[name] = (rows, max(r["_updated"] for r in rows))
    return out


def _publish_store_source(con: duckdb.DuckDBPyConnection, source: Source, rows: list[dict],
                          watermark: datetime, run_id: str, today: date | None
                          ) -> FileReport:
    raw = pd.DataFrame([{**{f.name: r[f.name] for f in source.fields}, LINE: r[LINE]}
                        for r in rows], dtype=object)
    report = load_records(con, source, raw, label(source.name), run_id, known_codes(con), today)
    count = con.execute(f"SELECT count(*) FROM {ident(source.table)} "  # noqa: S608
                        "WHERE fichier = ?", [label(source.name)]).fetchall()[0][0]
    last = max(r[LINE] for r in rows)
    con.execute("DELETE FROM saisie_publication WHERE source = ?", [source.name])
    con.execute("INSERT INTO saisie_publication VALUES (?, ?, ?, ?)",
                [source.name, last, count, watermark])
    return report


@contextlib.contextmanager
def _only_one(settings: Settings) -> Iterator[bool]:
    """Whether this process may refresh now (no other refresh is running)."""
    folder = parts.parts_dir(settings.warehouse_path)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".refresh.lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def refresh(settings: Settings, engine: Engine | None = None, today: date | None = None
            ) -> RefreshReport:
    """Publish the forms' records written since the last refresh (see the module's text)."""
    from etl.warehouse.build import new_run_id

    t0 = time.monotonic()
    engine = engine or get_engine(settings.ops_url)
    out = RefreshReport()
    with _only_one(settings) as mine:
        if not mine:
            out.skipped = True
            return out
        marks = published_marks(settings.warehouse_path)
        work = pending(engine, marks)
        alerts = pending_store(engine, marks)
        if not work and not alerts:
            return out
        run_id = new_run_id()
        rows = {name: _records(engine, name, ids) for name, (ids, _) in work.items()}
        changed = [*work, *alerts, parts.JOURNAL]
        with parts.changing(settings.warehouse_path, run_id, changed) as con:
            # in the registry's order: a row is checked against its parents, published first
            for name in published_sources():
                if name in work:
                    report, removed = _publish_source(con, FORM_SOURCES[name], rows[name],
                                                      work[name][1], run_id, today)
                    if report is not None:
                        out.loaded[name] = report
                    if removed:
                        out.removed[name] = removed
                if name in alerts:
                    source_rows, watermark = alerts[name]
                    out.loaded[name] = _publish_store_source(
                        con, SOURCES[name], source_rows, watermark, run_id, today)
    out.seconds = time.monotonic() - t0
    return out


def watch(settings: Settings, interval: float, stop: threading.Event | None = None,
          report: Callable[[str], None] = print, parent: int | None = None) -> None:
    """:func:`refresh` every ``interval`` seconds until ``stop`` is set (or the process
    ``parent``, which started this one, has ended); a failed round is logged and the next one
    tries again."""
    stop = stop or threading.Event()
    engine = get_engine(settings.ops_url)
    while not stop.is_set() and (parent is None or os.getppid() == parent):
        try:
            result = refresh(settings, engine)
            if result.changed:
                for line in result.lines():
                    report(line)
        except Exception:  # noqa: BLE001 - the watcher outlives one bad round
            log.exception("refresh failed; next attempt in %.0f s", interval)
        stop.wait(interval)

"""Queries of the DCAS work list (« Suivi des attentes DCAS »): the open expectations of a
territory's communes, read from the operational store directly (a record entered by a form is
listed at once) and, for the consultations the store does not hold yet, from the warehouse
(files and demo data: « importées »); one consultation and its history. (The follow-up is
written through the forms' door, ``dashboard.pages._saisie``.)

The store is read with SQLAlchemy Core (``select``, values as bound parameters); the warehouse
with parameterised DuckDB SQL through :func:`scoping.scoped`. Like the applied plans of the
recommendations (``queries.recommandations.decisions``), these reads live in the queries layer:
its contract forbids Dash, Flask and Plotly, not SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import Engine, select

from dashboard.core.scope import Scope
from dashboard.core.warehouse import Warehouse
from dashboard.queries.scoping import plain, run, scoped
from etl.ops import records
from etl.ops.store import record_tables
from etl.sources.dcas import DCAS

SOURCE = "dcas"
#: statuses of an expectation still to be met
OPEN_STATUSES = ("a_traiter", "en_cours")
#: origin of a listed consultation: entered through the forms (store) or loaded from a file
STORED, IMPORTED = "saisie", "importee"
#: the source's fields, in the declaration's order (the columns of both origins)
FIELDS = tuple(f.name for f in DCAS.fields)
KEY = DCAS.key[0]
#: values per ``IN`` list (well under SQLite's and PostgreSQL's bound-parameter limits)
CHUNK = 900
#: what the work list frame holds, whatever its origin
COLUMNS = ("origine", "record_id", "version", *FIELDS)

COMMUNES_SQL = """
SELECT c.code, c.nom, c.brigade_id, c.departement
FROM communes AS c
WHERE /*scope*/
ORDER BY c.code
"""

IMPORTED_SQL = """
SELECT d.id_consultation, d.date_consultation, d.code_commune, d.brigade_id, d.fonction_elu,
       d.canal, d.attentes, d.creneaux, d.priorite, d.actions_suivi, d.statut, d.date_suivi,
       d.satisfaction
FROM dcas_consultations AS d
JOIN communes AS c ON c.code = d.code_commune
WHERE /*scope*/ AND d.statut IN ('a_traiter', 'en_cours')
ORDER BY d.date_consultation, d.id_consultation
"""

ONE_IMPORTED_SQL = """
SELECT d.id_consultation, d.date_consultation, d.code_commune, d.brigade_id, d.fonction_elu,
       d.canal, d.attentes, d.creneaux, d.priorite, d.actions_suivi, d.statut, d.date_suivi,
       d.satisfaction
FROM dcas_consultations AS d
WHERE d.id_consultation = $ident
"""


def _chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


# --- territory ---------------------------------------------------------------------------------

def communes_of(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """The territory's communes: code, nom, brigade_id, departement."""
    sql, params = scoped(COMMUNES_SQL, scope)
    return run(warehouse, sql, params)


def commune_names(warehouse: Warehouse, codes: Sequence[str]) -> dict[str, str]:
    frame = warehouse.query("SELECT code, nom FROM communes WHERE code IN (SELECT unnest($codes))",
                            {"codes": list(codes)})
    return dict(zip(frame["code"], frame["nom"], strict=True))


# --- the work list -----------------------------------------------------------------------------

def stored_open(engine: Engine, communes: Sequence[str]) -> pd.DataFrame:
    """The store's open consultations (not deleted) of ``communes``, with their record id and
    version."""
    table = record_tables[SOURCE]
    rows: list[dict] = []
    with engine.connect() as con:
        for part in _chunks(sorted(set(communes))):
            query = (select(table.c.id.label("record_id"), table.c.version,
                            *[table.c[f] for f in FIELDS])
                     .where(table.c.deleted.is_(False), table.c.statut.in_(OPEN_STATUSES),
                            table.c.code_commune.in_(part))
                     .order_by(table.c.date_consultation, table.c.id))
            rows += [dict(r) for r in con.execute(query).mappings()]
    if not rows:
        return _empty()
    frame = pd.DataFrame(rows)
    frame["origine"] = STORED
    return frame[list(COLUMNS)]


def stored_keys(engine: Engine, idents: Iterable[str]) -> set[str]:
    """Which of ``idents`` the store holds, in whatever state (open, closed or deleted): the
    store's record supersedes the imported row of the same key."""
    table = record_tables[SOURCE]
    found: set[str] = set()
    with engine.connect() as con:
        for part in _chunks(sorted(set(idents))):
            found |= set(con.execute(select(table.c[KEY]).where(table.c[KEY].in_(part)))
                         .scalars())
    return found


def imported_open(warehouse: Warehouse, scope: Scope) -> pd.DataFrame:
    """The warehouse's open consultations of the territory's communes (every origin the
    warehouse holds)."""
    sql, params = scoped(IMPORTED_SQL, scope)
    frame = run(warehouse, sql, params)
    if frame.empty:
        return _empty()
    frame["origine"] = IMPORTED
    frame["record_id"] = None
    frame["version"] = None
    return frame[list(COLUMNS)]


def work_list(warehouse: Warehouse, engine: Engine, scope: Scope
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the open consultations of the territory — the store's, then the imported ones whose key
    the store does not hold —, the territory's communes)."""
    communes = communes_of(warehouse, scope)
    stored = stored_open(engine, communes["code"].tolist())
    imported = imported_open(warehouse, scope)
    if not imported.empty:
        taken = stored_keys(engine, imported[KEY].tolist())
        imported = imported[~imported[KEY].isin(taken)]
    parts = [f for f in (stored, imported) if not f.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else _empty()
    return frame.astype({"record_id": object, "version": object}), communes


# --- one consultation --------------------------------------------------------------------------

def stored_by_key(engine: Engine, ident: str) -> dict | None:
    """The store's record of consultation ``ident`` (deleted ones too), or None."""
    table = record_tables[SOURCE]
    with engine.connect() as con:
        row = con.execute(select(table).where(table.c[KEY] == ident)).mappings().first()
    return None if row is None else dict(row)


def imported_record(warehouse: Warehouse, ident: str) -> dict | None:
    """The warehouse's consultation ``ident`` as form values (dates as dates, no NaN), or
    None."""
    frame = warehouse.query(ONE_IMPORTED_SQL, {"ident": ident})
    if frame.empty:
        return None
    row = frame.iloc[0]
    out = {}
    for f in DCAS.fields:
        value = plain(row[f.name])
        if value is not None and f.kind == "date":
            value = pd.Timestamp(value).date()
        out[f.name] = value
    return out


def consultation(engine: Engine, warehouse: Warehouse, ident: str
                 ) -> tuple[str, dict, dict | None] | None:
    """(origin, values, the store's record or None) of consultation ``ident``: the store's when
    it holds it (the imported row of the same key is superseded), else the warehouse's; None
    when it is in neither, or deleted in the store."""
    stored = stored_by_key(engine, ident)
    if stored is not None:
        return None if stored["deleted"] else (STORED, stored, stored)
    values = imported_record(warehouse, ident)
    return None if values is None else (IMPORTED, values, None)


def history(engine: Engine, record_id: int) -> list[dict]:
    return records.history(engine, SOURCE, record_id)

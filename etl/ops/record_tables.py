"""The operational store's tables of the input forms, derived from the source declarations.

Each form source (``etl/sources/<source>.py``) gets a table ``saisie_<source>``: the source's
fields (nullable when not required, the source's key unique) and the record's bookkeeping (its
id shown to the user, version, who and when, a soft-delete flag and the form's idempotency
key). One table ``saisie_historique`` keeps every version of every record (before/after, JSON).

This module does not import ``store.py`` (which builds these tables on its ``metadata``). A
change to a form source's fields changes these tables: it needs a new migration revision.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from etl.ops.limits import IDEMPOTENCY_KEY_MAX, MAX_CODE
from etl.sources.base import SQL_TYPES, Source
from etl.sources.complaints import COMPLAINTS
from etl.sources.contacts import CONTACTS_FORM
from etl.sources.dcas import DCAS
from etl.sources.diagnostics import DIAGNOSTICS
from etl.sources.immersions import IMMERSIONS
from etl.sources.trainings import TRAININGS

#: SQLAlchemy type of each field kind (the DuckDB one is ``etl.sources.base.SQL_TYPES``); the
#: string sizes bound what a form may store
SA_TYPES: dict[str, TypeEngine] = {
    "text": Text(), "code": String(MAX_CODE), "insee": String(5), "departement": String(3),
    "brigade": String(32), "enum": String(64), "list": String(500), "int": BigInteger(),
    "float": Float(), "date": Date(), "datetime": DateTime(), "month": Date(),
    "bool": Boolean(),
}
assert set(SA_TYPES) == set(SQL_TYPES), "a field kind without its SQLAlchemy type"

#: the sources recorded through the forms, by name (contacts: the élus' alert contacts, whose
#: opt-out is recorded here at once, revision 0006; its declaration with the example of the
#: ids the store makes, ``CT-S000001``)
FORM_SOURCES: dict[str, Source] = {s.name: s for s in (
    DCAS, COMPLAINTS, TRAININGS, IMMERSIONS, DIAGNOSTICS, CONTACTS_FORM)}

#: actions of the history
ACTIONS = ("creation", "correction", "suppression")


def table_name(source: Source) -> str:
    return f"saisie_{source.name}"


def record_table(metadata: MetaData, source: Source) -> Table:
    """``saisie_<source>``: the bookkeeping columns, then the source's fields."""
    fields = [Column(f.name, SA_TYPES[f.kind], nullable=not f.required,
                     unique=f.name in source.key and len(source.key) == 1)
              for f in source.fields]
    return Table(
        table_name(source), metadata,
        Column("id", Integer, primary_key=True),
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("created_by", String(64), nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("updated_by", String(64), nullable=False),
        Column("deleted", Boolean, nullable=False),
        Column("idempotency_key", String(IDEMPOTENCY_KEY_MAX), nullable=False, unique=True),
        *fields,
    )


def history_table(metadata: MetaData) -> Table:
    return Table(
        "saisie_historique", metadata,
        Column("id", Integer, primary_key=True),
        Column("source", String(32), nullable=False),
        Column("record_id", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Column("at", DateTime, nullable=False),
        Column("login", String(64), nullable=False),
        Column("action", String(16), nullable=False),
        Column("before", Text),
        Column("after", Text),
        Index("ix_saisie_historique_record", "source", "record_id"),
    )


def build(metadata: MetaData) -> tuple[dict[str, Table], Table]:
    """The form tables (by source name) and the history table, declared on ``metadata``."""
    return ({name: record_table(metadata, s) for name, s in FORM_SOURCES.items()},
            history_table(metadata))

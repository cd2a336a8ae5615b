"""All sources, by the name used on the command line (python -m etl load SOURCE FILE...)."""

from __future__ import annotations

from etl.sources.alerts import ALERTS, DLR
from etl.sources.base import Source
from etl.sources.complaints import COMPLAINTS
from etl.sources.contacts import CONTACTS
from etl.sources.crime import CRIME, CRIME_DEP, FACTS
from etl.sources.dcas import DCAS
from etl.sources.diagnostics import DIAGNOSTICS
from etl.sources.immersions import IMMERSIONS
from etl.sources.presence import PRESENCE
from etl.sources.trainings import TRAININGS
from etl.warehouse.tables import Table

#: in load order: contacts before the deliveries that point to them
SOURCES: dict[str, Source] = {s.name: s for s in (
    CRIME, CRIME_DEP, FACTS, COMPLAINTS, CONTACTS, ALERTS, DLR, DCAS, TRAININGS, IMMERSIONS,
    DIAGNOSTICS, PRESENCE,
)}


def source_tables() -> tuple[Table, ...]:
    out: list[Table] = []
    for s in SOURCES.values():
        out.append(s.warehouse_table())
        out.extend(s.children)
    return tuple(out)


def fact_table_names() -> list[str]:
    return [t.name for t in source_tables()]

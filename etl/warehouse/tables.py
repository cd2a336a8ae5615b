"""Table declarations: a column list from which DDL, dtypes and the data dictionary derive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def ident(name: str) -> str:
    """A declared table or column name, double-quoted for SQL. Only names matching
    ``IDENTIFIER`` pass: SQL text is never assembled from a value read from a file or a user."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a declared SQL identifier: {name!r}")
    return f'"{name}"'


def quoted(name: str) -> str:
    """A name read from a database's own catalogue (its tables, its attached files' aliases),
    double-quoted for SQL with its quotes doubled: never a value from a file or a user (those
    are parameters; declared names go through :func:`ident`)."""
    return '"' + str(name).replace('"', '""') + '"'


def utcnow() -> datetime:
    """Now, as the warehouse's TIMESTAMP columns hold it: UTC, without a time zone."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    source: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    #: storage order: the dashboard filters on these first (DuckDB zone maps prune row groups)
    order_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (self.name, *(c.name for c in self.columns)):
            ident(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self, if_not_exists: bool = False) -> str:
        cols = [
            f'"{c.name}" {c.sql_type}' + ("" if c.nullable else " NOT NULL") for c in self.columns
        ]
        if self.primary_key:
            cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in self.primary_key) + ")")
        create = "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE TABLE"
        return f'{create} "{self.name}" (\n  ' + ",\n  ".join(cols) + "\n)"



"""Table declarations: a column list from which DDL, dtypes and the data dictionary derive."""

from __future__ import annotations

from dataclasses import dataclass


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



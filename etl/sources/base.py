"""Source declarations: each file format is declared once as fields, and everything derives from it:
the warehouse table (DDL, data dictionary), the pandera validation, the format documentation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from etl.warehouse.tables import Column, Table

#: SQL type of each field kind.
SQL_TYPES = {
    "text": "VARCHAR", "code": "VARCHAR", "insee": "VARCHAR", "departement": "VARCHAR",
    "brigade": "VARCHAR", "enum": "VARCHAR", "list": "VARCHAR", "int": "BIGINT",
    "float": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMP", "month": "DATE",
    "bool": "BOOLEAN",
}
#: How each kind is written in a file, for the format documentation.
KIND_DOC = {
    "text": "texte", "code": "identifiant (texte)", "insee": "code INSEE de commune (5 caractères)",
    "departement": "code de département (01…95, 2A, 2B, 971…976)",
    "brigade": "identifiant de brigade (table brigades)", "enum": "valeur de la liste",
    "list": "valeurs de la liste séparées par |", "int": "entier", "float": "nombre décimal "
    "(virgule ou point)", "date": "date AAAA-MM-JJ (ou JJ/MM/AAAA)",
    "datetime": "date et heure AAAA-MM-JJ HH:MM[:SS] (ou JJ/MM/AAAA HH:MM)",
    "month": "mois AAAA-MM (ou AAAA-MM-01)", "bool": "oui/non (ou 1/0, true/false)",
}

#: Kinds that may be declared ``not_future``: a date, a date-time, a month, or a year (``int``).
FUTURE_KINDS = ("date", "datetime", "month", "int")

#: Metadata columns added to every fact table.
META_COLUMNS = (
    Column("synthetique", "BOOLEAN", "True for synthetic demo data (never real events)", False),
    Column("fichier", "VARCHAR", "File the row was loaded from", False),
    Column("run_id", "VARCHAR", "Load run that wrote the row (see load_runs)", False),
    Column("empreinte", "VARCHAR", "Hash of the row's content: a re-export with the same content "
           "is not loaded again", False),
)


@dataclass(frozen=True)
class Ref:
    """A column whose values must already be in another table's column (a parent row loaded
    before, e.g. the alert an SMS delivery report belongs to); else ``reason`` (French)."""

    table: str
    column: str
    reason: str


@dataclass(frozen=True)
class Field:
    """One column of a source file and of its warehouse table."""

    name: str
    kind: str
    description: str
    required: bool = True
    enum: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    #: other headers accepted for this column (older exports, synonyms)
    aliases: tuple[str, ...] = ()
    #: a regular expression matching the header (e.g. CODGEO_2024)
    header_regex: str | None = None
    #: not after the load: dates, times and months not after its day, years (``int`` fields
    #: holding a year, e.g. a millésime) not after its year
    not_future: bool = False
    #: the parent row each value points to
    ref: Ref | None = None
    #: the French label of the field's input on a form (and in the format documentation);
    #: empty: the name, humanised
    label: str = ""

    def __post_init__(self) -> None:
        if self.not_future and self.kind not in FUTURE_KINDS:
            raise ValueError(f"{self.name}: not_future applies to {', '.join(FUTURE_KINDS)}")

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    def doc_type(self) -> str:
        text = KIND_DOC[self.kind]
        if self.enum:
            text += " : " + ", ".join(f"`{v}`" for v in self.enum)
        if self.min is not None or self.max is not None:
            lo = "" if self.min is None else f"≥ {self.min:g}"
            hi = "" if self.max is None else f"≤ {self.max:g}"
            text += " (" + " et ".join(x for x in (lo, hi) if x) + ")"
        if self.ref:
            text += f" ; doit exister dans `{self.ref.table}.{self.ref.column}`"
        return text


#: (typed rows, known reference codes) -> list of (mask of bad rows, column, French reason):
#: checks across columns or against the reference
RowCheck = Callable[[pd.DataFrame, Any], list[tuple[pd.Series, str, str]]]
#: (valid rows) -> {child table name: frame}: rows for child tables, keyed by the parent key
Explode = Callable[[pd.DataFrame], dict[str, pd.DataFrame]]
#: (raw strings frame) -> frame: mends known variants before validation (e.g. 2-digit years)
Normalise = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Source:
    """A source: its file format, its validation and its warehouse table(s)."""

    name: str
    table: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    row_checks: tuple[RowCheck, ...] = ()
    normalise: Normalise | None = None
    derive: Normalise | None = None
    #: columns computed by ``derive`` (after validation), stored in the table
    derived: tuple[Column, ...] = ()
    children: tuple[Table, ...] = ()
    explode: Explode | None = None
    example: str = ""

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def warehouse_table(self) -> Table:
        cols = tuple(Column(f.name, f.sql_type, f.description, f.name not in self.key)
                     for f in self.fields)
        return Table(self.table, self.description, f"source `{self.name}` "
                     "(python -m etl load " + self.name + ")", cols + self.derived + META_COLUMNS,
                     primary_key=self.key, order_by=self.key)

    def match_headers(self, headers: list[str]) -> tuple[dict[str, str], list[str]]:
        """{file header: field name} and the required fields whose header is missing."""
        normal = {_norm(h): h for h in headers}
        mapping, missing = {}, []
        for f in self.fields:
            found = None
            for candidate in (f.name, *f.aliases):
                if _norm(candidate) in normal:
                    found = normal[_norm(candidate)]
                    break
            if found is None and f.header_regex:
                found = next((h for h in headers if re.fullmatch(f.header_regex, h.strip(),
                                                                 re.IGNORECASE)), None)
            if found is None:
                if f.required:
                    missing.append(f.name)
            else:
                mapping[found] = f.name
        return mapping, missing


def _norm(header: str) -> str:
    return header.strip().lstrip("\ufeff").lower().replace(" ", "_")

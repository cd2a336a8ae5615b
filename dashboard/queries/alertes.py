"""Queries of the alert pages: the élus' contacts of a set of communes — every one, opted in
or not — from both places they live (the warehouse's ``elu_contacts``, loaded from files, and
the operational store's ``saisie_contacts``, entered or changed through the forms' door), and
commune names.

As in ``etl.alerts.contacts.recipients`` (who receives an alert), a store record overrides the
warehouse's row of the same ``id_contact`` at once (an opt-out is seen before the next
refresh), and a record deleted in the store hides the contact. The store is read with
SQLAlchemy Core (values bound), the warehouse with parameterised DuckDB SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import Engine, select

from dashboard.core.warehouse import Warehouse
from etl.ops.store import record_tables
from etl.sources.contacts import CONTACTS
from etl.warehouse.tables import ident

SOURCE = "contacts"
FIELDS = [f.name for f in CONTACTS.fields]
#: what :func:`contacts_of` returns
CONTACT_COLUMNS = [*FIELDS, "origine", "record_id", "updated_at"]
STORED, IMPORTED = "saisie", "importé"
CHUNK = 500


def _imported(warehouse: Warehouse, communes: list[str]) -> pd.DataFrame:
    have = set(warehouse.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = "
        "'elu_contacts'")["column_name"])
    columns = [c for c in FIELDS if c in have]
    if not columns:
        return pd.DataFrame(columns=FIELDS)
    names = ", ".join(ident(c) for c in columns)  # the declaration's names, checked
    frame = warehouse.query(
        f"SELECT {names} FROM elu_contacts "  # noqa: S608 - declared names
        "WHERE list_contains($communes, code_commune)", {"communes": communes})
    return frame.reindex(columns=FIELDS)


def _stored(engine: Engine, communes: list[str], ids: list[str]) -> pd.DataFrame:
    table = record_tables[SOURCE]
    columns = [table.c[c] for c in FIELDS] + [table.c.id, table.c.deleted, table.c.updated_at]
    rows: dict[str, dict] = {}
    with engine.connect() as con:
        for column, values in ((table.c.code_commune, communes), (table.c.id_contact, ids)):
            for i in range(0, len(values), CHUNK):
                for row in con.execute(select(*columns).where(
                        column.in_(values[i:i + CHUNK]))).mappings():
                    rows[row["id_contact"]] = dict(row)
    return pd.DataFrame(list(rows.values()),
                        columns=[*FIELDS, "id", "deleted", "updated_at"])


def contacts_of(warehouse: Warehouse, engine: Engine, communes: Sequence[str]) -> pd.DataFrame:
    """Every contact of ``communes`` [the source's fields, origine (« saisie » or
    « importé »), record_id (the store's, or None), updated_at], by commune, function, id."""
    wanted = sorted({str(c) for c in communes})
    if not wanted:
        return pd.DataFrame(columns=CONTACT_COLUMNS)
    imported = _imported(warehouse, wanted)
    stored = _stored(engine, wanted, imported["id_contact"].dropna().astype(str).tolist())
    imported = imported[~imported["id_contact"].isin(set(stored["id_contact"]))].assign(
        origine=IMPORTED, record_id=None, updated_at=None)
    stored = stored[~stored["deleted"].astype(bool) & stored["code_commune"].isin(wanted)]
    stored = stored.drop(columns=["deleted"]).rename(columns={"id": "record_id"}).assign(
        origine=STORED)
    frames = [f for f in (imported, stored) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=CONTACT_COLUMNS)
    both = pd.concat([f.astype(object) for f in frames], ignore_index=True)
    both = both.sort_values(["code_commune", "fonction", "id_contact"], kind="stable")
    return both[CONTACT_COLUMNS].reset_index(drop=True)


def commune_names(warehouse: Warehouse, codes: Iterable[str]) -> dict[str, str]:
    """code → name of the communes ``codes`` (unknown ones left out)."""
    wanted = sorted({c for c in codes if isinstance(c, str)})
    if not wanted:
        return {}
    frame = warehouse.query("SELECT code, nom FROM communes WHERE list_contains($codes, code)",
                            {"codes": wanted})
    return dict(zip(frame["code"], frame["nom"], strict=True))

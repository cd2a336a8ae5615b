"""Queries of the alert pages: the élus' contacts of a set of communes — every one, opted in
or not — from both places they live (the warehouse's ``elu_contacts``, loaded from files, and
the operational store's ``saisie_contacts``, entered or changed through the forms' door),
commune names, and the alerts sent to the élus of a territory (:data:`SENT_ALERTS_SQL`, the one
definition the overview counts too).

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


# --- the alerts sent to the élus of a territory ----------------------------------------------

#: THE alerts sent to the élus of a territory (``etl.alerts.labels.SENT_LABEL``): the
#: warehouse's alerts with the status « envoyee » (imported from files, or the dashboard's
#: published by the refresh) targeting one of the communes of ``sc``, a CTE the caller defines
#: (``code``: the territory's communes). The overview counts them per period
#: (``dashboard.queries.vue_ensemble.PERIOD_SQL``), the « Alertes » page lists them
#: (:func:`sent_alerts`); ``depuis_tableau_de_bord``: written in the dashboard (the refresh
#: publishes them as the file ``saisie:alerts``)
SENT_ALERTS_SQL = """
    SELECT a.id_alerte, a.cree_le, a.faits_le, a.unite_auteur, a.categorie, a.message,
           a.communes_ciblees, a.nb_destinataires,
           starts_with(a.fichier, 'saisie:') AS depuis_tableau_de_bord
    FROM alerts AS a
    WHERE a.statut = 'envoyee'
      AND a.id_alerte IN (SELECT ac.id_alerte FROM alert_communes AS ac
                          JOIN sc ON sc.code = ac.code_commune)
"""
#: the territory of the « Alertes » page: a département's communes, a brigade's, or France's
_TERRITORY_SQL = """
WITH sc AS (
    SELECT c.code FROM communes AS c
    WHERE ($departement IS NULL OR c.departement = $departement)
      AND ($brigade IS NULL OR c.brigade_id = $brigade)
),
sent AS (/*sent_alerts*/)
""".replace("/*sent_alerts*/", SENT_ALERTS_SQL.strip())
SENT_COUNT_SQL = _TERRITORY_SQL + """
SELECT count(*) AS alertes,
       count(*) FILTER (WHERE depuis_tableau_de_bord) AS depuis_tableau_de_bord
FROM sent
"""
SENT_LIST_SQL = _TERRITORY_SQL + """
SELECT * FROM sent ORDER BY cree_le DESC, id_alerte DESC LIMIT $limit
"""
SENT_COLUMNS = ["id_alerte", "cree_le", "faits_le", "unite_auteur", "categorie", "message",
                "communes_ciblees", "nb_destinataires", "depuis_tableau_de_bord"]


def sent_alerts(warehouse: Warehouse, departement: str | None = None,
                brigade: str | None = None, limit: int = 100) -> tuple[dict[str, int],
                                                                        pd.DataFrame]:
    """The alerts sent to the élus of a département, a brigade's communes, or France (both
    None), by :data:`SENT_ALERTS_SQL`: (counts — ``alertes``, ``depuis_tableau_de_bord`` —,
    the ``limit`` most recent [:data:`SENT_COLUMNS`], newest first; times in Paris's, as
    loaded)."""
    params = {"departement": departement, "brigade": brigade}
    counts = warehouse.query(SENT_COUNT_SQL, params)
    frame = warehouse.query(SENT_LIST_SQL, params | {"limit": max(1, min(int(limit), 1000))})
    return ({k: int(counts[k].iloc[0] or 0) for k in ("alertes", "depuis_tableau_de_bord")},
            frame.reindex(columns=SENT_COLUMNS))

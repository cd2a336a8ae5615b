"""Reference look-ups shared by the analysis pages: months with data, units offered as
territories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from dashboard.core.warehouse import plain


def fact_months(warehouse) -> tuple[date | None, date | None]:
    """First and last month with recorded facts (None, None when none is loaded)."""
    frame = warehouse.query("SELECT min(mois) AS first, max(mois) AS last FROM facts_monthly")
    first, last = plain(frame["first"].iloc[0]), plain(frame["last"].iloc[0])
    return (None if first is None else pd.Timestamp(first).date(),
            None if last is None else pd.Timestamp(last).date())


def units(warehouse, departements: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compagnies (compagnie_id, nom, departement) and brigades (brigade_id, nom, departement)
    of the given départements."""
    deps = list(dict.fromkeys(d for d in departements if d))
    compagnies = warehouse.query(
        "SELECT compagnie_id, nom, departement FROM compagnies "
        "WHERE departement IN (SELECT unnest($deps)) ORDER BY departement, nom",
        {"deps": deps})
    brigades = warehouse.query(
        "SELECT brigade_id, nom, departement FROM brigades "
        "WHERE departement IN (SELECT unnest($deps)) ORDER BY departement, nom",
        {"deps": deps})
    return compagnies, brigades


def commune_name(warehouse, code: str) -> str | None:
    frame = warehouse.query("SELECT nom FROM communes WHERE code = $code", {"code": code})
    return None if frame.empty else str(frame["nom"].iloc[0])


SCOPE_LABEL_SQL = {
    "region": "SELECT 'Région ' || nom AS label FROM regions WHERE code = $code",
    "departement": "SELECT code || ' — ' || nom AS label FROM departements WHERE code = $code",
    "compagnie": "SELECT 'Compagnie de ' || nom || ' (' || departement || ')' AS label "
                 "FROM compagnies WHERE compagnie_id = $code",
    "brigade": "SELECT 'Brigade de ' || nom || ' (' || departement || ')' AS label "
               "FROM brigades WHERE brigade_id = $code",
    "commune": "SELECT nom || ' (' || code || ')' AS label FROM communes WHERE code = $code",
}


def scope_label(warehouse, scope) -> str:
    """« 35 — Ille-et-Vilaine », « Brigade de Bruz (35) », « France entière »…"""
    if scope.level == "france":
        return "France entière"
    frame = warehouse.query(SCOPE_LABEL_SQL[scope.level], {"code": scope.code})
    return str(frame["label"].iloc[0]) if not frame.empty else str(scope.code)

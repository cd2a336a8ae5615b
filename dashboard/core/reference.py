"""Reference look-ups shared by the analysis pages: months with data, units offered as
territories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

from dashboard.core.scope import add_months, month_start
from dashboard.core.warehouse import plain
from etl import clock
from etl.reference.names import unit_name


def fact_months(warehouse) -> tuple[date | None, date | None]:
    """First and last month with recorded facts (None, None when none is loaded)."""
    frame = warehouse.query_reference(
        "SELECT min(mois) AS first, max(mois) AS last FROM facts_monthly")
    first, last = plain(frame["first"].iloc[0]), plain(frame["last"].iloc[0])
    return (None if first is None else pd.Timestamp(first).date(),
            None if last is None else pd.Timestamp(last).date())


def data_months(warehouse, today: date | None = None) -> tuple[date, date, bool]:
    """First and last months with recorded facts, and whether there are any; without facts,
    the three years up to last month."""
    first_month, last_month = fact_months(warehouse)
    if last_month is None:
        last_month = add_months(month_start(today or clock.today()), -1)
        return add_months(last_month, -35), last_month, False
    return first_month or last_month, last_month, True


def activity_months(warehouse, today: date | None = None
                    ) -> tuple[date, date, date | None]:
    """The months a profile offers: from the first month with recorded facts (without any,
    three years back) to this month — what the units enter (consultations, complaints,
    trainings, immersions, diagnostics) is published within a minute, up to today — and the
    last month with recorded facts (None: none loaded), where the facts' figures stop."""
    first_month, last_month = fact_months(warehouse)
    now = month_start(today or clock.today())
    if last_month is None:
        return add_months(now, -35), now, None
    return first_month or last_month, max(now, last_month), last_month


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
    "compagnie": "SELECT 'Compagnie' AS kind, nom, ' (' || departement || ')' AS tail "
                 "FROM compagnies WHERE compagnie_id = $code",
    "brigade": "SELECT 'Brigade' AS kind, nom, ' (' || departement || ')' AS tail "
               "FROM brigades WHERE brigade_id = $code",
    "commune": "SELECT nom || ' (' || code || ')' AS label FROM communes WHERE code = $code",
}


def scope_label(warehouse, scope) -> str:
    """« 35 — Ille-et-Vilaine », « Brigade de Bruz (35) », « Brigade du Lude (72) », « France
    entière »…"""
    if scope.level == "france":
        return "France entière"
    frame = warehouse.query(SCOPE_LABEL_SQL[scope.level], {"code": scope.code})
    if frame.empty:
        return str(scope.code)
    if "kind" in frame.columns:  # a unit: « Brigade du Lude (72) », never « de Le Lude »
        return unit_name(frame["kind"].iloc[0], frame["nom"].iloc[0]) + frame["tail"].iloc[0]
    return str(frame["label"].iloc[0])


def scope_departement(warehouse, scope) -> str | None:
    """The département a territory lies in; None for France or a région (or an unknown
    unit)."""
    if scope.level in ("france", "region"):
        return None
    if scope.level == "departement":
        return scope.code
    return warehouse.unit_departement(scope.level, scope.code or "")


# --- provenance of the published warehouse (footer, synthetic-data banner) ----------------

def organisation_sources(warehouse) -> dict[str, int]:
    """Number of brigades per ``source`` ('modele' or 'fichier')."""
    frame = warehouse.query("SELECT source, count(*) AS n FROM brigades GROUP BY source")
    return {str(s): int(n) for s, n in zip(frame["source"], frame["n"], strict=True)}

def organisation_parametres(warehouse) -> dict[str, str]:
    frame = warehouse.query("SELECT parametre, valeur FROM organisation_parametres")
    return dict(zip(frame["parametre"], frame["valeur"], strict=True))

def synthetic_sources(warehouse) -> list[str]:
    """Sources whose loaded files were synthetic demo data (empty: none)."""
    try:
        frame = warehouse.query("SELECT DISTINCT source FROM load_runs WHERE synthetique "
                           "AND statut = 'succes' ORDER BY source")
    except duckdb.Error:  # a warehouse built before the column existed
        return []
    return list(frame["source"])


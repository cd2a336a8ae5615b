"""Queries of the « Organisation territoriale » page: the organisation's totals and what its
map is drawn from (départements, brigades, shapes)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.core.provenance import is_modelled
from dashboard.core.reference import organisation_sources
from dashboard.core.warehouse import Warehouse, plain


def summary(warehouse: Warehouse, departement: str | None = None) -> dict[str, object]:
    """Totals of the whole warehouse, or of one département: a dict of one row."""
    frame = warehouse.query(
        """
        WITH c AS (
            SELECT count(*) AS nb_communes,
                   count(*) FILTER (WHERE zone = 'ZGN') AS nb_communes_zgn,
                   -- sums over no row are NULL: a département without ZGN has 0 there
                   CAST(coalesce(sum(population), 0) AS BIGINT) AS population,
                   CAST(coalesce(sum(population) FILTER (WHERE zone = 'ZGN'), 0) AS BIGINT)
                       AS population_zgn,
                   sum(superficie_km2) AS superficie_km2,
                   coalesce(sum(superficie_km2) FILTER (WHERE zone = 'ZGN'), 0)
                       AS superficie_zgn_km2
            FROM communes
            WHERE $departement IS NULL OR departement = $departement
        ), b AS (
            SELECT count(*) AS nb_brigades,
                   CAST(coalesce(sum(effectif), 0) AS BIGINT) AS effectif
            FROM brigades
            WHERE $departement IS NULL OR departement = $departement
        ), k AS (
            SELECT count(*) AS nb_compagnies
            FROM compagnies
            WHERE $departement IS NULL OR departement = $departement
        ), d AS (
            SELECT count(*) AS nb_departements,
                   count(*) FILTER (WHERE outre_mer) AS nb_departements_om
            FROM departements
            WHERE $departement IS NULL OR code = $departement
        )
        SELECT * FROM c, b, k, d
        """,
        {"departement": departement},
    )
    # column by column: a row Series would coerce the counts to float
    row = {name: frame[name].iloc[0] for name in frame.columns}
    return {k: plain(v) for k, v in row.items()}



@dataclass(frozen=True)
class MapFrames:
    """The national map's départements, or one département's brigades, with their shapes
    (``geojson``: which units can be drawn)."""

    departements: pd.DataFrame
    brigades: pd.DataFrame
    geojson: dict


def map_frames(warehouse: Warehouse, departement: str | None) -> MapFrames:
    """What the map of France (``departement`` None) or of one département is drawn from; an
    unknown ``departement`` (it comes from the browser) reads nothing more."""
    departements = warehouse.departements()
    no_shape: dict = {"features": []}
    if not departement:
        geojson = warehouse.geojson("departement", "national", metropole=True) \
            if not departements.empty else no_shape
        return MapFrames(departements, departements.iloc[0:0], geojson)
    if departement not in set(departements["code"]):
        return MapFrames(departements, pd.DataFrame(), no_shape)
    brigades = warehouse.brigades(departement)
    geojson = warehouse.geojson("brigade", "departement", departement) \
        if not brigades.empty else no_shape
    return MapFrames(departements, brigades, geojson)


@dataclass(frozen=True)
class ScopeFrames:
    """The key figures' inputs: the départements, the scope's totals (None for an unknown
    département) and whether the organisation is modelled."""

    departements: pd.DataFrame
    summary: dict | None
    modelled: bool


def scope_frames(warehouse: Warehouse, departement: str | None) -> ScopeFrames:
    departements = warehouse.departements()
    known = not departement or departement in set(departements["code"])
    return ScopeFrames(departements, summary(warehouse, departement or None) if known else None,
                       is_modelled(organisation_sources(warehouse)))

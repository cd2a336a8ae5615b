"""Queries of the national commune map (« Carte », maille commune, France entière): where each
commune sits and the départements' outlines. Both are reference data, kept per warehouse file
(:meth:`Warehouse.query_reference`); the values come from :mod:`dashboard.queries.carte`."""

from __future__ import annotations

import pandas as pd

from dashboard.core.warehouse import Warehouse


def positions(warehouse: Warehouse) -> pd.DataFrame:
    """Every commune's inner point (longitude, latitude: a point inside the commune, from the
    reference build), area, département and whether it is overseas."""
    return warehouse.query_reference(
        """
        SELECT c.code, c.departement, d.nom AS departement_nom, d.outre_mer,
               c.longitude, c.latitude, c.superficie_km2
        FROM communes AS c JOIN departements AS d ON d.code = c.departement
        ORDER BY c.code
        """)


def outlines(warehouse: Warehouse) -> pd.DataFrame:
    """The départements' national display geometries (code, wkb)."""
    return warehouse.query_reference(
        "SELECT code, wkb FROM geometries WHERE couche = 'departement' AND niveau = 'national' "
        "ORDER BY code")

"""GeoJSON for Plotly built from the warehouse's WKB geometries (pure)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np
import shapely

#: 4 decimals of a degree is ~10 m: far below what a screen shows, and it halves the JSON
DECIMALS = 4


def feature_collection(codes: Sequence[str], wkbs: Iterable[bytes | bytearray | None],
                       decimals: int = DECIMALS) -> dict:
    """A GeoJSON FeatureCollection whose features carry ``id`` = code (Plotly's default
    ``featureidkey``); missing or empty geometries are left out.

    Ring orientation is kept as stored: the ETL already made exterior rings clockwise, which
    Plotly's geo maps need.
    """
    raw = [None if w is None else bytes(w) for w in wkbs]
    if len(raw) != len(codes):
        raise ValueError("codes and geometries differ in length")
    if not raw:
        return {"type": "FeatureCollection", "features": []}
    geometries = shapely.from_wkb(np.array(raw, dtype=object))
    geometries = shapely.transform(geometries, lambda xy: np.round(xy, decimals))
    texts = shapely.to_geojson(geometries)
    features = []
    for code, geometry, text in zip(codes, geometries, texts, strict=True):
        if geometry is None or shapely.is_empty(geometry):
            continue
        features.append({"type": "Feature", "id": str(code), "properties": {},
                         "geometry": json.loads(text)})
    return {"type": "FeatureCollection", "features": features}


def feature_ids(collection: dict) -> list[str]:
    return [f["id"] for f in collection["features"]]

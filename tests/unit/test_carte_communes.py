"""The national commune map's figure (dashboard.views.carte_communes): every commune drawn once
as a WebGL point, hover with the name and code and the value, overseas insets, département
outlines with shared borders once (one SVG path), and a figure of 35,000 communes under 2 MB of
JSON."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest
import shapely
from plotly.io.json import to_json_plotly

from dashboard.core.scope import Scope
from dashboard.views import carte_communes as view
from dashboard.views.carte import MapResult
from dashboard.views.map_indicators import COMMUNE, Geometry, pick_indicator

OVERSEAS = {"971": ("Guadeloupe", (-61.8, 15.9, -61.0, 16.5)),
            "972": ("Martinique", (-61.25, 14.4, -60.8, 14.9)),
            "973": ("Guyane", (-54.6, 2.1, -51.6, 5.8)),
            "974": ("La Réunion", (55.2, -21.4, 55.8, -20.9)),
            "976": ("Mayotte", (45.0, -13.0, 45.3, -12.6))}
#: syllables of made-up commune names (real names average 13 characters, some far longer)
SYLLABLES = ["Saint", "Mont", "Ville", "neuve", "-sur-", "Loire", "Bois", "Val", "-le-",
             "Château", "Font", "aine", "Beau", "lieu", "Roche", "-en-", "Champ", "agne"]


def _departement_boxes() -> dict[str, tuple[float, float, float, float]]:
    """90 metropolitan « départements »: a 10 × 9 grid of boxes over France's extent."""
    boxes = {}
    for i in range(10):
        for j in range(9):
            lon0, lat0 = -4.8 + i * 1.4, 42.3 + j * 0.95
            boxes[f"{i * 9 + j + 1:02d}"] = (lon0, lat0, lon0 + 1.4, lat0 + 0.95)
    return boxes


@pytest.fixture(scope="module")
def national() -> tuple[pd.DataFrame, pd.DataFrame]:
    """35,000 communes (130 overseas) with positions, and their départements' outlines."""
    rng = np.random.default_rng(20)
    boxes = _departement_boxes() | {d: box for d, (_n, box) in OVERSEAS.items()}
    rows = []
    metro = [d for d in boxes if d not in OVERSEAS]
    for k in range(35_000):
        dep = list(OVERSEAS)[k % 5] if k < 130 else metro[k % len(metro)]
        lon0, lat0, lon1, lat1 = boxes[dep]
        name = "".join(rng.choice(SYLLABLES, size=rng.integers(1, 5)))
        rows.append({"code": f"{dep}{k:05d}"[-5:] if dep not in OVERSEAS else f"{dep}{k:02d}",
                     "nom": name, "departement": dep,
                     "departement_nom": OVERSEAS.get(dep, (f"Dép. {dep}",))[0],
                     "outre_mer": dep in OVERSEAS,
                     "longitude": rng.uniform(lon0, lon1), "latitude": rng.uniform(lat0, lat1),
                     "superficie_km2": float(rng.lognormal(2.4, 0.9))})
    positions = pd.DataFrame(rows).drop_duplicates("code")
    # Le Mans as stored
    positions.loc[positions.index[200], ["code", "nom"]] = ["72181", "Le Mans"]
    outlines = pd.DataFrame({"code": list(boxes), "wkb": [shapely.to_wkb(shapely.box(*b))
                                                          for b in boxes.values()]})
    return positions, outlines


def _shown(positions: pd.DataFrame, indicator_key: str = "faits_taux") -> MapResult:
    rng = np.random.default_rng(3)
    frame = positions[["code", "nom", "departement", "outre_mer"]].copy()
    frame["value"] = np.round(rng.gamma(2.0, 20.0, len(frame)), 6)
    frame.loc[frame.index[::50], "value"] = np.nan  # no value: grey
    frame["status"] = np.where(frame["value"].isna(), "zone_police", None)
    frame["status_text"] = np.where(frame["value"].isna(), "Zone police nationale", "")
    frame["value_text"] = [f"{v:.1f}".replace(".", ",") for v in frame["value"]]
    indicator = pick_indicator(indicator_key)
    return MapResult(indicator, COMMUNE, Scope(), "France entière",
                     Geometry(COMMUNE, "national", "france"), frame, indicator.label,
                     notes=["Catégorie : ensemble.",
                            "Les départements d'outre-mer ne sont pas sur la carte nationale : "
                            "ils figurent dans le tableau."])


def _decode(array: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))


def test_every_commune_drawn_once_with_its_name_code_and_value(national):
    positions, outlines = national
    layer = view.build_layer(positions, outlines)
    shown = _shown(positions)
    figure = view.figure(shown, layer, "/geo/commune/national/france.json?v=1")
    data = figure["data"]
    assert [t["type"] for t in data] == ["scattergl"] * (view.CLASSES + 3)
    points, bar = data[:-1], data[-1]
    coloured, grey = points[:view.CLASSES], points[view.CLASSES:]
    drawn = [code for t in points for code in t["ids"]]
    assert sorted(drawn) == sorted(positions["code"]) and len(set(drawn)) == len(drawn)
    for t in points:
        assert len(_decode(t["x"])) == len(_decode(t["y"])) == len(t["ids"]) \
            == len(t["text"]) == len(_decode(t["marker"]["size"]))
    # the hover: « Le Mans (72181) », the indicator and the value (French separators)
    names = {c: n for t in points for c, n in zip(t["ids"], t["text"], strict=True)}
    assert names["72181"] == "Le Mans"
    assert {t["hovertemplate"] for t in coloured} == {
        "<b>%{text} (%{id})</b><br>" + shown.label + " : %{customdata:,.1f}<extra></extra>"}
    assert grey[0]["hovertemplate"] == "<b>%{text} (%{id})</b><br>%{customdata}<extra></extra>"
    assert set(grey[0]["customdata"]) == {"Zone police nationale"} and grey[1]["ids"] == []
    assert figure["layout"]["separators"] == ",\u202f"
    value = shown.frame.set_index("code")["value"]
    # each class: one colour, its values within the class's bounds (the ends take the rest)
    low, high = bar["marker"]["cmin"], bar["marker"]["cmax"]
    width = (high - low) / view.CLASSES
    colours = []
    for k, t in enumerate(coloured):
        values = _decode(t["customdata"]).astype(float)
        assert values == pytest.approx(value.loc[t["ids"]].to_numpy(), rel=1e-6)
        if k > 0 and len(values):
            assert values.min() >= low + k * width - 1e-3
        if k < view.CLASSES - 1 and len(values):
            assert values.max() <= low + (k + 1) * width + 1e-3
        colours.append(t["marker"]["color"])
    assert len(set(colours)) == view.CLASSES and all(c.startswith("#") for c in colours)
    # the colour bar: the continuous scale over the same range, no point
    assert bar["marker"]["showscale"] and bar["hoverinfo"] == "skip"
    assert bar["marker"]["colorscale"] == view.SCALES[shown.indicator.scale]
    # outlines: one SVG path above the points, one piece per border line or inset frame
    (outline,) = figure["layout"]["shapes"]
    assert outline["type"] == "path" and outline["layer"] == "above"
    assert outline["path"].startswith("M") and outline["path"].count("M") > 5


def test_scale_colour_interpolates_in_rgb():
    scale = [[0.0, "#000000"], [0.5, "#ff0000"], [1.0, "#ffffff"]]
    assert view.scale_colour(scale, 0.0) == "#000000"
    assert view.scale_colour(scale, 0.25) == "#800000"
    assert view.scale_colour(scale, 0.75) == "#ff8080"
    assert view.scale_colour(scale, 2.0) == "#ffffff"


def test_figure_of_35000_communes_is_under_2_mb(national):
    positions, outlines = national
    layer = view.build_layer(positions, outlines)
    text = to_json_plotly(view.figure(_shown(positions), layer, "r"))
    assert len(text.encode()) < 2_000_000, len(text) / 1e6
    # and the markers stay small: 2 to 12 pixels
    assert layer.positions["size"].between(view.MARKER_MIN, view.MARKER_MAX).all()


def test_overseas_communes_are_insets_left_of_metropolitan_france(national):
    positions, outlines = national
    layer = view.build_layer(positions, outlines)
    where = layer.positions.join(positions.set_index("code")[["departement", "outre_mer"]])
    metro, overseas = where[~where["outre_mer"]], where[where["outre_mer"]]
    assert overseas["x"].max() < metro["x"].min()
    # one box each, top down, none overlapping another
    tops = overseas.groupby("departement")["y"].agg(["min", "max"]).sort_index()
    assert list(tops.index) == sorted(OVERSEAS)
    assert (tops["min"].iloc[:-1].to_numpy() > tops["max"].iloc[1:].to_numpy()).all()
    assert [text for text, _x, _y in layer.labels] == [f"{n} ({d})" for d, (n, _b)
                                                       in sorted(OVERSEAS.items())]
    # the view covers every point
    assert layer.x_range[0] < where["x"].min() and where["x"].max() < layer.x_range[1]
    assert layer.y_range[0] < where["y"].min() and where["y"].max() < layer.y_range[1]


def test_shared_borders_are_drawn_once():
    positions = pd.DataFrame({"code": ["01001", "02001"], "departement": ["01", "02"],
                              "departement_nom": ["Ain", "Aisne"], "outre_mer": [False, False],
                              "longitude": [0.5, 1.5], "latitude": [46.5, 46.5],
                              "superficie_km2": [10.0, None]})
    outlines = pd.DataFrame({"code": ["01", "02"],
                             "wkb": [shapely.to_wkb(shapely.box(0, 46, 1, 47)),
                                     shapely.to_wkb(shapely.box(1, 46, 2, 47))]})
    layer = view.build_layer(positions, outlines)
    points = [(x, y) for x, y in zip(layer.outline_x, layer.outline_y, strict=True)
              if x is not None]
    # two squares side by side: 7 distinct edges' worth of vertices, not 8 edges
    segments = 0
    previous = None
    for x, y in zip(layer.outline_x, layer.outline_y, strict=True):
        if x is not None and previous is not None:
            segments += 1
        previous = None if x is None else (x, y)
    assert segments == 7
    assert len(set(points)) == 6
    # a commune without an area still gets the smallest marker
    assert layer.positions.loc["02001", "size"] == view.MARKER_MIN


def test_commune_without_position_is_left_out_and_no_overseas_no_insets():
    positions = pd.DataFrame({"code": ["01001", "15031"], "departement": ["01", "15"],
                              "departement_nom": ["Ain", "Cantal"],
                              "outre_mer": [False, False], "longitude": [5.3, None],
                              "latitude": [46.1, None], "superficie_km2": [12.0, None]})
    layer = view.build_layer(positions, pd.DataFrame({"code": [], "wkb": []}))
    assert list(layer.positions.index) == ["01001"] and layer.labels == []


def test_durations_need_a_text_and_a_patch_replaces_both_point_traces(national):
    positions, outlines = national
    layer = view.build_layer(positions.head(500), outlines)
    shown = _shown(positions.head(500), "delai_alerte")
    traces = view.traces(shown, layer)
    for coloured in traces[:view.CLASSES]:
        assert coloured["hovertemplate"].endswith(" : %{customdata}<extra></extra>")
        assert len(coloured["customdata"]) == len(coloured["ids"])
        assert all(isinstance(t, str) for t in coloured["customdata"])
    patch = view.patch(shown, layer).to_plotly_json()
    assert {op["location"][1] for op in patch["operations"]} == set(range(len(traces)))
    assert not any(op["location"][0] == "layout" for op in patch["operations"])


def test_caption_says_national_commune_view_denominator_and_insets(national):
    positions, _outlines = national
    text = view.caption(_shown(positions.head(10)))
    assert text.startswith("Vue nationale par commune")
    assert "Taux : faits enregistrés pour 1 000 habitants." in text
    assert "encarts" in text and "ne sont pas sur la carte nationale" not in text
    assert "Cliquez sur une commune pour ouvrir sa fiche." in text
    assert view.applies(_shown(positions.head(10)))


def test_caption_does_not_promise_black_outlines_the_points_lack(national):
    from dashboard.views.map_values import RAW_NOTE, SMOOTHING_NOTE

    positions, _outlines = national
    for note in (SMOOTHING_NOTE, RAW_NOTE):
        shown = _shown(positions.head(10))
        shown.notes = [note]
        text = view.caption(shown)
        assert "ontour noir" not in text
        assert "les estimations incertaines se lisent dans le tableau" in text
    assert "se lisent dans le tableau" not in view.caption(_shown(positions.head(10)))


def test_whole_numbers_over_a_short_range_get_whole_ticks(national):
    positions, outlines = national
    layer = view.build_layer(positions.head(300), outlines)
    shown = _shown(positions.head(300), "dcas")
    shown.frame["value"] = (shown.frame["value"] > 40).astype(float)  # 0 or 1 consultation
    assert view.traces(shown, layer)[-1]["marker"]["colorbar"]["dtick"] == 1
    assert "dtick" not in view.traces(_shown(positions.head(300)), layer)[-1]["marker"][
        "colorbar"]

"""The national commune map of the « Carte » page: every commune of France, one point each,
coloured by the indicator (pure: frames in, Plotly JSON out).

Why points, and why WebGL. Drawn as shapes, the 34,871 communes weigh 10.5 MB of GeoJSON even
coverage-simplified (1.9 MB gzipped) and take 6-9 s to render in Chromium (SVG geo map or
MapLibre): far over the budget of 2.5 s and 2 MB. Here each commune is one ``scattergl``
marker at its inner point (``communes.longitude/latitude``, a point inside the commune), sized
by the square root of its area so that the markers tile the country at the default zoom, on
plain lon/lat axes with a fixed aspect ratio (an equirectangular projection true at 46.5° N:
France is not stretched), in 12 colour classes of equal width (one trace each: see
:func:`traces`). WebGL draws 35,000 markers at once, even in software, and needs neither tiles
nor a base map (nothing is fetched; no MapLibre); an SVG scatter of 35,000 markers took twice
as long. The département outlines are one SVG path above the points (a layout shape: shared
borders merged, drawn once). Positions, values and sizes travel as Plotly typed arrays (base64
``bdata``: positions quantised to 1/1000 of a degree in 16-bit integers, values in 32-bit
floats), names and codes as strings: the figure is ~1.5 MB of JSON, ~0.6 MB gzipped.

The overseas départements are insets in a column on the left (each scaled to fit its box:
Guyane shrunk, Martinique or Mayotte enlarged), in the same axes: every commune is on the map,
hover and click work the same everywhere, and the per-département map stays one click away
(the links above the map).

Hover: the commune's name and code (« Le Mans (72181) ») and its value; a click opens the
commune's profile (``assets/carte.js``: the point's ``id`` is the commune's code). The WebGL
programs are plotly's precompiled ones (« strict » scattergl: the Content-Security-Policy
refuses generated code); a browser without WebGL gets a French message instead of the map
(``assets/carte.js``), and the table below it keeps every figure.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from dash import Patch

from dashboard.core.cache import Lru
from dashboard.views.carte import MapResult, colour_range
from dashboard.views.charts import SEPARATORS, wrap
from dashboard.views.map_indicators import (
    GREY_NO_VALUE,
    GREY_ZPN,
    SCALES,
    MapIndicator,
)

#: latitude where the projection keeps distances true (the middle of metropolitan France)
LATITUDE_TRUE = 46.5
#: the map's units: 1/1000 of a degree of latitude (~111 m), x scaled by cos(latitude)
UNITS_PER_DEGREE = 1000
Y_ORIGIN = 46.0  # y = (latitude - 46) in those units: fits a 16-bit integer
HEIGHT_PX = 640
#: the overseas insets: a column of boxes left of metropolitan France (map units)
INSET_BOX = 1450
INSET_GAP = 450  # room for each inset's name above it
INSET_RIGHT = -3900  # the boxes' right edge (Brittany's west tip is at about -3500)
#: pixels per kilometre at the default zoom (the plot is ~560 px high for ~10,000 units), and
#: a little more so that neighbouring markers touch
PX_PER_KM = 0.52 * 1.3
MARKER_MIN, MARKER_MAX = 2, 12
OUTLINE_COLOUR = "rgba(70, 70, 70, 0.55)"
#: a note's clause about the black outline of uncertain estimates (choropleths only)
UNCERTAIN_OUTLINE = re.compile(r"\s*[;.]?\s*[Cc]ontour noir[^.]*\.")
#: the note that replaces the national choropleth's « overseas not on the map » note
OVERSEAS_NOTE_PREFIX = "Les départements d'outre-mer ne sont pas sur la carte nationale"


def applies(shown: MapResult) -> bool:
    """Whether ``shown`` is the national commune map (the other maps are choropleths)."""
    return shown.maille == "commune" and shown.scope.level == "france"


# --- the layer: where each commune sits, and the outlines (once per warehouse file) -------------

@dataclass(frozen=True)
class Layer:
    """Every commune's position (map units) and marker size, the outlines as one polyline
    (``None`` between pieces) and the insets' names and positions."""

    positions: pd.DataFrame  # index code: x, y (int16), size (uint8)
    outline_x: list[int | None]
    outline_y: list[int | None]
    labels: list[tuple[str, int, int]]  # (text, x, y) of each inset's name
    x_range: tuple[int, int]
    y_range: tuple[int, int]


def _project(lon: np.ndarray, lat: np.ndarray, cos_lat: float = math.cos(math.radians(
        LATITUDE_TRUE))) -> tuple[np.ndarray, np.ndarray]:
    return (lon * cos_lat * UNITS_PER_DEGREE, (lat - Y_ORIGIN) * UNITS_PER_DEGREE)


@dataclass(frozen=True)
class _Affine:
    """x' = x * scale + dx, y' = y * scale + dy (an inset's placement)."""

    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x * self.scale + self.dx, y * self.scale + self.dy


def _lines(geometries: Iterable) -> list[np.ndarray]:
    """The outlines of ``geometries`` as coordinate arrays, each shared border once."""
    geometries = [g for g in geometries if g is not None and not shapely.is_empty(g)]
    if not geometries:
        return []
    merged = shapely.line_merge(shapely.union_all(shapely.boundary(np.array(geometries))))
    parts = shapely.get_parts(merged)
    return [shapely.get_coordinates(p) for p in parts if not shapely.is_empty(p)]


def build_layer(positions: pd.DataFrame, outlines: pd.DataFrame) -> Layer:
    """The layer from the communes' ``positions`` (code, departement, departement_nom,
    outre_mer, longitude, latitude, superficie_km2) and the départements' ``outlines`` (code,
    wkb). Communes without a position (a few merged communes have no geometry) are left out."""
    frame = positions[positions["longitude"].notna() & positions["latitude"].notna()].copy()
    overseas = frame["outre_mer"].astype(bool).to_numpy()
    lon = frame["longitude"].to_numpy(float)
    lat = frame["latitude"].to_numpy(float)
    x, y = _project(lon, lat)
    scale = np.ones(len(frame))
    shapes = dict(zip(outlines["code"], shapely.from_wkb(
        np.array([bytes(w) for w in outlines["wkb"]], dtype=object)), strict=True)) \
        if len(outlines) else {}
    metro_deps = sorted(set(frame.loc[~overseas, "departement"]))
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    for coords in _lines(shapes.get(d) for d in metro_deps):
        pieces.append(_project(coords[:, 0], coords[:, 1]))
    metro_x, metro_y = x[~overseas], y[~overseas]
    top = float(metro_y.max()) if len(metro_y) else 5100.0
    bottom = float(metro_y.min()) if len(metro_y) else -4700.0
    right = float(metro_x.max()) if len(metro_x) else 6600.0
    labels: list[tuple[str, int, int]] = []
    overseas_deps = sorted(set(frame.loc[overseas, "departement"]))
    box = min(INSET_BOX, (top - bottom) / max(len(overseas_deps), 1) - INSET_GAP)
    for i, dep in enumerate(overseas_deps):
        mask = overseas & (frame["departement"] == dep).to_numpy()
        cos_lat = math.cos(math.radians(float(np.mean(lat[mask]))))
        geometry = shapes.get(dep)
        if geometry is not None:
            minx, miny, maxx, maxy = shapely.bounds(geometry)
        else:
            minx, maxx, miny, maxy = lon[mask].min(), lon[mask].max(), lat[mask].min(), \
                lat[mask].max()
        (px0, px1), (py0, py1) = _project(np.array([minx, maxx]), np.array([miny, maxy]),
                                          cos_lat)
        fit = box / max(px1 - px0, py1 - py0, 1.0)
        # the box's centre, top down
        cx = INSET_RIGHT - box / 2
        cy = top - INSET_GAP - i * (box + INSET_GAP) - box / 2
        affine = _Affine(fit, cx - (px0 + px1) / 2 * fit, cy - (py0 + py1) / 2 * fit)
        x[mask], y[mask] = affine(*_project(lon[mask], lat[mask], cos_lat))
        scale[mask] = fit  # a kilometre is ``fit`` times longer in the inset
        for coords in _lines([geometry]):
            pieces.append(affine(*_project(coords[:, 0], coords[:, 1], cos_lat)))
        x0, x1, y0, y1 = cx - box / 2, cx + box / 2, cy - box / 2, cy + box / 2
        pieces.append((np.array([x0, x1, x1, x0, x0]), np.array([y0, y0, y1, y1, y0])))
        name = frame.loc[mask, "departement_nom"].iloc[0]
        labels.append((f"{name} ({dep})", int(cx), int(y1 + INSET_GAP * 0.45)))
    area = frame["superficie_km2"].to_numpy(float)
    area = np.where(np.isfinite(area) & (area > 0), area, 1.0)
    size = np.clip(np.round(np.sqrt(area) * PX_PER_KM * scale), MARKER_MIN, MARKER_MAX)
    out = pd.DataFrame({"x": np.round(x).astype("int16"), "y": np.round(y).astype("int16"),
                        "size": size.astype("uint8")}, index=frame["code"].to_numpy())
    outline_x: list[int | None] = []
    outline_y: list[int | None] = []
    for px, py in pieces:
        outline_x += np.round(px).astype(int).tolist() + [None]
        outline_y += np.round(py).astype(int).tolist() + [None]
    left = INSET_RIGHT - box - 150 if overseas_deps else float(metro_x.min()) - 150
    return Layer(out, outline_x, outline_y, labels,
                 (int(left), int(right + 150)), (int(bottom - 150), int(top + 150)))


_layers: Lru[Layer] = Lru(4)


def layer(key: object, read: Callable[[], tuple[pd.DataFrame, pd.DataFrame]]) -> Layer:
    """:func:`build_layer` of what ``read`` returns (positions, outlines), kept per ``key``
    (the warehouse file's version): read and built once."""
    return _layers.get_or_compute(key, lambda: build_layer(*read()))


# --- the figure -------------------------------------------------------------------------------

def typed(values: np.ndarray, dtype: str) -> dict:
    """A Plotly typed array (``bdata``: little-endian, base64): a quarter to a half of the
    JSON numbers' size, and no parsing of numbers in the browser."""
    array = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    return {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


#: hover formats of the value (d3-format, French separators from the layout), by kind
_SUFFIX = {"percent": "\u202f%", "change": "\u202f%", "score": " / 100", "hours": "\u202fh"}
#: colour classes of the points: each class is one trace of one colour (see :func:`traces`)
CLASSES = 12


def value_hover(indicator: MapIndicator) -> str | None:
    """The hover's value as a format of the point's ``customdata`` (``None``: a text)."""
    if indicator.kind == "minutes":
        return None
    sign = "+" if indicator.kind == "change" else ""
    return f"%{{customdata:{sign},.{indicator.decimals}f}}{_SUFFIX.get(indicator.kind, '')}"


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def scale_colour(scale: list, t: float) -> str:
    """The colour at ``t`` (0 to 1) of a Plotly colour scale of hex colours, interpolated in
    RGB as Plotly does."""
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(scale, scale[1:], strict=False):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb = [round(a + (b - a) * f) for a, b in zip(_hex(c0), _hex(c1), strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return scale[-1][1]


def _placed(frame: pd.DataFrame, layer_: Layer) -> pd.DataFrame:
    """``frame``'s communes that have a position, with it (in the layer's order)."""
    return frame.join(layer_.positions, on="code", how="inner")


def _points(rows: pd.DataFrame, name: str, hovertemplate: str, colour, customdata) -> dict:
    return {"type": "scattergl", "mode": "markers", "name": name,
            "x": typed(rows["x"].to_numpy(), "i2"), "y": typed(rows["y"].to_numpy(), "i2"),
            "ids": rows["code"].tolist(), "text": rows["nom"].tolist(),
            "customdata": customdata, "hovertemplate": hovertemplate,
            "marker": {"color": colour, "size": typed(rows["size"].to_numpy(), "u1"),
                       "symbol": "square", "line": {"width": 0}}}


def traces(shown: MapResult, layer_: Layer) -> list[dict]:
    """:data:`CLASSES` traces of coloured communes (always that many, some maybe empty: a
    patch replaces them by position), two of grey ones (no value: the police zone, then the
    others: not published, no data…) and one that only carries the colour bar.

    Each class of values is one trace of one colour, the colour of the scale at the class's
    middle, instead of one trace coloured point by point: plotly.js turns a per-point colour
    scale into 35,000 colour strings it parses again (0.5 s in Chromium); 12 classes of equal
    width read like the continuous scale. The value itself is in the hover (``customdata``)."""
    indicator = shown.indicator
    placed = _placed(shown.frame, layer_)
    valued = placed[placed["value"].notna()]
    greyed = placed[placed["value"].isna()]
    cmin, cmax = colour_range(valued["value"], indicator)
    label = shown.label
    decimals = 0 if indicator.kind == "minutes" else indicator.decimals
    value_format = value_hover(indicator)
    template = ("<b>%{text} (%{id})</b><br>" + label + " : "
                + (value_format or "%{customdata}") + "<extra></extra>")
    scale = SCALES[indicator.scale]
    values = valued["value"].to_numpy(float)
    width = (cmax - cmin) / CLASSES
    classes = np.clip(np.floor((values - cmin) / width), 0, CLASSES - 1).astype(int)
    out = []
    for k in range(CLASSES):
        rows = valued[classes == k]
        data = typed(rows["value"].to_numpy(), "f4") if value_format else \
            rows["value_text"].tolist()
        out.append(_points(rows, label, template, scale_colour(scale, (k + 0.5) / CLASSES),
                           data))
    police = (greyed["status"] == "zone_police").to_numpy()
    for rows, colour in ((greyed[police], GREY_ZPN), (greyed[~police], GREY_NO_VALUE)):
        out.append(_points(rows, "Sans valeur",
                           "<b>%{text} (%{id})</b><br>%{customdata}<extra></extra>", colour,
                           rows["status_text"].tolist()))
    out.append({"type": "scattergl", "mode": "markers", "name": label, "x": [None, None],
                "y": [None, None], "hoverinfo": "skip", "showlegend": False,
                "marker": {"color": [cmin, cmax], "colorscale": scale, "cmin": cmin,
                           "cmax": cmax, "cauto": False, "showscale": True, "size": 0,
                           "colorbar": {"title": {"text": wrap(label), "side": "right"},
                                        "thickness": 14, "tickformat": f",.{decimals}f",
                                        "len": 0.8, "y": 0.45}
                           # whole numbers over a short range: whole ticks (not 0, 0, 1, 1)
                           | ({"dtick": 1} if decimals == 0 and cmax - cmin <= 8 else {})}})
    return out


def outline_shape(layer_: Layer) -> dict:
    """The département outlines and the insets' frames as one SVG path above the points (a
    layout shape: drawn over the WebGL canvas, and no second WebGL program to compile)."""
    parts: list[str] = []
    start = True
    for x, y in zip(layer_.outline_x, layer_.outline_y, strict=True):
        if x is None:
            start = True
            continue
        parts.append(f"{'M' if start else 'L'}{x},{y}")
        start = False
    return {"type": "path", "path": "".join(parts), "xref": "x", "yref": "y",
            "layer": "above", "line": {"color": OUTLINE_COLOUR, "width": 0.7}}


def figure(shown: MapResult, layer_: Layer, revision: str) -> dict:
    """The national commune map as Plotly JSON (no graph_objects validation). ``revision``
    keeps the reader's zoom when only the indicator changes."""
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    return {
        "data": traces(shown, layer_),
        "layout": {
            "xaxis": axis | {"range": list(layer_.x_range), "constrain": "domain"},
            "yaxis": axis | {"range": list(layer_.y_range), "scaleanchor": "x",
                             "scaleratio": 1, "constrain": "domain"},
            "shapes": [outline_shape(layer_)],
            "annotations": [{"text": text, "x": x, "y": y, "xref": "x", "yref": "y",
                             "showarrow": False, "font": {"size": 11, "color": "#444"}}
                            for text, x, y in layer_.labels],
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": HEIGHT_PX,
            "separators": SEPARATORS, "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)", "hovermode": "closest",
            "hoverlabel": {"bgcolor": "white"}, "showlegend": False, "dragmode": "pan",
            "uirevision": revision,
        },
    }


def patch(shown: MapResult, layer_: Layer) -> Patch:
    """A new indicator on the drawn map: every trace replaced (which communes are in which
    class may change), the layout (outlines included) kept."""
    out = Patch()
    for i, trace in enumerate(traces(shown, layer_)):
        out["data"][i] = trace
    return out


def caption(shown: MapResult, notes: Sequence[str] | None = None) -> str:
    """What the map shows: a national view of the communes, the indicator and its
    denominator for a rate, the insets, how to open a commune."""
    notes = [n for n in (shown.notes if notes is None else notes)
             if not n.startswith(OVERSEAS_NOTE_PREFIX)]
    # the commune maps outline uncertain estimates in black; the points cannot: the table can
    outlined = [UNCERTAIN_OUTLINE.sub(".", n) for n in notes]
    if outlined != notes:
        notes = [*outlined, "Sur la vue nationale, les estimations incertaines se lisent dans "
                            "le tableau (colonnes « Incertitude », taux bas et haut)."]
    description = shown.indicator.description
    text = ("Vue nationale par commune : chaque commune est un carré placé en son centre, "
            "coloré selon l'indicateur. ")
    text += f"{description[:1].upper()}{description[1:]}. " if description else ""
    if "1 000" in shown.label:
        text += f"Taux : {shown.label[:1].lower()}{shown.label[1:]}. "
    text += " ".join(notes)
    return (text + " Départements d'outre-mer en encarts à gauche, chacun à sa propre échelle "
            "(les liens au-dessus de la carte ouvrent leur carte détaillée). Zoomez pour "
            "séparer les communes ; rang 1 : valeur la plus élevée. Cliquez sur une commune "
            "pour ouvrir sa fiche. Les mêmes chiffres figurent dans le tableau ci-dessous.")

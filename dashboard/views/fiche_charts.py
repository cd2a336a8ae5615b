"""The brief's two pictures, drawn on the server with matplotlib (pure: frames in, PNG bytes out):
the monthly trend of recorded facts against the year before, and the map of the territory's
communes. The same pictures go into the page (as images, which print as they show) and into the
PDF. matplotlib's object interface only (no pyplot: no global state shared between requests),
its Agg canvas, its bundled DejaVu fonts (accents, offline)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from dashboard.core.formatting import format_number
from dashboard.views.map_indicators import GREY_NO_VALUE, GREY_ZPN, WORSE

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
#: the fonts the brief embeds (matplotlib's own copy of DejaVu: French accents, offline)
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
DPI = 150
BLUE, GREY_LINE = "#1f4e79", "#8c8c8c"
STYLE = {"font.family": "DejaVu Sans", "font.size": 8, "axes.edgecolor": "#555555"}
#: communes named on the map (the most populated)
MAP_LABELS = 8


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _thousands(value: float, _position=None) -> str:
    return format_number(value)


def trend_png(trend: pd.DataFrame, width_mm: float = 180, height_mm: float = 62) -> bytes:
    """Facts per month of the period (bars) and the same month a year earlier (line)."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(width_mm / 25.4, height_mm / 25.4))
        # fixed margins: matplotlib's constrained layout took a third of the drawing time
        ax = figure.add_axes((0.1, 0.17, 0.89, 0.7))
        x = np.arange(len(trend))
        ax.bar(x, trend["courante"], color=BLUE, width=0.65, label="Période")
        ax.plot(x, trend["annee_precedente"], color=GREY_LINE, marker="o", markersize=3,
                linewidth=1.5, label="Un an plus tôt")
        ax.set_xticks(x, [m.replace(" ", "\n", 1) for m in trend["mois"]], fontsize=6.5)
        ax.yaxis.set_major_formatter(_thousands)
        ax.set_ylabel("Faits enregistrés")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="upper left", frameon=False, ncols=2, bbox_to_anchor=(0, 1.15))
        return _png(figure)


def _patch(geometry) -> PathPatch | None:
    """One commune's outline (holes kept: an enclave shows through) as a patch."""
    polygons = getattr(geometry, "geoms", [geometry])
    vertices, codes = [], []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            vertices.append(xy)
            codes.append([MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2)
                         + [MplPath.CLOSEPOLY])
    if not vertices:
        return None
    return PathPatch(MplPath(np.concatenate(vertices), np.concatenate(codes)))


def colour_scale() -> LinearSegmentedColormap:
    """The Carte page's scale for an indicator where more is worse."""
    return LinearSegmentedColormap.from_list("pire", [(s, c) for s, c in WORSE])


def map_png(values: pd.DataFrame, shapes: pd.DataFrame, title: str, *,
            width_mm: float = 180, height_mm: float = 150) -> bytes | None:
    """The communes coloured by ``values["value"]`` (columns code, nom, zone, value, and
    ``population`` for the names shown), police-zone communes in light grey, communes without a
    value in dark grey; None without shapes."""
    if shapes.empty:
        return None
    geometries = shapely.from_wkb(np.array([bytes(w) for w in shapes["wkb"]], dtype=object))
    by_code = values.set_index("code")
    known = pd.to_numeric(by_code["value"], errors="coerce")
    finite = known.dropna()
    top = float(finite.quantile(0.95)) if len(finite) else 1.0
    norm = Normalize(vmin=0, vmax=max(top, 1e-9))
    scale = colour_scale()
    patches, colours = [], []
    for code, geometry in zip(shapes["code"], geometries, strict=True):
        patch = _patch(geometry) if geometry is not None else None
        if patch is None:
            continue
        value = known.get(code)
        zone = by_code["zone"].get(code)
        if zone != "ZGN" and (value is None or pd.isna(value)):
            colours.append(GREY_ZPN)
        elif value is None or pd.isna(value):
            colours.append(GREY_NO_VALUE)
        else:
            colours.append(scale(norm(min(float(value), top))))
        patches.append(patch)
    bounds = shapely.total_bounds(geometries[~shapely.is_missing(geometries)])
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(width_mm / 25.4, height_mm / 25.4))
        ax = figure.add_axes((0.0, 0.0, 0.86, 0.94))
        ax.add_collection(PatchCollection(patches, facecolors=colours, edgecolors="white",
                                          linewidths=0.3))
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
        # longitude degrees are shorter than latitude ones: keep the shapes' proportions
        ax.set_aspect(1 / math.cos(math.radians((bounds[1] + bounds[3]) / 2)))
        ax.set_axis_off()
        _names(ax, values, shapes, geometries)
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=scale)
        bar = figure.colorbar(mappable, cax=figure.add_axes((0.88, 0.2, 0.025, 0.55)),
                              extend="max" if len(finite) and finite.max() > top else "neither")
        bar.ax.yaxis.set_major_formatter(_thousands)
        bar.set_label("pour 1 000 habitants")
        figure.text(0.01, 0.97, title, fontsize=8.5, va="top")
        return _png(figure)


def _names(ax, values: pd.DataFrame, shapes: pd.DataFrame, geometries) -> None:
    """The names of the most populated communes, none too close to a bigger one's."""
    if "population" not in values:
        return
    drawn = values[values["code"].isin(set(shapes["code"]))]
    where = dict(zip(shapes["code"], geometries, strict=True))
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    placed: list[tuple[float, float]] = []
    for code, name in zip(*drawn.sort_values("population", ascending=False)[["code", "nom"]]
                          .to_numpy().T, strict=True):
        geometry = where.get(code)
        if geometry is None or len(placed) >= MAP_LABELS:
            continue
        point = shapely.point_on_surface(geometry)
        near = any(abs(point.x - x) < (x1 - x0) * 0.12 and abs(point.y - y) < (y1 - y0) * 0.04
                   for x, y in placed)
        if near:
            continue
        placed.append((point.x, point.y))
        ax.annotate(name, (point.x, point.y), fontsize=6.5, ha="center", va="center",
                    path_effects=halo)

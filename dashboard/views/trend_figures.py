"""Plotly figures of the trends page (pure: frames in, figures out), with French labels.

The x axes are dates with French tick labels written here: plotly.js would otherwise print
English month names (its French locale is one more script to serve).
"""

from __future__ import annotations

import pandas as pd

from dashboard.core.formatting import format_number
from dashboard.views.charts import BLUES, SEPARATORS

SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")
BAR = "#6b8fc7"
LINE = "#1d3b6e"  # gendarmerie blue, as the navbar
SECOND = "#b3541e"  # the second territory: orange-brown, distinct for colour-blind readers too
FLAG = "#c0392b"


def graph_config(filename: str) -> dict:
    return {"displaylogo": False, "scrollZoom": False, "locale": "fr",
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
            "toImageButtonOptions": {"filename": filename}}


def _iso(months) -> list[str]:
    return [pd.Timestamp(m).strftime("%Y-%m-%d") for m in months]


def _numbers(values) -> list[float | None]:
    """JSON numbers, None for missing ones (a gap in the line)."""
    return [None if pd.isna(v) else float(v) for v in values]


def _ticks(months) -> tuple[list[str], list[str]]:
    """Every month when there are few, else every quarter or half-year, labelled in French."""
    months = [pd.Timestamp(m) for m in months]
    step = 1 if len(months) <= 13 else 3 if len(months) <= 40 else 6
    picked = [m for m in months if (m.month - 1) % step == 0] or months[:1]
    return _iso(picked), [f"{SHORT_MONTHS[m.month - 1]} {m.year}" for m in picked]


def _layout(months, height: int = 360, **extra) -> dict:
    ticks, texts = _ticks(months)
    return {
        "height": height, "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
        "separators": SEPARATORS, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "white",
        "hovermode": "x unified", "hoverlabel": {"bgcolor": "white"},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "xaxis": {"type": "date", "tickvals": ticks, "ticktext": texts},
        "yaxis": {"gridcolor": "#e9ecef", "rangemode": "tozero", "tickformat": ",~f", **extra},
    }


# Figures are plain dicts (what dcc.Graph sends to plotly.js): building them through
# plotly.graph_objects costs tens of milliseconds per figure in property validation.

def series_figure(series: pd.DataFrame, flags: pd.DataFrame, value_label: str) -> dict:
    """Monthly bars, the 12-month rolling mean as a line, unusual months marked.

    ``series``: mois, libelle, nombre, moyenne_12_mois; ``flags``: mois, observe, signal.
    """
    months = _iso(series["mois"])
    data = [
        {"type": "bar", "x": months, "y": _numbers(series["nombre"]), "name": value_label,
         "marker": {"color": BAR}, "customdata": series["libelle"].tolist(),
         "hovertemplate": "%{customdata} : %{y:,.0f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "x": months,
         "y": _numbers(series["moyenne_12_mois"]),
         "name": "Moyenne mensuelle sur 12 mois glissants",
         "line": {"color": LINE, "width": 2.5},
         "hovertemplate": "moyenne 12 mois : %{y:,.1f}<extra></extra>"},
    ]
    if not flags.empty:
        data.append({
            "type": "scatter", "mode": "markers", "name": "Mois inhabituel",
            "x": _iso(flags["mois"]), "y": _numbers(flags["observe"]),
            "text": flags["signal"].tolist(),
            "marker": {"symbol": ["triangle-up" if s == "hausse" else "triangle-down"
                                  for s in flags["signal"]],
                       "size": 13, "color": FLAG, "line": {"color": "white", "width": 1}},
            "hovertemplate": "mois inhabituel (%{text})<extra></extra>"})
    return {"data": data, "layout": _layout(series["mois"])}


def heatmap_figure(grid: pd.DataFrame) -> dict:
    """Months (rows, January on top) × years (columns), each cell written in the cell too, so
    that colour is never the only way to read it."""
    years = [c for c in grid.columns if c != "mois"]
    z = [[None if pd.isna(v) else float(v) for v in row] for row in grid[years].itertuples(
        index=False, name=None)]
    text = [["" if v is None else format_number(v) for v in row] for row in z]
    trace = {"type": "heatmap", "z": z, "x": years, "y": grid["mois"].tolist(), "text": text,
             "texttemplate": "%{text}", "colorscale": BLUES, "xgap": 2, "ygap": 2,
             "hoverongaps": False, "hovertemplate": "%{y} %{x} : %{text}<extra></extra>",
             "colorbar": {"thickness": 12, "tickformat": ",~f"}}
    layout = {"height": 420, "margin": {"l": 80, "r": 10, "t": 30, "b": 10},
              "separators": SEPARATORS, "paper_bgcolor": "rgba(0,0,0,0)",
              "plot_bgcolor": "white",
              "xaxis": {"type": "category", "side": "top"},
              "yaxis": {"type": "category", "autorange": "reversed"}}
    return {"data": [trace], "layout": layout}


def comparison_figure(frame: pd.DataFrame, first_label: str, second_label: str) -> dict:
    """Both territories' monthly rates per 10,000 inhabitants (sizes differ: counts would not
    compare)."""
    months = _iso(frame["mois"])
    data = [
        {"type": "scatter", "mode": "lines+markers", "x": months, "y": _numbers(frame[column]),
         "name": label, "line": {"color": colour, "width": 2.5, "dash": dash},
         "marker": {"size": 5}, "customdata": frame["libelle"].tolist(),
         "hovertemplate": f"{label} : " + "%{y:,.2f}<extra></extra>"}
        for column, label, colour, dash in (("taux_1", first_label, LINE, "solid"),
                                            ("taux_2", second_label, SECOND, "dash"))
    ]
    return {"data": data, "layout": _layout(frame["mois"], title={
        "text": "pour 10 000 habitants"})}


def message_figure(message: str) -> dict:
    """A blank figure that says why there is nothing to draw (as figures.empty_figure)."""
    return {"data": [], "layout": {
        "height": 240, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"visible": False}, "yaxis": {"visible": False},
        "annotations": [{"text": message, "showarrow": False, "x": 0.5, "y": 0.5,
                         "xref": "paper", "yref": "paper", "font": {"size": 16}}]}}

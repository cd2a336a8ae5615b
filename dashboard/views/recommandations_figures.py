"""The « Recommandations » page's map: communes coloured by the recommended change of their
weekly hours (pure). Its geometry is a URL (``/geo/commune/departement/<code>.json``, served by
:mod:`dashboard.core.map_shapes` and cached by the browser), as on the « Carte » page."""

from __future__ import annotations

import pandas as pd

from dashboard.views.figures import SEPARATORS, wrap
from dashboard.views.recommandations import hours, signed_hours

#: orange (fewer hours) to purple (more hours), readable by colour-blind people (ColorBrewer
#: PuOr)
CHANGE_SCALE = [[0.0, "#b35806"], [0.25, "#f1a340"], [0.5, "#f7f7f7"], [0.75, "#998ec3"],
                [1.0, "#542788"]]
LABEL = "Variation des heures par semaine"


def change_range(values: pd.Series) -> float:
    """Half the colour bar: symmetric around 0, at least one hour."""
    v = values.dropna().abs()
    return max(float(v.max()) if len(v) else 0.0, 1.0)


def change_map(communes: pd.DataFrame, geojson_url: str, metropolitan: bool = True) -> dict:
    """The choropleth as Plotly JSON (``communes``: the plan's rows, one per commune);
    ``metropolitan``: a Lambert-like projection, Mercator for overseas départements."""
    m = change_range(communes["variation"])
    trace = {
        "type": "choropleth", "geojson": geojson_url, "name": LABEL,
        "locations": communes["code_commune"].astype(str).tolist(),
        "z": communes["variation"].astype(float).round(3).tolist(),
        "customdata": [[n, hours(a), hours(r), signed_hours(v)] for n, a, r, v in zip(
            communes["nom"], communes["actuel"], communes["recommande"], communes["variation"],
            strict=True)],
        "hovertemplate": "<b>%{customdata[0]}</b><br>Actuelles : %{customdata[1]}<br>"
                         "Recommandées : %{customdata[2]}<br>Variation : %{customdata[3]}"
                         "<extra></extra>",
        "colorscale": CHANGE_SCALE, "zmin": -m, "zmax": m, "zauto": False,
        "marker": {"line": {"color": "white", "width": 0.5}},
        "colorbar": {"title": {"text": wrap(LABEL), "side": "right"}, "thickness": 14,
                     "tickformat": ",.1f", "len": 0.85, "y": 0.45},
    }
    return {
        "data": [trace],
        "layout": {
            "geo": {"fitbounds": "locations", "visible": False, "projection": (
                {"type": "conic conformal", "parallels": [44, 49]} if metropolitan
                else {"type": "mercator"}), "bgcolor": "rgba(0,0,0,0)"},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 480,
            "separators": SEPARATORS, "paper_bgcolor": "rgba(0,0,0,0)",
            "hoverlabel": {"bgcolor": "white"}, "showlegend": False,
            # a what-if redraws the colours: keep the reader's zoom
            "uirevision": geojson_url,
        },
    }


def map_caption(communes: pd.DataFrame) -> str:
    up = int((communes["variation"] > 0.05).sum())
    down = int((communes["variation"] < -0.05).sum())
    return (f"Variation recommandée des heures de présence hebdomadaires par commune : violet "
            f"pour une hausse ({up} communes), orange pour une baisse ({down}), blanc sans "
            "changement. Les mêmes chiffres figurent dans le tableau des communes.")

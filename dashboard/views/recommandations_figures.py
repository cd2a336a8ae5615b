"""The « Recommandations » page's key figures, live status and map: communes coloured by the
recommended change of their weekly hours (pure). Its geometry is a URL
(``/geo/commune/departement/<code>.json``, served by :mod:`dashboard.core.map_shapes` and
cached by the browser), as on the « Carte » page."""

from __future__ import annotations

import pandas as pd

from dashboard.core.formatting import MISSING, THOUSANDS, format_number
from dashboard.core.kpi import Kpi
from dashboard.views.charts import SEPARATORS, wrap
from dashboard.views.recommandations import hours, signed_hours
from etl.analytics.recommend import Recommendation

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
            communes["nom"], communes["actuel_ramene"], communes["recommande"],
            communes["variation"], strict=True)],
        "hovertemplate": "<b>%{customdata[0]}</b><br>Actuelles à capacité : %{customdata[1]}<br>"
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
    return (f"Variation recommandée des heures de présence hebdomadaires par commune, par "
            f"rapport à ses heures actuelles ramenées à la capacité : violet "
            f"pour une hausse ({up} communes), orange pour une baisse ({down}), blanc sans "
            "changement. Les mêmes chiffres figurent dans le tableau des communes.")


# --- key figures and status ------------------------------------------------------------

def _window(rec: Recommendation) -> str:
    window = rec.inputs.current_window
    if window is None:
        return "aucune présence enregistrée"
    return f"du {window[0].strftime('%d/%m')} au {window[1].strftime('%d/%m/%Y')}"


def key_figures(rec: Recommendation) -> list[Kpi]:
    """Capacity, recorded hours, the capacity effect apart from the reallocation, the élus'
    part, the communes up and down and the brigades planned."""
    c, b = rec.communes, rec.brigades
    capacity = c.drop_duplicates("brigade_id")["capacite_brigade"].sum() if len(c) else 0.0
    recorded = float(c["actuel"].sum())
    solved = c[c["plan_resolu"]]
    up, down = int((solved["variation"] > 0.05).sum()), int((solved["variation"] < -0.05).sum())
    effect = (f"{'+' if capacity >= recorded else ''}"
              f"{format_number(100 * (capacity - recorded) / recorded, 0)}{THOUSANDS}%"
              if recorded > 0 else MISSING)
    moved = float(b["reallocation"].sum()) if len(b) else 0.0
    elus = float(b["heures_elus"].sum()) if len(b) else 0.0
    a = rec.options.allocation
    return [
        Kpi("reco_capacite", "Capacité des brigades", hours(capacity, 0),
            f"par semaine, {format_number(rec.options.capacity_pct, 0)}{THOUSANDS}% de la "
            "capacité modélisée"),
        Kpi("reco_actuel", "Présence enregistrée", hours(recorded, 0),
            f"par semaine : moyenne des semaines complètes {_window(rec)}, ou dernier plan "
            "appliqué"),
        Kpi("reco_effet_capacite", "Effet de capacité", effect,
            "la capacité modélisée dépasse la présence enregistrée de cette part : chaque "
            "commune reçoit d'abord sa part de ces heures" if capacity >= recorded else
            "la capacité modélisée est inférieure à la présence enregistrée"),
        Kpi("reco_reallocation", "Réallocation de la semaine", hours(moved, 0),
            f"déplacées entre communes ; les attentes des élus en déplacent "
            f"{hours(elus, 0)} dans la cible"),
        Kpi("reco_recommande", "Heures recommandées", hours(c["recommande"].sum(), 0),
            f"{format_number(int(c['visites'].sum()))} visites de {a.visit_minutes} min"),
        Kpi("reco_communes", "Communes", format_number(len(c)),
            f"{up} en hausse, {down} en baisse"),
        Kpi("reco_brigades", "Brigades planifiées",
            f"{len(rec.plans)} / {c['brigade_id'].nunique()}",
            "sans solution : " + format_number(len(rec.errors))),
    ]


def status_text(rec: Recommendation) -> str:
    """What the live region says once a plan is drawn."""
    c, b = rec.communes, rec.brigades
    moved = float(b["reallocation"].sum()) if len(b) else 0.0
    return (f"Plan de la semaine {rec.inputs.semaine} : {hours(c['recommande'].sum())} "
            f"recommandées, capacité à {format_number(rec.options.capacity_pct, 0)}"
            f"{THOUSANDS}% ({hours(c['actuel'].sum())} de présence enregistrée) ; "
            f"{hours(moved)} déplacées entre communes.")

"""What the « Carte » page shows: the map of one indicator (figure, recolouring patch, legend,
caption) and its table, from the units and values computed in :mod:`map_values` (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from dash import Patch

from dashboard.core import report
from dashboard.core.formatting import format_number
from dashboard.core.scope import Period, Scope
from dashboard.views.charts import SEPARATORS, wrap
from dashboard.views.map_indicators import (
    BRIGADE,
    COMMUNE,
    DEPARTEMENT,
    DIVERGING_SCALES,
    GREY_NO_VALUE,
    GREY_ZPN,
    MAILLE_LABELS,
    SCALES,
    STATUS_TEXT,
    Choices,
    Geometry,
    MapIndicator,
    format_value,
    geometry_for,
    pick_maille,
)
from dashboard.views.map_values import Values, values_of
from dashboard.views.measures import rank_text, ranks

# --- the map ---------------------------------------------------------------------------------

@dataclass
class MapResult:
    """One map: its units with values, ranks and texts, and what the page says about it."""

    indicator: MapIndicator
    maille: str
    scope: Scope
    scope_label: str
    geometry: Geometry | None
    frame: pd.DataFrame  # code, nom, value, status, rank, value_text, rank_text, status_text…
    label: str
    details: dict[str, str] = field(default_factory=dict)
    detail_decimals: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    message: str | None = None  # replaces the map and the table
    info: str | None = None  # shown above the map (e.g. nothing recorded)
    metropolitan: bool = True

    @property
    def title(self) -> str:
        return f"{MAILLE_LABELS[self.maille]} — {self.scope_label} — {self.label}"

    @property
    def drawn(self) -> pd.DataFrame:
        """The units on the map: on the national map, metropolitan France only (overseas
        départements would zoom the map out to the whole world)."""
        if self.scope.level == "france" and "outre_mer" in self.frame:
            return self.frame[~self.frame["outre_mer"].astype(bool)]
        return self.frame

    @property
    def valued(self) -> pd.DataFrame:
        drawn = self.drawn
        return drawn[drawn["value"].notna()]

    @property
    def greyed(self) -> pd.DataFrame:
        drawn = self.drawn
        return drawn[drawn["value"].isna()]

    def columns(self) -> dict[str, str]:
        """Frame column → French header, for the table and the CSV export."""
        first = {"code": "Code", "nom": MAILLE_LABELS[self.maille][:-1]}
        if self.maille != DEPARTEMENT and self.scope.level in ("france", "region"):
            first["departement"] = "Département"
        return first | self.details | {"value": self.label, "rank": "Rang",
                                       "status_text": "Remarque"}

    def decimals(self) -> dict[str, int]:
        return {"value": self.indicator.decimals} | self.detail_decimals

    def export_frame(self) -> pd.DataFrame:
        """Every unit, by rank (units without a value last), its figures with the decimals the
        table shows (a rate 39,12, not 39,12099596827788; durations in whole minutes); whole
        numbers as such."""
        frame = self.frame.sort_values(["rank", "nom"], na_position="last")
        decimals = self.decimals() | ({"value": 0} if self.indicator.kind == "minutes" else {})
        for column, places in decimals.items():
            if column in frame and pd.api.types.is_numeric_dtype(frame[column]):
                rounded = frame[column].astype("float64").round(places)
                frame = frame.assign(**{column: rounded.astype("Int64") if places == 0
                                        else rounded})
        return frame

    def export_filename(self) -> str:
        scope = self.scope.to_param().replace(":", "_")
        return f"carte_{self.indicator.key}_{self.maille}_{scope}.csv"


def assemble(units: pd.DataFrame, values: Values, indicator: MapIndicator) -> pd.DataFrame:
    """Units (code, nom, zone, …) with their value, status, rank and texts. A unit without a
    value row is « zone police » in the police zone, « aucune donnée » elsewhere."""
    frame = units.merge(values.frame, on="code", how="left")
    if "value" not in frame:
        frame["value"] = np.nan
    value = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["value"] = value.where(np.isfinite(value))  # no infinity on a map
    given = frame["status"].tolist() if "status" in frame else [None] * len(frame)
    has_row = frame["code"].isin(values.frame["code"]).tolist()
    zones = frame["zone"].tolist() if "zone" in frame else ["ZGN"] * len(frame)
    statuses = []
    for value, status, row, zone in zip(frame["value"].tolist(), given, has_row, zones,
                                        strict=True):
        if not math.isnan(value):
            statuses.append(None)
        elif not row:
            statuses.append("zone_police" if zone == "ZPN" else "sans_donnee")
        elif isinstance(status, str):
            statuses.append(status)
        else:
            statuses.append("sans_donnee")
    frame["status"] = pd.Series(statuses, index=frame.index, dtype="object")
    frame["rank"] = ranks(frame["value"])
    total = int(frame["value"].notna().sum())
    frame["value_text"] = [format_value(v, indicator) for v in frame["value"]]
    frame["rank_text"] = [rank_text(r, total) for r in frame["rank"]]
    frame["status_text"] = [STATUS_TEXT.get(s, "") if isinstance(s, str) else ""
                            for s in frame["status"]]
    return frame


def colour_range(values: pd.Series, indicator: MapIndicator) -> tuple[float, float]:
    """The colour bar's range: fixed for shares and scores; symmetric around 0 for changes
    (up to the 95th percentile of the magnitudes, so that one tiny commune does not wash out
    the map); otherwise from the lowest value to the 98th percentile."""
    v = values.dropna().astype("float64")
    if indicator.fixed_range is not None:
        return indicator.fixed_range
    if v.empty:
        return (0.0, 1.0)
    if indicator.scale in DIVERGING_SCALES:
        m = float(v.abs().quantile(0.95)) if len(v) >= 20 else float(v.abs().max())
        m = max(m, 1.0)
        return (-m, m)
    low = float(v.min())
    high = float(v.quantile(0.98)) if len(v) >= 50 else float(v.max())
    if high <= low:
        high = low + 1.0
    return (low, high)


#: outline of a unit whose smoothed rate is uncertain (etl.analytics.small_area)
UNCERTAIN_LINE, UNCERTAIN_WIDTH = "#000000", 2.0


def uncertain_flags(frame: pd.DataFrame) -> list[bool]:
    """Whether each unit's estimate is uncertain (no ``incertain`` column: none is)."""
    if "incertain" not in frame:
        return [False] * len(frame)
    return [v is True or (not pd.isna(v) and bool(v)) for v in frame["incertain"]]


def uncertainty_hover(frame: pd.DataFrame) -> list[str]:
    """The hover's last line: the 90 % interval of a smoothed rate, and « estimation
    incertaine » when it is wider than the rate."""
    if "taux_bas" not in frame:
        return [""] * len(frame)
    out = []
    for low, high, flag in zip(frame["taux_bas"], frame["taux_haut"], uncertain_flags(frame),
                               strict=True):
        if pd.isna(low) or pd.isna(high):
            out.append("")
            continue
        text = f"<br>Intervalle à 90 % : {format_number(low, 1)} à {format_number(high, 1)}"
        out.append(text + ("<br><b>Estimation incertaine</b>" if flag else ""))
    return out


def map_traces(shown: MapResult, geojson_url: str) -> list[dict]:
    """The map's two traces as plain dicts: the units with a value (coloured), then the grey
    ones (« non diffusé », police zone, no data). Both always exist, so that a patch can
    replace either."""
    indicator = shown.indicator
    valued, greyed = shown.valued, shown.greyed
    zmin, zmax = colour_range(valued["value"], indicator)
    label = shown.label
    decimals = 0 if indicator.kind == "minutes" else indicator.decimals
    uncertain = uncertain_flags(valued)
    coloured = {
        "type": "choropleth", "geojson": geojson_url, "name": label,
        "locations": valued["code"].tolist(),
        "z": valued["value"].round(6).tolist(),
        "customdata": [[n, t, r, u] for n, t, r, u in zip(
            valued["nom"], valued["value_text"], valued["rank_text"],
            uncertainty_hover(valued), strict=True)],
        "hovertemplate": "<b>%{customdata[0]}</b><br>" + label
        + " : %{customdata[1]}<br>Rang : %{customdata[2]}%{customdata[3]}<extra></extra>",
        "colorscale": SCALES[indicator.scale], "zmin": zmin, "zmax": zmax, "zauto": False,
        # an uncertain estimate is outlined in black (legend note: SMOOTHING_NOTE)
        "marker": {"line": {"color": [UNCERTAIN_LINE if u else "white" for u in uncertain]
                            if any(uncertain) else "white",
                            "width": [UNCERTAIN_WIDTH if u else 0.5 for u in uncertain]
                            if any(uncertain) else 0.5}},
        # shorter than the plot: the mode bar sits above it
        "colorbar": {"title": {"text": wrap(label), "side": "right"}, "thickness": 14,
                     "tickformat": f",.{decimals}f", "len": 0.85, "y": 0.45},
        "showscale": True,
    }
    grey_z = [0 if s == "zone_police" else 1 for s in greyed["status"]]
    grey = {
        "type": "choropleth", "geojson": geojson_url, "name": "Sans valeur",
        "locations": greyed["code"].tolist(), "z": grey_z,
        "customdata": [[n, t] for n, t in zip(greyed["nom"], greyed["status_text"],
                                              strict=True)],
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        "colorscale": [[0.0, GREY_ZPN], [0.5, GREY_ZPN], [0.5, GREY_NO_VALUE],
                       [1.0, GREY_NO_VALUE]],
        "zmin": 0, "zmax": 1, "zauto": False, "showscale": False,
        "marker": {"line": {"color": "white", "width": 0.5}},
    }
    return [coloured, grey]


#: trace properties a patch replaces (never the geometry)
PATCHED = ("name", "locations", "z", "customdata", "hovertemplate", "colorscale", "zmin", "zmax",
           "colorbar", "marker")


def map_figure(shown: MapResult, geojson_url: str) -> dict:
    """The choropleth, as Plotly JSON (no graph_objects validation: it costs more than the
    queries on a national map). Its geometry is a URL (served by :mod:`dashboard.core.map_shapes`
    and cached by the browser), not inline: the figure carries only codes, values and texts."""
    projection = ({"type": "conic conformal", "parallels": [44, 49]}
                  if shown.metropolitan else {"type": "mercator"})
    return {
        "data": map_traces(shown, geojson_url),
        "layout": {
            "geo": {"fitbounds": "locations", "visible": False, "projection": projection,
                    "bgcolor": "rgba(0,0,0,0)"},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 560,
            "separators": SEPARATORS, "paper_bgcolor": "rgba(0,0,0,0)",
            "hoverlabel": {"bgcolor": "white"}, "showlegend": False,
            # keeps the user's zoom when only the colours change
            "uirevision": geojson_url,
        },
    }


def map_patch(shown: MapResult, geojson_url: str) -> Patch:
    """Only the colours, values and texts of both traces: the geometry and the layout stay."""
    patch = Patch()
    for i, trace in enumerate(map_traces(shown, geojson_url)):
        for key in PATCHED:
            if key in trace:
                patch["data"][i][key] = trace[key]
    return patch


def legend_items(shown: MapResult) -> list[tuple[str, str]]:
    """(colour, text) of the grey units present on the map."""
    statuses = set(shown.greyed["status"])
    items = []
    if "zone_police" in statuses:
        items.append((GREY_ZPN, STATUS_TEXT["zone_police"]))
    other = sorted(statuses - {"zone_police"})
    if other:
        items.append((GREY_NO_VALUE, " ; ".join(STATUS_TEXT[s] for s in other)))
    return items


def caption(shown: MapResult) -> str:
    hint = {COMMUNE: "Cliquez sur une commune pour ouvrir sa fiche.",
            BRIGADE: "Cliquez sur une brigade pour ouvrir sa fiche.",
            DEPARTEMENT: "Cliquez sur un département pour afficher ses communes."}[shown.maille]
    text = f"{shown.indicator.description[:1].upper()}{shown.indicator.description[1:]}. "
    return (text + " ".join(shown.notes) + " Rang 1 : valeur la plus élevée. " + hint
            + " Les mêmes chiffres figurent dans le tableau ci-dessous.")


NO_UNIT = "Aucune unité à afficher pour ce territoire."


def map_result(indicator: MapIndicator, choices: Choices, period: Period, scope: Scope,
               maille: str, label: str, departement: str | None, units: pd.DataFrame,
               frames: Mapping[str, pd.DataFrame]) -> MapResult:
    """One map from the frames the page read (:func:`queries.carte.map_frames`)."""
    maille = pick_maille(scope, maille)
    geometry = geometry_for(scope, maille, departement)
    if units.empty:
        return MapResult(indicator, maille, scope, label, None, units, indicator.label,
                         message=NO_UNIT)
    values = values_of(indicator, frames, choices, period, maille)
    frame = assemble(units, values, indicator)
    # overseas départements are listed, not drawn, on the national map
    metropolitan = True if scope.level == "france" else not bool(units["outre_mer"].any())
    notes = list(values.notes)
    if scope.level == "france":
        notes.append("Les départements d'outre-mer ne sont pas sur la carte nationale : ils "
                     "figurent dans le tableau et s'ouvrent par les liens au-dessus de la carte.")
    return MapResult(indicator, maille, scope, label, geometry, frame,
                     values.label or indicator.label, values.details, values.detail_decimals,
                     notes, info=values.empty_message, metropolitan=metropolitan)


def unit_links(shown: MapResult, period: Period, prefix: str = "/") -> dict[str, str]:
    """Where a unit's name leads: its profile, or a département's communes (``prefix``: the
    app's path prefix)."""
    dates = urlencode(period.params())
    if shown.maille == COMMUNE:
        return {c: f"{prefix}commune?code={c}&{dates}" for c in shown.frame["code"]}
    if shown.maille == BRIGADE:
        return {c: f"{prefix}brigade?id={c}&{dates}" for c in shown.frame["code"]}
    return {c: f"{prefix}carte?" + urlencode({"perimetre": f"departement:{c}",
                                              "maille": "commune"}) + f"&{dates}"
            for c in shown.frame["code"]}


def table(shown: MapResult, period: Period, prefix: str, table_id: str, rows: int):
    """The map's table (its text alternative), units linked to their profiles."""
    frame = shown.export_frame().copy()
    frame["lien"] = frame["code"].map(unit_links(shown, period, prefix))
    return report.linked_table(
        frame, shown.columns(), f"{shown.title} ({period.label()})",
        decimals=shown.decimals(), links={"nom": "lien"}, table_id=table_id, max_rows=rows)

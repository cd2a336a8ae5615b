"""What the organisation page shows for a scope (France or one département): its map, table and
key figures, from the frames of :mod:`dashboard.queries.organisation` (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.core.kpi import Kpi, build_kpis
from dashboard.views import organisation_indicators as indicators
from dashboard.views.charts import BLUES, SEPARATORS, empty_figure, wrap
from dashboard.views.organisation_indicators import DEPARTEMENT, NATIONAL, Indicator

NO_DEPARTEMENT = "L'entrepôt ne contient aucun département."
NO_BRIGADE = ("Aucune brigade territoriale dans ce département : "
              "il est entièrement en zone police.")
NO_SHAPE = "Les contours de ces unités ne sont pas disponibles : voir le tableau ci-dessous."


def unknown_departement(code: str) -> str:
    shown = code if len(code) <= 12 else code[:12] + "…"  # it comes from the URL: keep it short
    return f"Département inconnu : « {shown} ». Choisissez-en un dans la liste."


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


@dataclass(frozen=True)
class MapView:
    """The map of one scope, its table of figures and why either is missing."""

    level: str
    indicator: Indicator
    title: str
    caption: str
    frame: pd.DataFrame
    geojson: dict
    departement: str = ""  # the département shown, "" for France
    metropolitan: bool = True
    message: str | None = None  # replaces map and table when set
    map_message: str | None = None  # replaces the map only

    @property
    def figure_caption(self) -> str:
        hint = (" Cliquez sur un département pour afficher ses brigades."
                if self.level == NATIONAL else "")
        return ("Carte choroplèthe ; les mêmes chiffres figurent dans le tableau ci-dessous."
                + hint)

    @property
    def columns(self) -> dict[str, str]:
        return indicators.table_columns(self.level)

    @property
    def decimals(self) -> dict[str, int]:
        return {i.key: i.decimals for i in indicators.indicators_for(self.level)}

    @property
    def shapes_layer(self) -> tuple[str, str, str]:
        """(couche, niveau, zone) of the map's shapes, as dashboard.core.map_shapes serves them."""
        if self.level == NATIONAL:
            return "departement", "national", "france"
        return "brigade", "departement", self.departement

    def figure(self, shapes_url: str | None = None) -> go.Figure:
        """The map; its shapes inline, or by ``shapes_url`` (the file of
        :attr:`shapes_layer`, which the browser then keeps across pages and visits)."""
        if self.message or self.map_message:
            return empty_figure(self.message or self.map_message or "")
        drawn = self.frame[self.frame["code"].isin({f["id"] for f in self.geojson["features"]})]
        key = self.indicator.key
        return choropleth_figure(
            shapes_url or self.geojson,
            codes=drawn["code"].tolist(),
            names=(drawn["code"] + " — " + drawn["nom"]).tolist()
            if self.level == NATIONAL else drawn["nom"].tolist(),
            values=drawn[key].astype("float64").tolist(),
            value_texts=indicators.value_texts(drawn[key], self.indicator),
            indicator_label=self.indicator.label,
            decimals=self.indicator.decimals,
            metropolitan=self.metropolitan,
        )

    def export_filename(self) -> str:
        scope = f"departement_{self.departement}" if self.departement else "france"
        return f"organisation_{scope}.csv"


def _empty(level: str, indicator_key: str | None, message: str) -> MapView:
    indicator = indicators.pick_indicator(level, indicator_key)
    return MapView(level, indicator, "", "", pd.DataFrame(), {"features": []}, message=message)


def departement_options(departements: pd.DataFrame) -> list[dict[str, str]]:
    """Dropdown options « 35 — Ille-et-Vilaine », overseas ones included and marked."""
    return [
        {"label": f"{code} — {nom}" + (" (outre-mer)" if om else ""), "value": code}
        for code, nom, om in zip(departements["code"], departements["nom"],
                                 departements["outre_mer"], strict=True)
    ]


def map_view(frames, departement: str | None, indicator_key: str | None) -> MapView:
    """The national map of départements, or the brigades of ``departement``, from ``frames``
    (:func:`dashboard.queries.organisation.map_frames`: departements, brigades, geojson).

    ``departement`` comes from the browser: it is checked against the warehouse, never trusted.
    """
    level = NATIONAL if not departement else DEPARTEMENT
    departements = frames.departements
    if departements.empty:
        return _empty(level, indicator_key, NO_DEPARTEMENT)
    indicator = indicators.pick_indicator(level, indicator_key)
    if level == NATIONAL:
        frame = indicators.departement_frame(departements)
        geojson = frames.geojson
        caption = (f"{indicator.label} par département. Les départements d'outre-mer, "
                   "absents de la carte, figurent dans ce tableau.")
        return MapView(level, indicator, f"Départements — {indicator.label}", caption, frame,
                       geojson, map_message=None if geojson["features"] else NO_SHAPE)
    match = departements[departements["code"] == departement]
    if match.empty:
        return _empty(level, indicator_key, unknown_departement(str(departement)))
    row = match.iloc[0]
    code = str(row["code"])
    title = f"Brigades — {code} {row['nom']} — {indicator.label}"
    brigades = frames.brigades
    if brigades.empty:
        return MapView(level, indicator, title, "", pd.DataFrame(), {"features": []},
                       departement=code, message=NO_BRIGADE)
    frame = indicators.brigade_frame(brigades)
    geojson = frames.geojson
    caption = f"{indicator.label} par brigade, {code} — {row['nom']}."
    return MapView(level, indicator, title, caption, frame, geojson, departement=code,
                   metropolitan=not bool(row["outre_mer"]),
                   map_message=None if geojson["features"] else NO_SHAPE)


def scope_kpis(departements: pd.DataFrame, summary: dict | None, modelled: bool,
               departement: str | None) -> tuple[str, list[Kpi]]:
    """The heading of the scope and its cards (``summary``: the scope's totals, from
    :func:`dashboard.queries.organisation.summary`); an unknown département gives no cards."""
    if not departement:
        return "France entière", build_kpis(summary or {}, national=True, modelled=modelled)
    match = departements[departements["code"] == departement]
    if match.empty:
        return unknown_departement(str(departement)), []
    row = match.iloc[0]
    return (f"{row['code']} — {row['nom']}",
            build_kpis(summary or {}, national=False, modelled=modelled))


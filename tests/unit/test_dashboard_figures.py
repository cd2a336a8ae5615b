"""The chart toolbox (dashboard.views.charts) and the organisation page's map."""

import plotly.graph_objects as go

from dashboard.views.charts import empty_figure, wrap
from dashboard.views.organisation import choropleth_figure

GEOJSON = {"type": "FeatureCollection", "features": []}


def test_choropleth_is_an_svg_geo_map_fitted_to_its_units():
    figure = choropleth_figure(GEOJSON, ["35", "56"], ["35 — Ille-et-Vilaine", "56 — Morbihan"],
                               [10.0, None], ["10", "—"], "Nombre de brigades")
    (trace,) = figure.data
    assert isinstance(trace, go.Choropleth)  # not Choroplethmap: no WebGL needed
    assert list(trace.locations) == ["35", "56"]
    assert trace.customdata[1][1] == "—"
    assert "Nombre de brigades : %{customdata[1]}" in trace.hovertemplate
    assert figure.layout.geo.fitbounds == "locations"
    assert figure.layout.geo.visible is False
    assert figure.layout.geo.projection.type == "conic conformal"
    assert figure.layout.separators.startswith(",")


def test_overseas_units_use_mercator_and_ratio_ticks_have_a_decimal():
    figure = choropleth_figure(GEOJSON, ["B1"], ["Le Lamentin"], [5.1], ["5,1"], "Ratio",
                               decimals=1, metropolitan=False)
    assert figure.layout.geo.projection.type == "mercator"
    assert figure.data[0].colorbar.tickformat == ",.1f"


def test_empty_figure_says_why():
    figure = empty_figure("Aucune brigade")
    assert figure.layout.annotations[0].text == "Aucune brigade"
    assert not figure.data


def test_wrap():
    assert wrap("Gendarmes pour 10 000 habitants") == "Gendarmes pour 10 000<br>habitants"

"""The « Carte » page's national commune map (maille commune, France entière): every commune
of France as one WebGL point (:mod:`dashboard.views.carte_communes` says why). Only a national
reach has the national territory (``scaffold.checked_view``: a préfet or a commandant asking for
it gets a 403), so only analysts and national administrators see this map; every other role
keeps the commune maps of its own territory."""

from __future__ import annotations

from dash import Patch

from dashboard.core.warehouse import Warehouse
from dashboard.queries import carte_communes as queries
from dashboard.views import carte_communes as view
from dashboard.views.carte import MapResult

applies = view.applies


def outputs(shown: MapResult, warehouse: Warehouse, url: str, recolour: bool
            ) -> tuple[dict | Patch, str]:
    """The figure (a Patch of the point traces when the map is already drawn) and the
    caption. ``url`` names the drawn map (the layer's identity for the page's Patch logic)."""
    layer = view.layer(warehouse.version, lambda: (queries.positions(warehouse),
                                                   queries.outlines(warehouse)))
    figure = view.patch(shown, layer) if recolour else view.figure(shown, layer, url)
    return figure, view.caption(shown)

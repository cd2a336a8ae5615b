"""The « Carte » page's national commune map (maille commune, France entière): every commune
of France as one WebGL point (:mod:`dashboard.views.carte_communes` says why). Only a national
reach has the national territory (``scaffold.checked_view``: a préfet or a commandant asking for
it gets a 403), so only analysts and national administrators see this map; every other role
keeps the commune maps of its own territory."""

from __future__ import annotations

from dash import Patch

from dashboard.core.cache import Lru
from dashboard.core.warehouse import Warehouse
from dashboard.queries import carte_communes as queries
from dashboard.views import carte_communes as view
from dashboard.views.carte import MapResult

applies = view.applies

#: the figures last built, per map (the page keeps its maps: the same map object is asked for
#: again by the page's layout, its callback and other tabs): 35,000 points' lists take ~80 ms
_figures: Lru[tuple[MapResult, dict | Patch, str]] = Lru(4)


def outputs(shown: MapResult, warehouse: Warehouse, url: str, recolour: bool
            ) -> tuple[dict | Patch, str]:
    """The figure (a Patch of the point traces when the map is already drawn) and the
    caption. ``url`` names the drawn map (the layer's identity for the page's Patch logic)."""
    key = (id(shown), url, recolour)
    hit = _figures.get(key)
    if hit is not None and hit[0] is shown:  # the same map (an id is reused only once freed)
        return hit[1], hit[2]
    layer = view.layer(warehouse.version, lambda: (queries.positions(warehouse),
                                                   queries.outlines(warehouse)))
    figure = view.patch(shown, layer) if recolour else view.figure(shown, layer, url)
    caption = view.caption(shown)
    _figures.put(key, (shown, figure, caption))
    return figure, caption

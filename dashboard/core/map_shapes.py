"""Display geometries as GeoJSON files, fetched by Plotly from the map figures.

A figure names its geometry by URL (``/geo/<couche>/<niveau>/<zone>.json?v=<warehouse>``)
instead of carrying it inline: Plotly downloads each URL once per page and keeps it
(``window.PlotlyGeoAssets``), the browser caches it across visits (the ``v`` parameter changes
with the published warehouse), and a callback that recolours a map sends only codes and values.
The JSON is built once per warehouse file and layer, kept gzipped in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import json

import dash
import flask
from werkzeug.exceptions import NotFound

from dashboard.core import access
from dashboard.core import warehouse as data
from dashboard.core.cache import Lru
from dashboard.core.scope import CODE_RE

COUCHES = ("commune", "brigade", "compagnie", "departement")
NIVEAUX = ("departement", "national")
NATIONAL_ZONE = "france"
CACHE_SIZE = 24
ROUTE = "/geo/<couche>/<niveau>/<zone>.json"


def version_token(version: object) -> str:
    """A short token naming one published warehouse file."""
    return hashlib.sha1(repr(version).encode(), usedforsecurity=False).hexdigest()[:12]


def url_for(couche: str, niveau: str, zone: str, warehouse: data.Warehouse) -> str:
    """The URL of a layer, for the figure (call after a query, so that the version is set)."""
    path = dash.get_relative_path(f"/geo/{couche}/{niveau}/{zone}.json")
    return f"{path}?v={version_token(warehouse.version)}"


def check_access(couche: str, zone: str) -> None:
    """National outlines of départements are for everyone signed in; every other national
    layer for national roles; a département's layers for who may see that département. The
    brigade role gets its own département's commune outlines only (what the Carte page draws
    for its brigade and its communes), never its brigades' or compagnies' layers. A refusal is
    a 403 and one ``acces_refuse`` audit record."""
    user = access.require_user()
    if zone == NATIONAL_ZONE:
        if couche != "departement" and not user.national:
            access.refuse(user, f"géométries nationales demandées : {couche}")
        return
    if user.by_brigade:
        if couche != "commune" or zone != user.departement:
            access.refuse(user, f"géométries demandées : {couche} du département {zone}")
        return
    access.check_departement(zone)


def encode(collection: dict) -> tuple[str, bytes, bytes]:
    raw = json.dumps(collection, separators=(",", ":")).encode()
    etag = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    return etag, raw, gzip.compress(raw, compresslevel=6)


def init_shapes(server: flask.Flask) -> None:
    """Register the geometry route on the app's Flask server (behind the sign-in guard)."""
    # (layer, warehouse version) → (etag, JSON bytes, gzipped bytes)
    cache: Lru[tuple[str, bytes, bytes]] = Lru(CACHE_SIZE)

    @server.route(ROUTE)
    def geo_shapes(couche: str, niveau: str, zone: str):
        if couche not in COUCHES or niveau not in NIVEAUX or not (
                zone == NATIONAL_ZONE or CODE_RE.match(zone)):
            raise NotFound()
        check_access(couche, zone)
        warehouse = data.get_warehouse()
        departement = None if zone == NATIONAL_ZONE else zone
        collection = warehouse.geojson(couche, niveau, departement)
        token = version_token(warehouse.version)
        key = (couche, niveau, zone, token)
        etag, raw, packed = cache.get_or_compute(key, lambda: encode(collection))
        if flask.request.if_none_match.contains(etag):
            response = flask.Response(status=304)
        elif "gzip" in flask.request.headers.get("Accept-Encoding", ""):
            response = flask.Response(packed, mimetype="application/json")
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = flask.Response(raw, mimetype="application/json")
        response.set_etag(etag)
        response.headers["Vary"] = "Accept-Encoding"
        # the address names the warehouse file: while it is the published one, keep it
        fresh = flask.request.args.get("v") == token
        response.headers["Cache-Control"] = ("private, max-age=86400" if fresh
                                             else "private, no-cache")
        return response

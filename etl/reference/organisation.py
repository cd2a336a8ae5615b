"""The gendarmerie's territorial organisation, modelled from public facts (see README).

Pure functions on DataFrames: zones (ZGN/ZPN), brigades, compagnies, communities of brigades (COB)
and modelled headcounts. The real units files replace the model in :mod:`etl.reference.units`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering

POLICE_DEPARTEMENTS = ("75", "92", "93", "94")


@dataclass(frozen=True)
class OrganisationParameters:
    """Every number the model uses; published in the table ``organisation_parametres``."""

    police_departements: tuple[str, ...] = POLICE_DEPARTEMENTS
    #: communes at least this large are police territory (ZPN)
    ville_police_population: int = 20_000
    #: a neighbour of a police city is police too when both dense and populated enough
    voisin_densite_min: float = 600.0
    voisin_population_min: int = 3_500
    #: brigades in the country, shared between départements by population and area
    brigades_cible: int = 3_100
    poids_population: float = 0.5
    #: compagnies: about one per this many brigades in a département
    brigades_par_compagnie: float = 8.0
    #: a community of brigades (COB) groups up to 3 brigades serving together at most this many
    cob_population_max: int = 20_000
    cob_taille_max: int = 3
    #: headcount: workload index = inhabitants / 1,000 + km² / 40, scaled to this national mean
    effectif_moyen: float = 17.0
    effectif_min: int = 6
    effectif_max: int = 60
    km2_par_unite_charge: float = 40.0

    def as_rows(self) -> list[tuple[str, str]]:
        return [(k, ",".join(v) if isinstance(v, tuple) else str(v))
                for k, v in asdict(self).items()]


PARAMETER_HELP = {
    "police_departements": "Départements entirely in police zone (Paris and its inner ring)",
    "ville_police_population": "Communes with at least this population are in police zone",
    "voisin_densite_min": "Density (inh./km²) above which a neighbour of a police city joins it",
    "voisin_population_min": "Population above which a neighbour of a police city joins it",
    "brigades_cible": "Number of brigades modelled nationally",
    "poids_population": "Weight of population (vs area) when sharing brigades out",
    "brigades_par_compagnie": "Average brigades per compagnie",
    "cob_population_max": "Largest population served by a community of brigades",
    "cob_taille_max": "Largest number of brigades in a community",
    "effectif_moyen": "National mean headcount of a brigade",
    "effectif_min": "Smallest modelled brigade headcount",
    "effectif_max": "Largest modelled brigade headcount",
    "km2_par_unite_charge": "km² counting as one workload unit, like 1,000 inhabitants",
}


def adjacency_matrix(n: int, pairs: np.ndarray) -> sparse.csr_matrix:
    """Symmetric boolean adjacency matrix of ``n`` items from index pairs."""
    if len(pairs) == 0:
        return sparse.csr_matrix((n, n), dtype=bool)
    i, j = pairs[:, 0], pairs[:, 1]
    data = np.ones(2 * len(i), dtype=bool)
    return sparse.csr_matrix((data, (np.r_[i, j], np.r_[j, i])), shape=(n, n))


def assign_zones(
    communes: pd.DataFrame, pairs: np.ndarray, params: OrganisationParameters
) -> pd.Series:
    """'ZPN' or 'ZGN' per commune (row order kept).

    Rule: the police départements; communes of ``ville_police_population`` or more; then, grown
    to a fixed point, neighbours of a police commune that are both dense and populated (the
    continuous suburbs of the large cities). Everything else is gendarmerie.
    """
    pop = communes["population"].to_numpy(dtype=float)
    dens = communes["densite"].fillna(0).to_numpy(dtype=float)
    police = communes["departement"].isin(params.police_departements).to_numpy().copy()
    police |= pop >= params.ville_police_population
    suburb = (dens >= params.voisin_densite_min) & (pop >= params.voisin_population_min)
    adj = adjacency_matrix(len(communes), pairs)
    while True:
        touching = adj @ police.astype(np.int8) > 0
        grown = police | (touching & suburb)
        if (grown == police).all():
            break
        police = grown
    return pd.Series(np.where(police, "ZPN", "ZGN"), index=communes.index)


def share_out(weights: pd.Series, total: int, caps: pd.Series, minimum: int = 1) -> pd.Series:
    """Integer shares of ``total`` proportional to ``weights``, each at least ``minimum`` and at
    most its cap (largest remainder method).

    A cap that binds (a vast département with few communes, such as Guyane, cannot take its whole
    area share) fixes that share, and the rest is shared again among the others.
    """
    w = weights.clip(lower=0).astype(float)
    caps = caps.reindex(w.index)
    n = pd.Series(0, index=w.index, dtype="int64")
    fixed = pd.Series(False, index=w.index)
    while True:
        budget = total - int(n[fixed].sum())
        exact = w[~fixed] / w[~fixed].sum() * budget
        over = exact.index[exact > caps[~fixed]]
        if len(over) == 0:
            break
        n[over] = caps[over]
        fixed[over] = True
    base = np.minimum(np.floor(exact).astype("int64").clip(lower=minimum), caps[~fixed])
    n[base.index] = base
    remaining = total - int(n.sum())
    order = (exact - np.floor(exact)).sort_values(ascending=False, kind="stable").index
    while remaining < 0 and (n[order] > minimum).any():  # the minimum overshot the total
        for key in reversed(order):
            if remaining < 0 and n[key] > minimum:
                n[key] -= 1
                remaining += 1
    while remaining > 0 and (n[order] < caps[order]).any():
        for key in order:
            if remaining > 0 and n[key] < caps[key]:
                n[key] += 1
                remaining -= 1
    return n


def cluster_contiguous(xy: np.ndarray, pairs: np.ndarray, n_clusters: int) -> np.ndarray:
    """Labels 0..n_clusters-1 grouping points into compact groups that follow the adjacency graph
    (Ward linkage constrained by connectivity: a group only merges with a touching group, except
    across islands, where scikit-learn bridges the components with nearest neighbours)."""
    n = len(xy)
    if n_clusters >= n:
        return np.arange(n)
    if n_clusters <= 1:
        return np.zeros(n, dtype=int)
    conn = adjacency_matrix(n, pairs)
    model = AgglomerativeClustering(n_clusters=n_clusters, linkage="ward", connectivity=conn)
    import warnings

    with warnings.catch_warnings():
        # islands: scikit-learn warns that it completes the connectivity graph; that is intended
        warnings.simplefilter("ignore", UserWarning)
        return model.fit_predict(xy)


def project_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Local equirectangular projection in km: enough for clustering inside one département."""
    lat0 = np.nanmean(lat)
    return np.column_stack([lon * 111.32 * np.cos(np.radians(lat0)), lat * 110.57])


def _subset_pairs(pairs: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Pairs among ``index`` (global positions), renumbered to positions within ``index``."""
    pos = np.full(pairs.max() + 1 if len(pairs) else 0, -1)
    keep_idx = index[index < len(pos)]
    pos[keep_idx] = np.searchsorted(index, keep_idx)
    if len(pairs) == 0:
        return pairs
    a, b = pos[pairs[:, 0]], pos[pairs[:, 1]]
    ok = (a >= 0) & (b >= 0)
    return np.column_stack([a[ok], b[ok]])


def _groups_to_pairs(labels: np.ndarray, pairs: np.ndarray) -> set[tuple[int, int]]:
    a, b = labels[pairs[:, 0]], labels[pairs[:, 1]]
    return {(int(min(x, y)), int(max(x, y))) for x, y in zip(a, b, strict=True) if x != y}


def build_brigades(
    communes: pd.DataFrame, pairs: np.ndarray, params: OrganisationParameters
) -> pd.Series:
    """Brigade id ('B' + seat commune code) of each ZGN commune, None in ZPN.

    ``communes`` needs code, departement, population, superficie_km2, longitude, latitude, zone;
    ``pairs`` are adjacency pairs over its row positions.
    """
    com = communes.reset_index(drop=True)
    zgn = com["zone"].eq("ZGN") & com["longitude"].notna()
    by_dep = com[zgn].groupby("departement")
    weights = (
        params.poids_population * by_dep["population"].sum() / com.loc[zgn, "population"].sum()
        + (1 - params.poids_population)
        * by_dep["superficie_km2"].sum() / com.loc[zgn, "superficie_km2"].sum()
    )
    counts = share_out(weights, params.brigades_cible, by_dep.size())
    brigade = np.full(len(com), None, dtype=object)
    for dep, idx in by_dep.indices.items():
        glob = np.flatnonzero(zgn.to_numpy())[idx]
        sub = com.iloc[glob]
        xy = project_km(sub["longitude"].to_numpy(), sub["latitude"].to_numpy())
        labels = cluster_contiguous(xy, _subset_pairs(pairs, glob), int(counts[dep]))
        seat_of = (
            pd.DataFrame({"label": labels, "pop": sub["population"].to_numpy(),
                          "code": sub["code"].to_numpy()})
            .sort_values(["pop", "code"], ascending=[False, True])
            .drop_duplicates("label")
            .set_index("label")["code"]
        )
        brigade[glob] = ["B" + seat_of[lab] for lab in labels]
    # communes in ZGN without geometry cannot be clustered: attach them to their département's
    # brigade whose seat is nearest by code order (they are a handful; reported in anomalies)
    orphans = np.flatnonzero(com["zone"].eq("ZGN").to_numpy() & (brigade == None))  # noqa: E711
    for i in orphans:
        same_dep = (com["departement"].to_numpy() == com.at[i, "departement"]) & (brigade != None)  # noqa: E711
        if same_dep.any():
            brigade[i] = brigade[np.flatnonzero(same_dep)[0]]
    return pd.Series(brigade, index=communes.index, dtype=object)


def summarise_units(communes: pd.DataFrame, unit_col: str) -> pd.DataFrame:
    """Per unit: seat commune (most populous), population, area, number of communes, département
    (the most frequent one) and seat coordinates."""
    com = communes[communes[unit_col].notna()]
    ordered = com.sort_values(["population", "code"], ascending=[False, True])
    seat = ordered.drop_duplicates(unit_col).set_index(unit_col)
    agg = com.groupby(unit_col).agg(
        population=("population", "sum"),
        superficie_km2=("superficie_km2", "sum"),
        nb_communes=("code", "size"),
    )
    agg["departement"] = com.groupby(unit_col)["departement"].agg(lambda s: s.mode().iloc[0])
    agg["commune_siege"] = seat["code"]
    agg["nom"] = seat["nom"]
    agg["longitude"] = seat["longitude"]
    agg["latitude"] = seat["latitude"]
    return agg


def build_compagnies(
    communes: pd.DataFrame, pairs: np.ndarray, brigades: pd.DataFrame,
    params: OrganisationParameters,
) -> pd.Series:
    """Compagnie id ('C' + seat commune code) of each brigade (index of ``brigades``).

    Brigades of a département are clustered on their seats, constrained by brigade adjacency
    (two brigades touch when two of their communes do).
    """
    com = communes.reset_index(drop=True)
    codes = brigades.index.to_numpy()
    pos = {b: i for i, b in enumerate(codes)}
    lab = np.array([pos.get(b, -1) for b in com["brigade_id"]])
    ok = (lab[pairs[:, 0]] >= 0) & (lab[pairs[:, 1]] >= 0) if len(pairs) else np.array([], bool)
    bpairs = np.array(sorted(_groups_to_pairs(lab, pairs[ok]))) if ok.any() else np.empty((0, 2))
    bpairs = bpairs.astype(int).reshape(-1, 2)
    result = pd.Series(index=brigades.index, dtype=object)
    for _dep, grp in brigades.groupby("departement"):
        idx = np.array([pos[b] for b in grp.index])
        n = max(1, round(len(grp) / params.brigades_par_compagnie))
        xy = project_km(grp["longitude"].to_numpy(), grp["latitude"].to_numpy())
        labels = cluster_contiguous(xy, _subset_pairs(bpairs, np.sort(idx)), n)
        # _subset_pairs renumbers by sorted position: realign labels with grp order
        order = np.argsort(idx)
        labels_in_grp = np.empty(len(idx), dtype=int)
        labels_in_grp[order] = labels
        frame = pd.DataFrame({"label": labels_in_grp, "pop": grp["population"].to_numpy(),
                              "seat": grp["commune_siege"].to_numpy()}, index=grp.index)
        seat = (frame.sort_values(["pop", "seat"], ascending=[False, True])
                .drop_duplicates("label").set_index("label")["seat"])
        result.loc[grp.index] = ["C" + seat[x] for x in labels_in_grp]
    return result


def brigade_adjacency(communes: pd.DataFrame, pairs: np.ndarray) -> set[tuple[str, str]]:
    """Pairs of brigade ids that share a border (through two touching communes)."""
    b = communes["brigade_id"].to_numpy()
    out = set()
    for i, j in pairs:
        x, y = b[i], b[j]
        if pd.notna(x) and pd.notna(y) and x != y:
            out.add((x, y) if x < y else (y, x))
    return out


def group_cob(
    brigades: pd.DataFrame, adjacent: set[tuple[str, str]], params: OrganisationParameters
) -> pd.Series:
    """Seat brigade id of each brigade's community (COB), None for autonomous brigades (BTA).

    Greedy and deterministic: from the least populated brigade up, a small brigade gathers its
    smallest unassigned neighbours of the same compagnie while the community stays under
    ``cob_population_max`` inhabitants and ``cob_taille_max`` brigades.
    """
    neighbours: dict[str, list[str]] = {b: [] for b in brigades.index}
    for x, y in adjacent:
        if x in neighbours and y in neighbours:
            neighbours[x].append(y)
            neighbours[y].append(x)
    pop = brigades["population"]
    comp = brigades["compagnie_id"]
    cob: dict[str, str | None] = {b: None for b in brigades.index}
    for b in pop.sort_values(kind="stable").index:
        if cob[b] is not None or pop[b] >= params.cob_population_max:
            continue
        group, total = [b], pop[b]
        candidates = sorted(
            (n for n in neighbours[b] if cob[n] is None and comp[n] == comp[b]),
            key=lambda n: (pop[n], n),
        )
        for n in candidates:
            if len(group) >= params.cob_taille_max:
                break
            if total + pop[n] <= params.cob_population_max:
                group.append(n)
                total += pop[n]
        if len(group) > 1:
            seat = max(group, key=lambda g: (pop[g], g))
            for g in group:
                cob[g] = seat
    return pd.Series(cob, dtype=object).reindex(brigades.index)


def model_headcount(brigades: pd.DataFrame, params: OrganisationParameters) -> pd.Series:
    """Modelled headcount: proportional to a workload index (1 unit per 1,000 inhabitants and
    per ``km2_par_unite_charge`` km²), scaled so that the national mean is ``effectif_moyen``,
    bounded to [effectif_min, effectif_max]."""
    load = brigades["population"] / 1000 + brigades["superficie_km2"].fillna(0) / (
        params.km2_par_unite_charge
    )
    scale = params.effectif_moyen / load.mean()
    for _ in range(20):  # the bounds move the mean: correct the scale until it settles
        eff = (load * scale).round().clip(params.effectif_min, params.effectif_max)
        if abs(eff.mean() - params.effectif_moyen) < 0.05:
            break
        scale *= params.effectif_moyen / eff.mean()
    return eff.astype(int)

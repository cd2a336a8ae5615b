"""Map indicators of the organisation page and the table of figures behind each map (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.core.formatting import format_number

NATIONAL = "national"
DEPARTEMENT = "departement"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    decimals: int = 0


DEPARTEMENT_INDICATORS: tuple[Indicator, ...] = (
    Indicator("population_zgn", "Population en zone gendarmerie"),
    Indicator("nb_brigades", "Nombre de brigades"),
    Indicator("gendarmes_10000", "Gendarmes pour 10 000 habitants en zone gendarmerie", 1),
)

BRIGADE_INDICATORS: tuple[Indicator, ...] = (
    Indicator("population", "Population desservie"),
    Indicator("nb_communes", "Communes desservies"),
    Indicator("effectif", "Effectif"),
)


def indicators_for(level: str) -> tuple[Indicator, ...]:
    return DEPARTEMENT_INDICATORS if level == NATIONAL else BRIGADE_INDICATORS


def pick_indicator(level: str, key: str | None) -> Indicator:
    """The indicator ``key`` of this level; its first one when the key is unknown (forged or
    left over from the other level)."""
    choices = indicators_for(level)
    for indicator in choices:
        if indicator.key == key:
            return indicator
    return choices[0]


def departement_frame(departements: pd.DataFrame) -> pd.DataFrame:
    """One row per département: code, nom and the national indicators.

    ``departements`` has the warehouse columns code, nom, population_zgn, nb_brigades,
    effectif_brigades.
    """
    out = departements[["code", "nom", "population_zgn", "nb_brigades"]].copy()
    population = departements["population_zgn"].astype("float64")
    headcount = departements["effectif_brigades"].astype("float64")
    # a département without population in ZGN (Paris) has no meaningful ratio, not an infinite one
    ratio = headcount / population.where(population > 0) * 10_000
    out["gendarmes_10000"] = ratio.round(1)
    return out.sort_values("code", ignore_index=True)


def brigade_frame(brigades: pd.DataFrame) -> pd.DataFrame:
    """One row per brigade: code (brigade_id), nom and the brigade indicators."""
    out = brigades[["brigade_id", "nom", "population", "nb_communes", "effectif"]]
    return out.rename(columns={"brigade_id": "code"}).sort_values("code", ignore_index=True)


def value_texts(values: pd.Series, indicator: Indicator) -> list[str]:
    return [format_number(v, indicator.decimals) for v in values.tolist()]


def table_columns(level: str) -> dict[str, str]:
    """Column → French header, for the on-page table and the CSV export."""
    first = {"code": "Code", "nom": "Département" if level == NATIONAL else "Brigade"}
    return first | {i.key: i.label for i in indicators_for(level)}

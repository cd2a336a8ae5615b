"""Expected public-road presence of each commune, and the presence gap.

A brigade's capacity of public-road presence over the months with presence recorded is
``effectif × heures annuelles par gendarme × part de voie publique / 12 × mois`` (parameters in
:class:`PresenceParameters`: 1,600 hours a year, 30 % on the public road, i.e. 40 gendarme-hours
a month per gendarme). Each ZGN commune of the brigade is expected a share of it, weighted half
by its share of the brigade's population and half by its share of the brigade's recorded facts
in the period (all by population when the brigade recorded none). The gap is
``heures réalisées / heures attendues − 1``, in percent: negative means less presence than the
commune's weight calls for. Brigades and départements add up their communes' hours and
expected hours. These parameters are assumptions, not a doctrine.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class PresenceParameters:
    """Assumptions behind the expected presence (see the module's docstring)."""

    annual_hours_per_gendarme: float = 1_600.0
    public_road_share: float = 0.30
    population_weight: float = 0.5  # the rest weighs the recorded facts

    @property
    def monthly_hours_per_gendarme(self) -> float:
        return self.annual_hours_per_gendarme * self.public_road_share / 12


PRESENCE_PARAMETERS = PresenceParameters()


def expected_presence(rows: pd.DataFrame, months: int,
                      params: PresenceParameters = PRESENCE_PARAMETERS) -> pd.Series:
    """Expected presence hours of each commune (rows with ``brigade_id``, ``population``,
    ``faits``, ``effectif``; every ZGN commune of each brigade must be there): the brigade's
    capacity over ``months`` times the commune's weight in its brigade."""
    if rows.empty:
        return pd.Series([], dtype="float64", index=rows.index)
    by = rows.groupby("brigade_id")
    population = rows["population"].astype("float64")
    facts = rows["faits"].astype("float64")
    pop_total = by["population"].transform("sum").astype("float64")
    facts_total = by["faits"].transform("sum").astype("float64")
    pop_share = population / pop_total.where(pop_total > 0)
    n = by["population"].transform("size").astype("float64")
    pop_share = pop_share.fillna(1 / n)  # a brigade of empty communes: even shares
    fact_share = (facts / facts_total.where(facts_total > 0)).fillna(pop_share)
    weight = params.population_weight * pop_share + (1 - params.population_weight) * fact_share
    capacity = rows["effectif"].astype("float64") * params.monthly_hours_per_gendarme * months
    return capacity * weight


def presence_gap(actual: pd.Series, expected: pd.Series) -> pd.Series:
    """``(actual / expected − 1) × 100``; NaN where nothing is expected."""
    exp = expected.astype("float64")
    return (actual.astype("float64") / exp.where(exp > 0) - 1) * 100

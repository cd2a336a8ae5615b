"""Page « Vue d'ensemble »: KPI arithmetic (pure) and its callbacks on the fixture warehouse."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.core import categories
from dashboard.core.formatting import MISSING, THOUSANDS
from dashboard.core.scope import Period, Scope
from dashboard.queries import vue_ensemble as vue_queries
from dashboard.views import measures
from dashboard.views import vue_ensemble as overview

NB = THOUSANDS  # narrow no-break space of French numbers
PERIOD = Period(date(2025, 11, 1), date(2026, 10, 1))  # the fixture's default period


# --- pure arithmetic -------------------------------------------------------------------------

def test_changes_ratios_and_missing_values():
    assert measures.relative_change(110, 100) == pytest.approx(0.1)
    assert measures.relative_change(5, 0) is None  # a rise from nothing has no percentage
    assert measures.relative_change(None, 3) is None
    assert measures.relative_change(3, float("nan")) is None
    assert measures.difference(0.75, 0.5) == pytest.approx(0.25)
    assert measures.difference(0.75, None) is None
    assert measures.share(3, 4) == 0.75
    assert measures.share(None, 4) == 0  # no part counted: none
    assert measures.share(3, 0) is None
    assert measures.per_1000(50, 20_000) == pytest.approx(2.5)
    assert measures.per_1000(50, 0) is None


def test_french_changes_and_durations():
    assert measures.format_change(0.123, "percent") == f"+12,3{NB}%"
    assert measures.format_change(-0.025, "points") == "\u22122,5 points"
    assert measures.format_change(-15.4, "minutes") == f"\u221215{NB}min"
    assert measures.format_change(0.0004, "percent") == f"0,0{NB}%"  # rounds to 0: no sign
    assert measures.format_change(None, "percent") == MISSING
    with pytest.raises(ValueError):
        measures.format_change(0.1, "days")
    assert measures.format_duration(40) == f"40{NB}min"
    assert measures.format_duration(95) == f"1{NB}h 35{NB}min"
    assert measures.format_duration(120) == f"2{NB}h"
    assert measures.format_duration(1500) == f"1{NB}j 1{NB}h"
    assert measures.format_duration(None) == MISSING
    assert measures.plural(1, "alerte datée", "alertes datées") == "1 alerte datée"
    assert measures.plural(0, "alerte datée", "alertes datées") == "0 alerte datée"
    assert measures.plural(2500, "alerte", "alertes") == f"2{NB}500 alertes"
    assert measures.format_duration(float("nan")) == MISSING


def test_sums_of_overlapping_periods():
    monthly = pd.DataFrame({
        "mois": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 1)],
        "categorie": ["cambriolages_logement", "cambriolages_logement",
                      "violences_intrafamiliales", "violences_hors_famille"],
        "nombre": [1, 2, 4, 8],
    })
    periods = {"a": Period(date(2026, 1, 1), date(2026, 2, 1)),
               "b": Period(date(2026, 2, 1), date(2026, 3, 1))}
    sums = vue_queries.sum_by_period(monthly, periods, categories.MAIN[:2])
    assert sums["a"] == {"cambriolages_logement": 3, "violences_physiques": 0}
    assert sums["b"] == {"cambriolages_logement": 2, "violences_physiques": 12}
    empty = vue_queries.sum_by_period(monthly.iloc[0:0], periods, categories.MAIN[:1])
    assert empty["a"] == {"cambriolages_logement": 0}


FIGURES = {
    overview.CURRENT: {"faits_cambriolages_logement": 120, "plaintes": 4, "alertes": 10,
                       "messages": 200, "messages_remis": 190, "delai_median_min": 75.0,
                       "alertes_datees": 10, "dcas": 8, "dcas_notees": 8,
                       "dcas_satisfaits": 6, "elus_formes": 3, "communes_formees": 2,
                       "communes_zgn": 8, "diagnostics": 0, "diagnostics_rouges": 0,
                       "heures_presence": 1234.5},
    overview.PREVIOUS: {"faits_cambriolages_logement": 100, "plaintes": 0, "alertes": 5,
                        "messages": 100, "messages_remis": 80, "delai_median_min": 90.0,
                        "dcas": 4, "dcas_notees": 4, "dcas_satisfaits": 2, "communes_zgn": 8},
    overview.YEAR_BEFORE: {},
}


QUARTER = Period(date(2026, 8, 1), date(2026, 10, 1))


def test_cards_values_changes_and_links():
    scope = Scope("departement", "35")
    sections = overview.overview_kpis(FIGURES, {"population": 40_000}, scope, QUARTER)
    cards = {k.key: k for kpis in sections.values() for k in kpis}
    burglaries = cards["faits_cambriolages_logement"]
    assert burglaries.value == "120"
    assert burglaries.detail == "3,00 pour 1 000 habitants sur la période"
    assert burglaries.notes == (f"3 mois précédents : +20,0{NB}%",
                                f"Un an plus tôt : {MISSING}")
    assert burglaries.href == ("/tendances?perimetre=departement%3A35&debut=2026-08&fin=2026-10"
                               "&categorie=cambriolages_logement")
    assert cards["plaintes"].notes[0] == f"3 mois précédents : {MISSING}"  # from 0
    assert cards["taux_remise"].value == f"95,0{NB}%"
    assert cards["taux_remise"].notes[0] == "3 mois précédents : +15,0 points"
    assert cards["delai_alerte"].value == f"1{NB}h 15{NB}min"
    assert cards["delai_alerte"].notes[0] == f"3 mois précédents : \u221215{NB}min"
    assert cards["satisfaction"].value == f"75,0{NB}%"
    assert cards["couverture_formation"].value == f"25,0{NB}%"
    assert cards["diagnostics_rouges"].value == MISSING  # no diagnostic: no share
    assert cards["heures_presence"].value == f"1{NB}234"
    assert cards["alertes"].href.startswith("/carte?perimetre=departement%3A35&")
    assert cards["alertes"].href.endswith("&indicateur=alertes")
    assert list(sections) == list(overview.SECTIONS)


def test_export_frame_is_in_the_units_shown():
    frame, columns = overview.export_frame(FIGURES, QUARTER)
    row = frame.set_index("cle").loc["taux_remise"]
    assert row[overview.CURRENT] == 95.0 and row[overview.PREVIOUS] == 80.0
    assert row["evolution_precedente"] == 15.0 and row["unite_evolution"] == "points"
    assert pd.isna(row[overview.YEAR_BEFORE])
    burglaries = frame.set_index("cle").loc["faits_cambriolages_logement"]
    assert burglaries["evolution_precedente"] == 20.0 and burglaries["unite"] == "nombre"
    assert set(columns) <= set(frame.columns)
    assert overview.has_data(FIGURES)
    assert not overview.has_data({overview.CURRENT: {"alertes": 0, "communes_zgn": 3,
                                                     "delai_median_min": None}})


def test_card_links_lead_to_existing_categories_and_map_indicators():
    carte_view = pytest.importorskip("dashboard.views.map_indicators")
    for measure in overview.MEASURES:
        page, _, key = measure.link.partition(":")
        if page == "tendances":
            assert categories.pick(key).key == key, measure.key
        else:
            assert page == "carte" and key in carte_view.BY_KEY, measure.key


def test_twelve_months_are_compared_once_a_year_earlier_other_lengths_twice():
    """With the default 12 months, « the period before » and « a year earlier » are the same
    months: each card and each column showed it twice. Compared once, as a year earlier; any
    other length is compared with the months just before and with the same months a year
    earlier, named so that they cannot be confused."""
    assert PERIOD.previous() == PERIOD.year_before()
    [year] = overview.comparisons(PERIOD)
    assert (year.key, year.period) == (overview.YEAR_BEFORE, Period(date(2024, 11, 1),
                                                                    date(2025, 10, 1)))
    assert overview.comparison_note(PERIOD) == (
        "Période : novembre 2025 – octobre 2026. Comparée aux 12 mois précédents, la même "
        "période un an plus tôt (novembre 2024 – octobre 2025).")
    cards = {k.key: k for kpis in overview.overview_kpis(
        FIGURES, {"population": 1}, Scope("departement", "35"), PERIOD).values() for k in kpis}
    assert cards["faits_cambriolages_logement"].notes == (f"Un an plus tôt : {MISSING}",)
    for build in (overview.display_frame, overview.export_frame):
        _frame, columns = build(FIGURES, PERIOD)
        assert overview.PREVIOUS not in columns and "evolution_precedente" not in columns
        assert columns[overview.YEAR_BEFORE] == "Même période un an plus tôt"
        assert len(set(columns.values())) == len(columns)

    previous, year = overview.comparisons(QUARTER)
    assert previous.period == Period(date(2026, 5, 1), date(2026, 7, 1))
    assert year.period == Period(date(2025, 8, 1), date(2025, 10, 1))
    assert (previous.column, year.column) == ("3 mois précédents", "Même période un an plus tôt")
    _frame, columns = overview.display_frame(FIGURES, QUARTER)
    assert list(columns.values()) == ["Indicateur", "Période", "3 mois précédents",
                                      "Évolution / 3 mois précédents",
                                      "Même période un an plus tôt", "Évolution sur un an"]
    month = Period(date(2026, 10, 1), date(2026, 10, 1))
    assert overview.comparisons(month)[0].note == "Mois précédent"
    assert overview.comparison_note(month) == (
        "Période : octobre 2026. Comparée au mois précédent (septembre 2026) et à la même "
        "période un an plus tôt (octobre 2025).")
    # longer than a year: the months before and a year earlier overlap but differ
    assert len(overview.comparisons(Period(date(2025, 1, 1), date(2026, 6, 1)))) == 2

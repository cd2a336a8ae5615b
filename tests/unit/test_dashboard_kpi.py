"""KPI arithmetic and wording."""

from dashboard.core.formatting import MISSING, THOUSANDS
from dashboard.core.kpi import build_kpis

SUMMARY = {
    "nb_communes": 12, "nb_communes_zgn": 8, "population": 400_000, "population_zgn": 100_000,
    "superficie_km2": 400.0, "superficie_zgn_km2": 300.0, "nb_brigades": 4, "effectif": 84,
    "nb_compagnies": 3, "nb_departements": 3, "nb_departements_om": 1,
}


def _by_key(kpis):
    return {k.key: k for k in kpis}


def test_shares_and_ratio():
    kpis = _by_key(build_kpis(SUMMARY, national=True, modelled=True))
    assert kpis["part_population_zgn"].value == f"25,0{THOUSANDS}%"
    assert kpis["part_superficie_zgn"].value == f"75,0{THOUSANDS}%"
    assert kpis["communes"].detail == "dont 8 en zone gendarmerie"
    assert kpis["effectif"].value == "84"
    assert kpis["effectif"].detail.startswith("8,4 pour 10 000 habitants")
    assert kpis["population"].value == f"400{THOUSANDS}000"


def test_departements_only_in_the_national_scope():
    assert "departements" in _by_key(build_kpis(SUMMARY, national=True, modelled=True))
    assert "departements" not in _by_key(build_kpis(SUMMARY, national=False, modelled=True))


def test_headcount_label_says_whether_it_is_modelled():
    assert _by_key(build_kpis(SUMMARY, national=True, modelled=True))["effectif"].label == (
        "Effectif modélisé des brigades")
    assert _by_key(build_kpis(SUMMARY, national=True, modelled=False))["effectif"].label == (
        "Effectif des brigades")


def test_no_population_in_zgn_gives_dashes_not_errors():
    empty = SUMMARY | {"population_zgn": 0, "population": 0, "superficie_km2": None}
    kpis = _by_key(build_kpis(empty, national=False, modelled=True))
    assert kpis["part_population_zgn"].value == MISSING
    assert kpis["part_superficie_zgn"].value == MISSING
    assert kpis["effectif"].detail.startswith(MISSING)

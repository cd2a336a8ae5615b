"""Crime categories: our facts categories, aligned on the SSMSI indicators."""

from __future__ import annotations

#: related categories share a commune's level (atteintes aux biens, aux personnes, violent
#: thefts): the forecast's family features and the small-area rates' prior read it
FAMILIES: dict[str, str] = {
    "cambriolages_logement": "biens", "vols_sans_violence": "biens", "vols_vehicules": "biens",
    "vols_dans_vehicules": "biens", "vols_accessoires": "biens",
    "destructions_degradations": "biens", "violences_intrafamiliales": "personnes",
    "violences_hors_famille": "personnes", "violences_sexuelles": "personnes",
    "vols_avec_armes": "vols_violents", "vols_violents_sans_arme": "vols_violents",
    "escroqueries": "escroqueries",
}

#: code -> (SSMSI indicator label, counting unit)
CATEGORIES: dict[str, tuple[str, str]] = {
    "cambriolages_logement": ("Cambriolages de logement", "Infraction"),
    "violences_intrafamiliales": ("Violences physiques intrafamiliales", "Victime"),
    "violences_hors_famille": ("Violences physiques hors cadre familial", "Victime"),
    "violences_sexuelles": ("Violences sexuelles", "Victime"),
    "vols_avec_armes": ("Vols avec armes", "Infraction"),
    "vols_violents_sans_arme": ("Vols violents sans arme", "Infraction"),
    "vols_sans_violence": ("Vols sans violence contre des personnes", "Victime entendue"),
    "vols_vehicules": ("Vols de véhicule", "Véhicule"),
    "vols_dans_vehicules": ("Vols dans les véhicules", "Véhicule"),
    "vols_accessoires": ("Vols d'accessoires sur véhicules", "Véhicule"),
    "destructions_degradations": ("Destructions et dégradations volontaires", "Infraction"),
    "escroqueries": ("Escroqueries et fraudes aux moyens de paiement", "Victime"),
    "trafic_stupefiants": ("Trafic de stupéfiants", "Mis en cause"),
    "usage_stupefiants": ("Usage de stupéfiants", "Mis en cause"),
}

#: Indicators of the bases published before 2024 that today's have no counterpart for, loaded
#: under their own name: « Coups et blessures volontaires » is the sum of its two parts below
#: (intrafamily and other), which are loaded as today's two indicators.
HISTORICAL_INDICATORS: tuple[str, ...] = ("Coups et blessures volontaires",)

#: SSMSI indicators (communal and departmental bases), canonical spelling.
SSMSI_INDICATORS: tuple[str, ...] = tuple(label for label, _ in CATEGORIES.values()) + (
    "Homicides", "Tentatives d'homicide", "Usage de stupéfiants (AFD)",
    "Usage de stupéfiants (hors AFD)", *HISTORICAL_INDICATORS,
)

#: Labels of the bases published before 2024 → today's indicator. Until the 2023 edition the
#: communal base (« base statistique communale de la délinquance enregistrée », data.gouv.fr)
#: named its indicator column ``classe`` and its physical violence « coups et blessures
#: volontaires » (on persons aged 15 or over, the SSMSI's longer label), split into
#: « intrafamiliaux » and « autres » (outside the family), beside their total; vehicle thefts
#: were « Vols de véhicules » and frauds « Escroqueries ». Since 2024 the SSMSI publishes
#: « violences physiques » (intrafamily, outside the family) on a wider definition: the older
#: years of an older edition are a break in the series, which a newer edition's back-series
#: (it restates every year since 2016) replaces when loaded after it (same key).
OLDER_INDICATORS: dict[str, str] = {
    "Coups et blessures volontaires intrafamiliaux": "Violences physiques intrafamiliales",
    "Coups et blessures volontaires intrafamiliaux sur personnes de 15 ans ou plus":
        "Violences physiques intrafamiliales",
    "Autres coups et blessures volontaires": "Violences physiques hors cadre familial",
    "Autres coups et blessures volontaires sur personnes de 15 ans ou plus":
        "Violences physiques hors cadre familial",
    "Coups et blessures volontaires sur personnes de 15 ans ou plus":
        "Coups et blessures volontaires",
    "Vols de véhicules": "Vols de véhicule",
    "Escroqueries": "Escroqueries et fraudes aux moyens de paiement",
}

#: indicators whose rate is per 1,000 dwellings, not inhabitants
PER_DWELLING = ("Cambriolages de logement",)


def _key(label: str) -> str:
    return " ".join(label.lower().replace("’", "'").split())


_CANONICAL: dict[str, str] = {
    **{_key(old): new for old, new in OLDER_INDICATORS.items()},
    **{_key(ind): ind for ind in SSMSI_INDICATORS},
}


def canonical_indicator(label: str | None) -> str | None:
    """The canonical spelling of an indicator label (case, spaces and apostrophes aside), an
    older label (:data:`OLDER_INDICATORS`) as today's indicator; an unknown one as it is."""
    if not isinstance(label, str):
        return label
    return _CANONICAL.get(_key(label), label.strip())

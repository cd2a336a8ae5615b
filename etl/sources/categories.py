"""Crime categories: our facts categories, aligned on the SSMSI indicators."""

from __future__ import annotations

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

#: SSMSI indicators (communal and departmental bases), canonical spelling.
SSMSI_INDICATORS: tuple[str, ...] = tuple(label for label, _ in CATEGORIES.values()) + (
    "Homicides", "Tentatives d'homicide", "Usage de stupéfiants (AFD)",
    "Usage de stupéfiants (hors AFD)",
)

#: indicators whose rate is per 1,000 dwellings, not inhabitants
PER_DWELLING = ("Cambriolages de logement",)


def canonical_indicator(label: str | None) -> str | None:
    """The canonical spelling of an indicator label (case and apostrophe insensitive)."""
    if not isinstance(label, str):
        return label
    key = label.strip().lower().replace("’", "'")
    for ind in SSMSI_INDICATORS:
        if ind.lower() == key:
            return ind
    return label.strip()

"""Complaints from élus taken with the mobile device (Ubiquity): « atteintes aux élus »."""

from __future__ import annotations

from etl.sources.base import Field as F
from etl.sources.base import Source

FONCTIONS_ELU = ("maire", "adjoint", "conseiller_municipal", "autre_elu")
INFRACTIONS = ("menaces", "outrage", "injures", "injures_diffamation_en_ligne", "violences",
               "degradations", "harcelement", "autre")
#: threats and insults: 68 % of attacks on élus (DOMAIN.md)
MENACES_INJURES = ("menaces", "outrage", "injures", "injures_diffamation_en_ligne")


def _filed_after_facts(frame, _known):
    """The complaint is not taken before the day of the facts."""
    bad = frame["date_depot"].notna() & frame["date_faits"].notna() & (
        frame["date_depot"].dt.normalize() < frame["date_faits"])
    return [(bad, "date_depot", "plainte déposée avant la date des faits")]


COMPLAINTS = Source(
    name="complaints",
    table="complaints",
    description="Complaints from élus, taken at the town hall or elsewhere with the mobile "
    "device.",
    fields=(
        F("id_plainte", "code", "Complaint id (device)", label="Identifiant de la plainte"),
        F("date_faits", "date", "Date of the facts", not_future=True, label="Date des faits"),
        F("date_depot", "datetime", "When the complaint was taken", not_future=True,
          label="Date et heure du dépôt de plainte"),
        F("lieu_depot", "enum", "Where it was taken", enum=("mairie", "brigade", "domicile",
                                                             "autre_lieu"),
          label="Lieu du dépôt de plainte"),
        F("code_commune", "insee", "Commune where the élu serves", label="Commune de l'élu"),
        F("brigade_id", "brigade", "Brigade that took it", label="Brigade ayant pris la plainte"),
        F("fonction_victime", "enum", "Victim's function", enum=FONCTIONS_ELU,
          label="Fonction de l'élu victime"),
        F("infraction", "enum", "Offence", enum=INFRACTIONS, label="Infraction"),
        F("statut", "enum", "Status", enum=("enregistree", "transmise_parquet",
                                            "classee_sans_suite", "poursuites", "jugee"),
          label="Statut de la plainte"),
    ),
    key=("id_plainte",),
    row_checks=(_filed_after_facts,),
    example="id_plainte;date_faits;date_depot;lieu_depot;code_commune;brigade_id;"
    "fonction_victime;infraction;statut\nPL-2025-000123;2025-03-02;2025-03-04 10:30;mairie;"
    "35001;B35051;maire;menaces;transmise_parquet",
)

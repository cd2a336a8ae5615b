"""DCAS consultations: élus' concrete expectations, their follow-up and satisfaction."""

from __future__ import annotations

import pandas as pd

from etl.sources.base import Field as F
from etl.sources.base import Source
from etl.sources.complaints import FONCTIONS_ELU
from etl.warehouse.tables import Column, Table

#: Documented theme list (README): what élus expect from the gendarmerie.
THEMES = ("cambriolages", "vitesse_securite_routiere", "incivilites_tranquillite",
          "stupefiants", "depots_sauvages_environnement", "violences_intrafamiliales", "cyber",
          "presence_heures_sensibles", "rodeos", "contact_elus")
CRENEAUX = ("matin", "apres_midi", "soiree", "nuit", "week_end")
STATUTS = ("a_traiter", "en_cours", "realisee", "close")


def _followup_checks(frame, _known):
    """The follow-up is not before the consultation."""
    early = frame["date_suivi"].notna() & frame["date_consultation"].notna() & (
        frame["date_suivi"] < frame["date_consultation"])
    return [(early, "date_suivi", "suivi antérieur à la consultation")]


def _expectations(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    rows = [(i, t) for i, v in zip(frame["id_consultation"], frame["attentes"], strict=True)
            for t in str(v).split("|") if t]
    return {"dcas_attentes": pd.DataFrame(rows, columns=["id_consultation", "theme"])}


DCAS_ATTENTES = Table(
    "dcas_attentes", "Expectations of each DCAS consultation, one row per theme.",
    "source `dcas`",
    (Column("id_consultation", "VARCHAR", "Consultation", False),
     Column("theme", "VARCHAR", "Theme (documented list)", False),
     Column("synthetique", "BOOLEAN", "True for synthetic demo data", False)),
    order_by=("theme",),
)

DCAS = Source(
    name="dcas",
    table="dcas_consultations",
    description="DCAS consultations of élus (dispositif de consultation et d'amélioration du "
    "service) and their follow-up.",
    fields=(
        F("id_consultation", "code", "Consultation id", label="Identifiant de la consultation"),
        F("date_consultation", "date", "Date", not_future=True,
          label="Date de la consultation"),
        F("code_commune", "insee", "Commune", label="Commune"),
        F("brigade_id", "brigade", "Brigade that led it", label="Brigade"),
        F("fonction_elu", "enum", "Function of the élu consulted", enum=FONCTIONS_ELU,
          label="Fonction de l'élu consulté"),
        F("canal", "enum", "Channel", enum=("entretien_mairie", "telephone", "visioconference",
                                            "reunion_publique", "application_gendelus"),
          label="Canal de la consultation"),
        F("attentes", "list", "Expectations: themes separated by |", enum=THEMES,
          label="Attentes de l'élu, par thème"),
        F("creneaux", "list", "Preferred time slots for presence, separated by |",
          enum=CRENEAUX, required=False, label="Créneaux de présence souhaités"),
        F("priorite", "enum", "Priority given by the élu", enum=("haute", "moyenne", "basse"),
          label="Priorité donnée par l'élu"),
        F("actions_suivi", "text", "Follow-up actions decided", required=False,
          label="Actions de suivi décidées"),
        F("statut", "enum", "Follow-up status", enum=STATUTS, label="Statut du suivi"),
        F("date_suivi", "date", "Date of the last follow-up", required=False, not_future=True,
          label="Date du dernier suivi"),
        F("satisfaction", "int", "Satisfaction of the élu, 1 (not at all) to 5 (very)",
          required=False, min=1, max=5,
          label="Satisfaction de l'élu, de 1 (pas du tout satisfait) à 5 (très satisfait)"),
    ),
    key=("id_consultation",),
    row_checks=(_followup_checks,),
    children=(DCAS_ATTENTES,),
    explode=_expectations,
    example="id_consultation;date_consultation;code_commune;brigade_id;fonction_elu;canal;"
    "attentes;creneaux;priorite;actions_suivi;statut;date_suivi;satisfaction\nDC-2025-000001;"
    "2025-02-03;35001;B35051;maire;entretien_mairie;cambriolages|presence_heures_sensibles;"
    "soiree|week_end;haute;Patrouilles de soirée le week-end;realisee;2025-03-01;4",
)

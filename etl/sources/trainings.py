"""Training and awareness sessions for élus (incivilities, IMMUNITÉ cyber, VIF, environment)."""

from __future__ import annotations

from etl.sources.base import Field as F
from etl.sources.base import Source
from etl.sources.validate import UNIT_RE

THEMES_FORMATION = ("incivilites", "cyber_immunite", "vif", "environnement", "atteintes_elus",
                    "gestion_crise")
FONCTIONS_PARTICIPANT = ("maire", "adjoint", "conseiller_municipal", "secretaire_mairie",
                         "agent_municipal", "autre")

TRAININGS = Source(
    name="trainings",
    table="trainings",
    description="Attendance at training and awareness sessions: one row per attendee and "
    "session (the session's columns repeat).",
    fields=(
        F("id_participation", "code", "Attendance id", label="Identifiant de la participation"),
        F("id_session", "code", "Session id", label="Identifiant de la session"),
        F("theme", "enum", "Theme", enum=THEMES_FORMATION, label="Thème de la formation"),
        F("date_session", "date", "Date of the session", not_future=True,
          label="Date de la session"),
        F("code_commune_session", "insee", "Where the session took place",
          label="Commune où s'est tenue la session"),
        F("unite", "code", "Unit that ran it (brigade id, groupement, …)",
          label="Unité qui l'a animée (brigade, groupement…)", pattern=UNIT_RE),
        F("code_commune_participant", "insee", "Commune of the attendee",
          label="Commune du participant"),
        F("fonction_participant", "enum", "Function of the attendee",
          enum=FONCTIONS_PARTICIPANT, label="Fonction du participant"),
    ),
    key=("id_participation",),
    example="id_participation;id_session;theme;date_session;code_commune_session;unite;"
    "code_commune_participant;fonction_participant\nFP-000001;FS-2025-0001;incivilites;"
    "2025-04-10;35238;G35;35001;maire",
)

"""Immersions of élus in gendarmerie units (CORG, brigades, PSIG, …): scheduled first
(``statut`` ``planifiee``, a date that may be in the future), then their feedback once done
(``realisee``: a past date, a note and a comment).

A file without the ``statut`` column (the older format, the demo) holds done immersions: an
empty ``statut`` means ``realisee`` (readers use ``coalesce(statut, 'realisee')``).
"""

from __future__ import annotations

import pandas as pd

from etl import clock
from etl.sources.base import Field as F
from etl.sources.base import Source
from etl.sources.complaints import FONCTIONS_ELU
from etl.sources.validate import UNIT_RE

PLANIFIEE, REALISEE = "planifiee", "realisee"
STATUTS_IMMERSION = (PLANIFIEE, REALISEE)
#: the French reasons of the row checks (« date dans le futur » as the field-level check says)
FUTURE_DONE = "date dans le futur (une immersion à venir a le statut planifiee)"
FEEDBACK_TOO_EARLY = ("retour saisi pour une immersion planifiée : il se saisit une fois "
                      "l'immersion réalisée")


def _planned_or_done(frame: pd.DataFrame, known) -> list[tuple[pd.Series, str, str]]:
    """A future date only for a planned immersion; its feedback (note, comment) only once it
    is done. An empty status is a done immersion."""
    today = getattr(known, "today", None) or clock.today()
    tomorrow = pd.Timestamp(today) + pd.Timedelta(days=1)
    planned = frame["statut"].eq(PLANIFIEE).fillna(False).astype(bool)
    when = pd.to_datetime(frame["date_immersion"])
    future = when.notna() & (when >= tomorrow) & ~planned
    comment = frame["commentaire"].astype("string").str.strip().fillna("").ne("")
    return [(future, "date_immersion", FUTURE_DONE),
            (planned & frame["note"].notna(), "note", FEEDBACK_TOO_EARLY),
            (planned & comment.astype(bool), "commentaire", FEEDBACK_TOO_EARLY)]


IMMERSIONS = Source(
    name="immersions",
    table="immersions",
    description="Immersions of élus in gendarmerie units: scheduled ones (statut planifiee) "
    "and done ones with their feedback (statut realisee, or empty).",
    fields=(
        F("id_immersion", "code", "Immersion id", label="Identifiant de l'immersion"),
        F("date_immersion", "date", "Date (in the future only for a planned immersion)",
          label="Date de l'immersion"),
        F("code_commune", "insee", "Commune of the élu", label="Commune de l'élu"),
        F("fonction_elu", "enum", "Function of the élu", enum=FONCTIONS_ELU,
          label="Fonction de l'élu"),
        F("type_unite", "enum", "Kind of unit visited", enum=(
            "corg", "brigade", "psig", "brigade_numerique", "peloton_autoroute", "autre"),
          label="Type d'unité visitée"),
        F("unite", "code", "Unit visited (brigade id, CORG of the département, …)",
          label="Unité visitée (brigade, CORG du département…)", pattern=UNIT_RE),
        F("duree_heures", "float", "Duration in hours", required=False, min=0, max=24,
          label="Durée (heures)"),
        F("note", "int", "Feedback, 1 to 5 (done immersions only)", required=False, min=1,
          max=5, label="Note de l'élu (1 à 5)"),
        F("commentaire", "text", "Feedback comment (done immersions only)", required=False,
          label="Commentaire de l'élu"),
        F("statut", "enum", "Status: planifiee (scheduled) or realisee (done; empty: done)",
          required=False, enum=STATUTS_IMMERSION, label="Statut de l'immersion"),
    ),
    key=("id_immersion",),
    row_checks=(_planned_or_done,),
    example="id_immersion;date_immersion;code_commune;fonction_elu;type_unite;unite;"
    "duree_heures;note;commentaire;statut\nIM-2025-0001;2025-05-12;35001;maire;corg;CORG35;4;5;"
    "Très instructif;realisee",
)

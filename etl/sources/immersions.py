"""Immersions of élus in gendarmerie units (CORG, brigades, PSIG, …) and their feedback."""

from __future__ import annotations

from etl.sources.base import Field as F
from etl.sources.base import Source
from etl.sources.complaints import FONCTIONS_ELU

IMMERSIONS = Source(
    name="immersions",
    table="immersions",
    description="Immersions of élus in gendarmerie units, with their feedback.",
    fields=(
        F("id_immersion", "code", "Immersion id"),
        F("date_immersion", "date", "Date", not_future=True),
        F("code_commune", "insee", "Commune of the élu"),
        F("fonction_elu", "enum", "Function of the élu", enum=FONCTIONS_ELU),
        F("type_unite", "enum", "Kind of unit visited", enum=(
            "corg", "brigade", "psig", "brigade_numerique", "peloton_autoroute", "autre")),
        F("unite", "code", "Unit visited (brigade id, CORG of the département, …)"),
        F("duree_heures", "float", "Duration in hours", required=False, min=0, max=24),
        F("note", "int", "Feedback, 1 to 5", required=False, min=1, max=5),
        F("commentaire", "text", "Feedback comment", required=False),
    ),
    key=("id_immersion",),
    example="id_immersion;date_immersion;code_commune;fonction_elu;type_unite;unite;"
    "duree_heures;note;commentaire\nIM-2025-0001;2025-05-12;35001;maire;corg;CORG35;4;5;"
    "Très instructif",
)

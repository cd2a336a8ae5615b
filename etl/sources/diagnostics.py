"""Cyber self-diagnostics of communes, in the spirit of IMMUNITÉ: 9 questions, scored and coloured.

Scoring (documented in the README): oui = 2 points, partiel = 1, non and ne_sait_pas = 0, times
the question's weight; the score is the share of the maximum, 0-100. Colour: vert ≥ 75,
jaune ≥ 50, orange ≥ 25, rouge below. Each « non » is a red answer: one red answer or more means
the commune is offered contact with the gendarmerie's cyber specialists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.sources.base import Field as F
from etl.sources.base import Source
from etl.warehouse.tables import Column

ANSWERS = ("oui", "partiel", "non", "ne_sait_pas")
POINTS = {"oui": 2, "partiel": 1, "non": 0, "ne_sait_pas": 0}
#: question -> (French wording, weight)
QUESTIONS: dict[str, tuple[str, int]] = {
    "q1_inventaire": ("Tenez-vous un inventaire à jour de vos équipements et logiciels ?", 1),
    "q2_mots_de_passe": ("Vos mots de passe sont-ils robustes, propres à chaque usage et "
                         "changés au départ d'un agent ?", 2),
    "q3_mises_a_jour_sauvegardes": ("Faites-vous les mises à jour et des sauvegardes "
                                    "régulières, dont une hors ligne ?", 3),
    "q4_sensibilisation": ("Les élus et agents sont-ils sensibilisés aux risques (hameçonnage, "
                           "rançongiciels) ?", 1),
    "q5_antivirus": ("Chaque poste a-t-il un antivirus à jour et un pare-feu actif ?", 2),
    "q6_donnees_personnelles": ("Les données personnelles sont-elles protégées (registre, "
                                "accès limités) ?", 1),
    "q7_teletravail": ("Le travail à distance est-il sécurisé (VPN, postes de la mairie) ?", 1),
    "q8_evaluation": ("Avez-vous déjà fait évaluer votre sécurité informatique ?", 1),
    "q9_prestataires": ("Vos contrats avec les prestataires informatiques prévoient-ils la "
                        "sécurité ?", 1),
}
COLOURS = ((75, "vert"), (50, "jaune"), (25, "orange"), (0, "rouge"))


def score(frame: pd.DataFrame) -> pd.DataFrame:
    """Score 0-100, colour, number of red answers and whether to contact a specialist."""
    total = sum(2 * w for _, w in QUESTIONS.values())
    pts = sum(frame[q].map(POINTS).astype(float) * w for q, (_, w) in QUESTIONS.items())
    frame["score"] = (100 * pts / total).round(1)
    frame["couleur"] = np.select([frame["score"] >= t for t, _ in COLOURS],
                                 [c for _, c in COLOURS], default="rouge")
    frame["reponses_rouges"] = sum((frame[q] == "non").astype(int) for q in QUESTIONS)
    frame["contact_specialiste"] = frame["reponses_rouges"] > 0
    return frame


DIAGNOSTICS = Source(
    name="diagnostics",
    table="cyber_diagnostics",
    description="Cyber self-diagnostics of communes (9 questions in the IMMUNITÉ spirit), "
    "scored by the loader.",
    fields=(
        F("id_diagnostic", "code", "Diagnostic id"),
        F("date_diagnostic", "date", "Date", not_future=True),
        F("code_commune", "insee", "Commune"),
        *(F(q, "enum", text, enum=ANSWERS) for q, (text, _) in QUESTIONS.items()),
    ),
    key=("id_diagnostic",),
    derive=score,
    derived=(
        Column("score", "DOUBLE", "Score 0-100 (weighted, see README)"),
        Column("couleur", "VARCHAR", "vert, jaune, orange or rouge"),
        Column("reponses_rouges", "INTEGER", "Number of 'non' answers"),
        Column("contact_specialiste", "BOOLEAN", "A red answer: contact with the gendarmerie's "
               "cyber specialists is offered"),
    ),
    example="id_diagnostic;date_diagnostic;code_commune;" + ";".join(QUESTIONS) +
    "\nCY-2025-0001;2025-06-02;35001;oui;partiel;non;oui;oui;ne_sait_pas;oui;non;partiel",
)

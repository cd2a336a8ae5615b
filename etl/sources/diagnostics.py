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
#: question -> the French advice a commune gets for an answer other than « oui » (the forms'
#: immediate result)
ADVICE: dict[str, str] = {
    "q1_inventaire": "Dressez et tenez à jour l'inventaire des postes, serveurs, logiciels et "
                     "comptes de la mairie : on ne protège bien que ce que l'on connaît.",
    "q2_mots_de_passe": "Exigez des mots de passe longs (12 caractères au moins), différents pour "
                        "chaque service, rangés dans un gestionnaire de mots de passe, et "
                        "fermez les comptes des agents qui partent le jour de leur départ.",
    "q3_mises_a_jour_sauvegardes": "Activez les mises à jour automatiques et sauvegardez les "
                                   "données chaque semaine, dont une copie hors ligne dont la "
                                   "restauration est testée : c'est la parade aux "
                                   "rançongiciels.",
    "q4_sensibilisation": "Sensibilisez élus et agents à l'hameçonnage et aux rançongiciels "
                          "(kits de cybermalveillance.gouv.fr, sensibilisation IMMUNITÉ proposée "
                          "par la gendarmerie).",
    "q5_antivirus": "Installez sur chaque poste un antivirus mis à jour automatiquement et "
                    "laissez le pare-feu activé.",
    "q6_donnees_personnelles": "Tenez le registre des traitements (RGPD), réservez l'accès aux "
                               "données personnelles aux agents qui en ont besoin et désignez "
                               "un délégué à la protection des données.",
    "q7_teletravail": "Sécurisez le travail à distance : connexion par VPN, postes fournis par "
                      "la mairie, double authentification pour les accès distants.",
    "q8_evaluation": "Faites évaluer la sécurité informatique de la commune (référents "
                     "cybersécurité de la gendarmerie, prestataire qualifié).",
    "q9_prestataires": "Prévoyez dans les contrats des prestataires informatiques des clauses de "
                       "sécurité : sauvegardes, délais d'intervention, signalement des "
                       "incidents.",
}
assert set(ADVICE) == set(QUESTIONS), "a question without its advice"


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
        F("id_diagnostic", "code", "Diagnostic id", label="Identifiant du diagnostic"),
        F("date_diagnostic", "date", "Date", not_future=True, label="Date du diagnostic"),
        F("code_commune", "insee", "Commune", label="Commune"),
        *(F(q, "enum", text, enum=ANSWERS, label=text) for q, (text, _) in QUESTIONS.items()),
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

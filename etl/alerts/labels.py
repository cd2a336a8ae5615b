"""The alerts' statuses, the outbox's states and the operators' delivery report codes in French,
for the pages, the exports and the command line (SQLAlchemy-free, so that the dashboard's views
read them from here)."""

from __future__ import annotations

#: an alert's status (``tables.STATUTS``) → its French label
STATUT_LABELS = {"a_valider": "À valider", "validee": "Validée (envoi en cours)",
                 "refusee": "Refusée", "envoyee": "Envoyée", "annulee": "Annulée"}
#: a message's state in the outbox (``tables.STATES``) → its French label
STATE_LABELS = {"pending": "En attente", "sending": "En cours d'envoi",
                "sent": "Transmis à l'opérateur", "delivered": "Remis",
                "failed": "Échec", "cancelled": "Annulé"}
#: an operator's delivery report code (DLR, ``etl.sources.alerts.DLR_STATES``) → its French
#: label; the pages show the label, the raw code stays for the expert (a tooltip, a CSV column)
DLR_LABELS = {"ENROUTE": "En cours d'acheminement", "ACCEPTD": "Accepté par l'opérateur",
              "DELIVRD": "Remis au destinataire", "EXPIRED": "Expiré (non remis à temps)",
              "DELETED": "Supprimé par l'opérateur", "UNDELIV": "Non remis",
              "REJECTD": "Rejeté par l'opérateur", "UNKNOWN": "État inconnu de l'opérateur"}

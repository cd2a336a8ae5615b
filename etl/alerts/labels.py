"""The alerts' statuses and the outbox's states in French, for the pages and the command line
(SQLAlchemy-free, so that the dashboard's views read them from here)."""

from __future__ import annotations

#: an alert's status (``tables.STATUTS``) → its French label
STATUT_LABELS = {"a_valider": "À valider", "validee": "Validée (envoi en cours)",
                 "refusee": "Refusée", "envoyee": "Envoyée", "annulee": "Annulée"}
#: a message's state in the outbox (``tables.STATES``) → its French label
STATE_LABELS = {"pending": "En attente", "sending": "En cours d'envoi",
                "sent": "Transmis à l'opérateur", "delivered": "Remis",
                "failed": "Échec", "cancelled": "Annulé"}

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

#: « Alertes envoyées aux élus », one definition for every page: the warehouse's alerts whose
#: status is « envoyée » — imported from a file, or written in the dashboard and published by
#: the refresh —, in a territory when one of the communes they target is, in a period by their
#: creation date (Paris time). The overview counts them, the « Alertes » page lists them, both
#: through ``dashboard.queries.alertes.SENT_ALERTS_SQL``
SENT_LABEL = "Alertes envoyées aux élus"
SENT_DETAIL = "importées de fichiers ou rédigées dans le tableau de bord"
#: where such an alert came from (the warehouse's ``fichier``: ``saisie:alerts`` for the
#: dashboard's, published by the refresh; a file's name otherwise)
ORIGIN_DASHBOARD, ORIGIN_FILE = "Tableau de bord", "Fichier importé"
#: why an alert cannot be validated when nobody would receive it any more (the workflow's
#: refusal, said on the alert's page before any click)
NO_RECIPIENT_NOW = ("aucun destinataire à ce jour : les élus de ces communes se sont désinscrits "
                    "depuis sa rédaction ; refusez l'alerte ou demandez à son auteur de l'annuler")

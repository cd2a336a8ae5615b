"""SMS alert campaigns to élus, and the SMS gateway's delivery reports (DLR)."""

from __future__ import annotations

import pandas as pd

from etl.sources.base import Field as F
from etl.sources.base import Ref, Source
from etl.warehouse.tables import Column, Table

ALERT_CATEGORIES = ("cambriolages", "vols", "degradations", "depots_sauvages", "rodeos",
                    "escroqueries", "demarchage_frauduleux", "disparition", "autre")
DLR_STATES = ("ENROUTE", "ACCEPTD", "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "REJECTD",
              "UNKNOWN")
FINAL_FAILURES = ("EXPIRED", "DELETED", "UNDELIV", "REJECTD")


def _codes(value) -> list[str]:
    if not isinstance(value, str):
        return []
    codes = (c.strip().zfill(5) if c.strip().isdigit() else c.strip().upper()
             for c in value.split("|") if c.strip())
    return list(dict.fromkeys(codes))  # a commune named twice is targeted once


def _alert_checks(frame, known):
    """Created after the facts; at least one targeted commune, each in the reference."""
    after = frame["cree_le"].notna() & frame["faits_le"].notna() & (
        frame["cree_le"] < frame["faits_le"])
    unknown = frame["communes_ciblees"].map(
        lambda v: bool(known.communes) and any(c not in known.communes for c in _codes(v)))
    empty = frame["communes_ciblees"].map(lambda v: not _codes(v))
    return [(after, "cree_le", "alerte créée avant les faits"),
            (unknown.astype(bool), "communes_ciblees", "code INSEE inconnu parmi les communes "
             "ciblées"),
            (empty.astype(bool), "communes_ciblees", "aucune commune ciblée")]


def _normalise_targets(frame: pd.DataFrame) -> pd.DataFrame:
    frame["communes_ciblees"] = frame["communes_ciblees"].map(lambda v: "|".join(_codes(v)))
    return frame


def _alert_communes(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    rows = [(a, c) for a, v in zip(frame["id_alerte"], frame["communes_ciblees"], strict=True)
            for c in _codes(v)]
    return {"alert_communes": pd.DataFrame(rows, columns=["id_alerte", "code_commune"])}


ALERT_COMMUNES = Table(
    "alert_communes", "Communes targeted by each alert (one row per alert and commune).",
    "source `alerts`",
    (Column("id_alerte", "VARCHAR", "Alert", False),
     Column("code_commune", "VARCHAR", "Targeted commune", False),
     Column("synthetique", "BOOLEAN", "True for synthetic demo data", False)),
    order_by=("code_commune",),
)

ALERTS = Source(
    name="alerts",
    table="alerts",
    description="SMS alert campaigns sent to the élus of the targeted communes.",
    fields=(
        F("id_alerte", "code", "Alert id"),
        F("cree_le", "datetime", "When the alert was created", not_future=True),
        F("faits_le", "datetime", "When the facts it reports happened", not_future=True),
        F("unite_auteur", "code", "Unit that wrote it (brigade id, CORG, …)"),
        F("categorie", "enum", "Category", enum=ALERT_CATEGORIES),
        F("message", "text", "SMS text"),
        F("communes_ciblees", "text", "Targeted communes: INSEE codes separated by |"),
        F("nb_destinataires", "int", "Recipients", min=0),
        F("statut", "enum", "Status", enum=("brouillon", "validee", "envoyee", "annulee")),
    ),
    key=("id_alerte",),
    row_checks=(_alert_checks,),
    derive=_normalise_targets,
    children=(ALERT_COMMUNES,),
    explode=_alert_communes,
    example="id_alerte;cree_le;faits_le;unite_auteur;categorie;message;communes_ciblees;"
    "nb_destinataires;statut\nAL-2025-00042;2025-01-14 18:05;2025-01-14 15:00;B35051;"
    "cambriolages;Gendarmerie : série de cambriolages …;35001|35002;4;envoyee",
)


def _dlr_checks(frame, _known):
    """The delivery state is not older than the submission."""
    bad = frame["etat_le"].notna() & frame["soumis_le"].notna() & (
        frame["etat_le"] < frame["soumis_le"])
    return [(bad, "etat_le", "accusé de réception antérieur à l'envoi")]


DLR = Source(
    name="dlr",
    table="alert_deliveries",
    description="SMS gateway delivery log: one row per message (alert × recipient) with its "
    "last delivery state.",
    fields=(
        F("id_message", "code", "Gateway message id"),
        F("id_alerte", "code", "Alert",
          ref=Ref("alerts", "id_alerte", "alerte inconnue (table alerts : chargez les alertes "
                  "avant leurs accusés de réception)")),
        F("id_contact", "code", "Recipient",
          ref=Ref("elu_contacts", "id_contact", "destinataire inconnu (table elu_contacts : "
                  "chargez les contacts avant les accusés de réception)")),
        F("soumis_le", "datetime", "Submitted to the gateway", not_future=True),
        F("etat", "enum", "Delivery state (DLR)", enum=DLR_STATES),
        F("etat_le", "datetime", "Time of that state", required=False, not_future=True),
    ),
    key=("id_message",),
    row_checks=(_dlr_checks,),
    example="id_message;id_alerte;id_contact;soumis_le;etat;etat_le\nM000001;AL-2025-00042;"
    "CT-35001-1;2025-01-14 18:06:10;DELIVRD;2025-01-14 18:06:19",
)

"""SMS alerts to élus, shared by the alert pages, and the list of alerts (« Alertes »): French
labels of statuses, categories and functions, an alert's address, dates, the list's order
(« À valider » first for those who validate) and its table; and the alerts sent to the élus of
the territory whatever their origin (imported files, the dashboard), as the overview counts
them (pure).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pandas as pd
from dash import dcc, html

from dashboard.core.components import wire
from dashboard.core.formatting import MISSING, format_number
from etl import clock
from etl.alerts.labels import ORIGIN_DASHBOARD, ORIGIN_FILE, SENT_DETAIL, STATUT_LABELS
from etl.roles import ROLES
from etl.sources.alerts import ALERT_CATEGORIES

LIST_PATH = "/alertes"
NEW_PATH = "/alertes/nouvelle"
ALERT_PATH = "/alertes/alerte"
CONTACTS_PATH = "/alertes/contacts"
#: the alert pages, for their sub-navigation: (label, path)
ALERT_PAGES = (("Alertes", LIST_PATH), ("Nouvelle alerte", NEW_PATH),
               ("Contacts des élus", CONTACTS_PATH))
#: an alert id as the pages accept it (the store's ``AL-2026-S000001``, a file's ``AL-…``)
ALERT_ID_RE = re.compile(r"AL-[A-Za-z0-9_-]{1,60}")
TO_VALIDATE = "a_valider"
ALL = "toutes"

CATEGORY_LABELS: dict[str, str] = {
    "cambriolages": "Cambriolages", "vols": "Vols (véhicules, matériel)",
    "degradations": "Dégradations", "depots_sauvages": "Dépôts sauvages",
    "rodeos": "Rodéos motorisés", "escroqueries": "Escroqueries",
    "demarchage_frauduleux": "Démarchage frauduleux", "disparition": "Disparition inquiétante",
    "autre": "Autre",
}
FUNCTION_LABELS: dict[str, str] = {
    "maire": "Maire", "adjoint": "Adjoint au maire", "conseiller_municipal":
    "Conseiller municipal", "secretaire_mairie": "Secrétaire de mairie",
}
#: a function in a count of several (« 9 maires, 3 adjoints au maire »), lower case
FUNCTION_PLURALS: dict[str, str] = {
    "maire": "maires", "adjoint": "adjoints au maire",
    "conseiller_municipal": "conseillers municipaux",
    "secretaire_mairie": "secrétaires de mairie",
}
CHANNEL_LABELS: dict[str, str] = {
    "formulaire_papier": "Formulaire papier", "courriel": "Courriel",
    "application_gendelus": "Application GendElus", "entretien_mairie": "Entretien en mairie",
}
ROLE_LABELS = {code: role.short for code, role in ROLES.items()}
ORIGIN_LABELS = {"saisie": "Saisie", "importé": "Fichier importé"}
#: the store's times are UTC; pages and exports show France's local time
LOCAL_TZ = clock.LOCAL_TZ


def plural(n: int) -> str:
    return "s" if abs(n) > 1 else ""


def function_count(function, n: int) -> str:
    """« 1 maire », « 9 maires », « 3 adjoints au maire » (French: 0 and 1 singular)."""
    if abs(n) > 1 and function in FUNCTION_PLURALS:
        name = FUNCTION_PLURALS[function]
    else:
        name = label(FUNCTION_LABELS, function).lower()
    return f"{format_number(n)} {name}"


def missing(value) -> bool:
    return value is None or (not isinstance(value, str | list | tuple | dict)
                             and bool(pd.isna(value)))


def label(labels: Mapping[str, str], value) -> str:
    """The French label of a coded value (humanised when unknown)."""
    if missing(value):
        return ""
    text = str(value)
    return labels.get(text) or (text[:1].upper() + text[1:]).replace("_", " ")


def category_options() -> list[dict]:
    return [{"label": CATEGORY_LABELS.get(c, label({}, c)), "value": c}
            for c in ALERT_CATEGORIES]


def parse_alert_id(value) -> str:
    """An alert id sent by the browser or the address; another shape raises ValueError (a
    French 400 in a callback)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str) or not ALERT_ID_RE.fullmatch(value):
        raise ValueError("alert id: AL-… expected")
    return value


def alert_href(ident: str, relative=str) -> str:
    return relative(ALERT_PATH) + "?" + urlencode({"id": ident})


def local(utc) -> datetime | None:
    """A UTC time of the operational store as France's local time (naive)."""
    if missing(utc) or utc == "":
        return None
    stamp = pd.Timestamp(utc).to_pydatetime()
    return stamp.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def utc_text(value) -> str:
    """A UTC time of the store, said in France's local time."""
    return when_text(local(value))


def when_text(value) -> str:
    """A date and time « 14/01/2025 18:05 » (a date alone « 14/01/2025 »)."""
    if missing(value) or value == "":
        return MISSING
    stamp = pd.Timestamp(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return stamp.strftime("%d/%m/%Y")
    return stamp.strftime("%d/%m/%Y %H:%M")


def subnav(current: str, relative=str, composer: bool = True) -> html.Nav:
    """The alert pages' own navigation (« Nouvelle alerte » for those who compose)."""
    links = []
    for text, path in ALERT_PAGES:
        if path == NEW_PATH and not composer:
            continue
        item = (html.Span(text, className="nav-link active", **{"aria-current": "page"})
                if path == current else dcc.Link(text, href=relative(path), className="nav-link"))
        links.append(html.Li(item, className="nav-item"))
    return html.Nav(html.Ul(links, className="nav nav-tabs mb-3"),
                    **{"aria-label": "Pages des alertes SMS"})


# --- the list ------------------------------------------------------------------------------------

LIST_COLUMNS = {"id_alerte": "Alerte", "created_at": "Créée le", "statut": "Statut",
                "categorie": "Catégorie", "unite_auteur": "Unité", "created_by": "Auteur",
                "communes": "Communes", "recipients": "Destinataires", "message": "Message"}
NUMERIC = ("communes", "recipients")
PREVIEW = 80


def status_options(statuses) -> list[dict]:
    return [{"label": "Tous les statuts", "value": ALL}] + [
        {"label": label(STATUT_LABELS, s), "value": s} for s in statuses]


def parse_status(value, statuses) -> str | None:
    """The status filter (None: all); an unknown one raises ValueError (a 400)."""
    if value in (None, "", ALL):
        return None
    if not isinstance(value, str) or value not in statuses:
        raise ValueError("unknown alert status")
    return value


def preview(message) -> str:
    text = "" if missing(message) else " ".join(str(message).split())
    return text if len(text) <= PREVIEW else text[:PREVIEW - 1] + "…"


def ordered(alerts: pd.DataFrame, validator: bool) -> pd.DataFrame:
    """Newest first; for those who validate, the alerts « À valider » before the others."""
    if alerts.empty:
        return alerts
    frame = alerts.assign(_first=(alerts["statut"] == TO_VALIDATE) if validator else False,
                          _when=pd.to_datetime(alerts["created_at"]))
    frame = frame.sort_values(["_first", "_when", "id_alerte"], ascending=[False, False, False])
    return frame.drop(columns=["_first", "_when"]).reset_index(drop=True)


def communes_list(value) -> list[str]:
    """The communes of an alert (``35047|35066`` or a list)."""
    if isinstance(value, list | tuple):
        return [str(c) for c in value]
    return [] if missing(value) else [c for c in str(value).split("|") if c]


def _count(value) -> str:
    return MISSING if missing(value) else format_number(int(value))


def list_table(alerts: pd.DataFrame, relative=str) -> html.Table:
    """The alerts, each id a link to its page; « À valider » said in words (not by colour)."""
    header = html.Thead(html.Tr([html.Th(t, scope="col", className="text-end" if c in NUMERIC
                                 else None) for c, t in LIST_COLUMNS.items()]))
    rows = []
    for row in alerts.to_dict("records"):
        ident = str(row["id_alerte"])
        status = label(STATUT_LABELS, row.get("statut"))
        cells = [
            wire("Th", dcc.Link(ident, href=alert_href(ident, relative)).to_plotly_json(),
                 scope="row"),
            wire("Td", utc_text(row.get("created_at"))),
            wire("Td", wire("Strong", status) if row.get("statut") == TO_VALIDATE else status),
            wire("Td", label(CATEGORY_LABELS, row.get("categorie"))),
            wire("Td", "" if missing(row.get("unite_auteur")) else str(row["unite_auteur"])),
            wire("Td", "" if missing(row.get("created_by")) else str(row["created_by"])),
            wire("Td", format_number(len(communes_list(row.get("communes")))),
                 className="text-end"),
            wire("Td", _count(row.get("recipients")), className="text-end"),
            wire("Td", preview(row.get("message"))),
        ]
        rows.append(wire("Tr", cells))
    return html.Table([html.Caption("Alertes SMS, les plus récentes d'abord"), header,
                       html.Tbody(rows)],
                      className="table table-sm table-striped table-hover align-middle data-table",
                      id="alertes-liste-table")


def count_text(n: int, waiting: int, validator: bool) -> str:
    if n == 0:
        return "Aucune alerte rédigée dans le tableau de bord."
    text = f"{format_number(n)} alerte{plural(n)} rédigée{plural(n)} dans le tableau de bord"
    if validator and waiting:
        text += f", dont {format_number(waiting)} à valider"
    return text + "."


# --- the alerts sent, whatever their origin ------------------------------------------------------

SENT_COLUMNS = {"id_alerte": "Alerte", "cree_le": "Créée le", "origine": "Origine",
                "categorie": "Catégorie", "unite_auteur": "Unité", "communes": "Communes",
                "nb_destinataires": "Destinataires", "message": "Message"}


def territory_words(departement: str | None, brigade: str | None) -> str:
    """Where the sent alerts were counted: « du département 35 », « des communes de votre
    brigade », « en France »."""
    if brigade:
        return "des communes de votre brigade"
    return f"du département {departement}" if departement else "de France"


def sent_text(counts: Mapping[str, int], where: str) -> str:
    """The sent alerts counted as the overview counts them, with their origins."""
    n, mine = int(counts.get("alertes") or 0), int(counts.get("depuis_tableau_de_bord") or 0)
    if n == 0:
        return f"Aucune alerte envoyée aux élus {where} ({SENT_DETAIL})."
    imported = n - mine
    return (f"{format_number(n)} alerte{plural(n)} envoyée{plural(n)} aux élus {where}, toutes "
            f"dates : {format_number(imported)} importée{plural(imported)} de fichiers, "
            f"{format_number(mine)} rédigée{plural(mine)} dans le tableau de bord. La vue "
            "d'ensemble compte les mêmes, sur sa période, par date de création.")


def sent_table(alerts: pd.DataFrame, total: int, relative=str) -> html.Table:
    """The sent alerts, newest first, with their origin; the dashboard's link to their page
    (an imported one has none: the file is its record). Times as loaded: Paris's."""
    header = html.Thead(html.Tr([html.Th(t, scope="col", className="text-end" if c in (
        "communes", "nb_destinataires") else None) for c, t in SENT_COLUMNS.items()]))
    rows = []
    for row in alerts.to_dict("records"):
        ident = str(row["id_alerte"])
        mine = bool(row.get("depuis_tableau_de_bord"))
        rows.append(wire("Tr", [
            wire("Th", dcc.Link(ident, href=alert_href(ident, relative)).to_plotly_json()
                 if mine else ident, scope="row"),
            wire("Td", when_text(row.get("cree_le"))),
            wire("Td", ORIGIN_DASHBOARD if mine else ORIGIN_FILE),
            wire("Td", label(CATEGORY_LABELS, row.get("categorie"))),
            wire("Td", "" if missing(row.get("unite_auteur")) else str(row["unite_auteur"])),
            wire("Td", format_number(len(communes_list(row.get("communes_ciblees")))),
                 className="text-end"),
            wire("Td", _count(row.get("nb_destinataires")), className="text-end"),
            wire("Td", preview(row.get("message"))),
        ]))
    caption = "Alertes envoyées aux élus, les plus récentes d'abord (heures de Paris)"
    if total > len(alerts):
        caption += f" — les {format_number(len(alerts))} dernières sur {format_number(total)}"
    return html.Table([html.Caption(caption), header, html.Tbody(rows)],
                      className="table table-sm table-striped table-hover align-middle data-table",
                      id="alertes-envoyees-table")

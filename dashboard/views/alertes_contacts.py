"""The élus' alert contacts (« Contacts des élus »): the list of a scope's contacts (function,
commune, number — as the user may read it —, opt-in with its date and channel, origin) with
« Désinscrire » for those who manage them, and the form adding a contact (pure; the number's
input is a one-line text, the other inputs come from the source's declaration through the
forms' builder).
"""

from __future__ import annotations

from collections.abc import Mapping

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.core.components import wire
from dashboard.core.formatting import format_number
from dashboard.views import saisie as forms
from dashboard.views.alertes import (
    CHANNEL_LABELS,
    FUNCTION_LABELS,
    ORIGIN_LABELS,
    label,
    missing,
    plural,
    when_text,
)
from etl.sources.contacts import CONTACTS

FORM = "contact"
#: the form's fields, in the page's order (the id is made by the store)
NAMES = ["code_commune", "fonction", "telephone", "opt_in", "date_opt_in", "canal_opt_in"]
OPT_OUT = "contacts-desinscrire"
MAX_ROWS = 500
COLUMNS = ("Commune", "Fonction", "Numéro", "Alertes SMS", "Origine")
PHONE_MAX = 40


def consent_text(row: Mapping) -> str:
    """« Oui, depuis le 02/11/2024 (formulaire papier) » or « Non »."""
    opted = row.get("opt_in")
    if missing(opted) or not bool(opted):
        return "Non (pas d'accord ou désinscrit)"
    text = "Oui"
    if not missing(row.get("date_opt_in")):
        text += f", depuis le {when_text(pd.Timestamp(row['date_opt_in']).date())}"
    if not missing(row.get("canal_opt_in")):
        text += f" ({label(CHANNEL_LABELS, row['canal_opt_in']).lower()})"
    return text


def count_text(contacts: pd.DataFrame) -> str:
    n = len(contacts)
    if n == 0:
        return "Aucun contact d'élu dans ces communes."
    opted = int(contacts["opt_in"].fillna(False).astype(bool).sum())
    return (f"{format_number(n)} contact{plural(n)}, dont {format_number(opted)} "
            f"acceptant les alertes SMS.")


def contacts_table(contacts: pd.DataFrame, names: Mapping[str, str], manage: bool
                   ) -> html.Table:
    """The contacts (numbers already as the user may read them); with ``manage``, a
    « Désinscrire » button for each contact that receives alerts."""
    heads = [*COLUMNS, "Action"] if manage else list(COLUMNS)
    header = html.Thead(html.Tr([html.Th(h, scope="col") for h in heads]))
    rows = []
    for row in contacts.head(MAX_ROWS).to_dict("records"):
        code = str(row["code_commune"])
        commune = f"{names.get(code, code)} ({code})"
        function = label(FUNCTION_LABELS, row.get("fonction"))
        cells = [wire("Th", commune, scope="row"), wire("Td", function),
                 wire("Td", str(row.get("telephone") or "")),
                 wire("Td", consent_text(row)),
                 wire("Td", label(ORIGIN_LABELS, row.get("origine")))]
        if manage:
            opted = not missing(row.get("opt_in")) and bool(row.get("opt_in"))
            button = html.Button(
                "Désinscrire", id={"type": OPT_OUT, "index": str(row["id_contact"])},
                type="button", className="btn btn-sm btn-outline-danger",
                **{"aria-label": f"Désinscrire : {function.lower()}, {commune}"},
            ).to_plotly_json() if opted else ""
            cells.append(wire("Td", button))
        rows.append(wire("Tr", cells))
    caption = "Contacts des élus pour les alertes SMS"
    if len(contacts) > MAX_ROWS:
        caption += f" — les {format_number(MAX_ROWS)} premiers"
    return html.Table([html.Caption(caption), header, html.Tbody(rows)],
                      className="table table-sm table-striped table-hover align-middle data-table",
                      id="contacts-table")


def opted_out_message(ident: str, cancelled: int | None = None) -> html.Div:
    return html.Div(f"Contact {ident} désinscrit : il ne recevra plus d'alerte SMS ; les "
                    "messages qui lui restaient à envoyer sont annulés.",
                    className="alert alert-success", id="contacts-desinscription", role="status")


# --- the form ------------------------------------------------------------------------------------

def phone_input(value=None) -> html.Div:
    """The number's input: one line, a telephone keyboard (its field id as the builder's)."""
    f = CONTACTS.field("telephone")
    return html.Div([
        html.Label([forms.field_label(f),
                    html.Span(f" ({forms.REQUIRED}) — par exemple 06 39 98 00 01",
                              className="fw-normal small text-body-secondary"),
                    html.Span(id=forms.error_id(FORM, "telephone"),
                              className="saisie-erreur d-block text-danger small")],
                   htmlFor=forms.input_dom_id(FORM, "telephone"),
                   className="form-label fw-semibold"),
        dbc.Input(id=forms.field_id(FORM, "telephone"), type="tel", value=value,
                  maxLength=PHONE_MAX, autoComplete="off"),
    ], className="mb-3 saisie-champ")


def form_fields(choices: list[tuple[str, str]], today: str) -> list:
    values = {"opt_in": "oui", "date_opt_in": today}
    out = []
    for name in NAMES:
        if name == "telephone":
            out.append(phone_input())
        else:
            out += forms.form_fields(FORM, CONTACTS, [name], {"code_commune": choices}
                                     if name == "code_commune" else None, values)
    return out


def error_summary(errors: Mapping[str, str]):
    return forms.error_summary(FORM, dict(errors), CONTACTS, NAMES)


def field_errors(errors: Mapping[str, str]) -> list:
    return forms.field_errors(FORM, dict(errors), NAMES)

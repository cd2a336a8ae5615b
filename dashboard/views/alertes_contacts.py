"""The élus' alert contacts (« Contacts des élus »): the list of a scope's contacts (function,
commune, number — as the user may read it —, opt-in with its date and channel, origin) with
« Désinscrire » for those who manage them, one page of :data:`PAGE_SIZE` at a time, found by a
search on the commune (name or code) and the function; and the form adding a contact (pure; the
number's input is a one-line text, the other inputs come from the source's declaration through
the forms' builder).

Only the page shown reaches the browser, with its buttons: a département's 412 contacts, each a
row with its own pattern-matched button, took the browser 16 s to draw (issue #19).
"""

from __future__ import annotations

import math
import unicodedata
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
from etl.sources.phones import MAX_INPUT

FORM = "contact"
#: the form's fields, in the page's order (the id is made by the store)
NAMES = ["code_commune", "fonction", "telephone", "opt_in", "date_opt_in", "canal_opt_in"]
OPT_OUT = "contacts-desinscrire"
#: contacts on one page of the list
PAGE_SIZE = 50
#: characters of a search kept (a commune's name is shorter)
SEARCH_MAX = 80
COLUMNS = ("Commune", "Fonction", "Numéro", "Alertes SMS", "Origine")


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


def folded(text) -> str:
    """``text`` for a search: lower case, without accents nor extra spaces (« Javené » and
    « javene » alike)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def search_param(value) -> str:
    """The search typed (« » when none); a value of another shape raises ValueError (a 400)."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 4 * SEARCH_MAX:
        raise ValueError("search: a text expected")
    return " ".join(value.split())[:SEARCH_MAX]


def page_param(value) -> int:
    """The page asked for (1 when none); another shape raises ValueError (a 400)."""
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 1_000_000:
        raise ValueError("page: a positive integer expected")
    return value


def matching(contacts: pd.DataFrame, names: Mapping[str, str], search: str) -> pd.DataFrame:
    """The contacts whose commune (name or code) or function holds every word of ``search``,
    accents and case aside (all of them for an empty search)."""
    words = folded(search).split()
    if not words or contacts.empty:
        return contacts
    text = [folded(f"{names.get(str(c), '')} {c} {label(FUNCTION_LABELS, f)}")
            for c, f in zip(contacts["code_commune"], contacts["fonction"], strict=True)]
    keep = [all(w in t for w in words) for t in text]
    return contacts[keep]


def pages_of(n: int) -> int:
    return max(1, math.ceil(n / PAGE_SIZE))


def page_rows(contacts: pd.DataFrame, page: int) -> tuple[pd.DataFrame, int]:
    """The rows of page ``page`` (brought back within the pages there are) and that page."""
    page = min(max(1, page), pages_of(len(contacts)))
    return contacts.iloc[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], page


def count_text(contacts: pd.DataFrame, found: pd.DataFrame | None = None, search: str = "",
               page: int = 1) -> str:
    """What the list holds: every contact of the scope and how many agreed; with a search,
    how many match it; the page shown."""
    n = len(contacts)
    if n == 0:
        return "Aucun contact d'élu dans ces communes."
    found = contacts if found is None else found
    if search:
        k = len(found)
        if k == 0:
            return f"Aucun contact sur {format_number(n)} ne correspond à « {search} »."
        text = (f"{format_number(k)} contact{plural(k)} sur {format_number(n)} "
                f"correspond{'ent' if k > 1 else ''} à « {search} »")
    else:
        opted = int(contacts["opt_in"].fillna(False).astype(bool).sum())
        text = (f"{format_number(n)} contact{plural(n)}, dont {format_number(opted)} "
                f"acceptant les alertes SMS")
    return text + f" — {page_text(len(found), page)}."


def page_text(n: int, page: int) -> str:
    """« page 2 sur 9 (contacts 51 à 100) »."""
    first = (page - 1) * PAGE_SIZE + 1
    last = min(n, page * PAGE_SIZE)
    rows = (f"contact {format_number(first)}" if first == last
            else f"contacts {format_number(first)} à {format_number(last)}")
    return f"page {format_number(page)} sur {format_number(pages_of(n))} ({rows})"


def pager(page: int, pages: int) -> tuple[bool, bool, str]:
    """(« Page précédente » disabled, « Page suivante » disabled, the text between them)."""
    return page <= 1, page >= pages, f"Page {format_number(page)} sur {format_number(pages)}"


def contacts_table(contacts: pd.DataFrame, names: Mapping[str, str], manage: bool,
                   caption: str = "Contacts des élus pour les alertes SMS") -> html.Table:
    """The contacts of one page (numbers already as the user may read them); with ``manage``,
    a « Désinscrire » button for each contact that receives alerts."""
    heads = [*COLUMNS, "Action"] if manage else list(COLUMNS)
    header = html.Thead(html.Tr([html.Th(h, scope="col") for h in heads]))
    rows = []
    for row in contacts.to_dict("records"):
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
                  maxLength=MAX_INPUT, autoComplete="off"),
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

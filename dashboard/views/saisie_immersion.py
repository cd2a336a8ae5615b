"""« Saisie d'une immersion »: the order of the user's immersion list (planned ones first, the
ones whose feedback is due marked), the values of the page's two forms, the list's table.

Pure: no Flask, no store (the page reads the records through ``dashboard.pages._saisie``). An
immersion is scheduled (``statut`` ``planifiee``, its date may be in the future), then, once its
day has come, its feedback (note, comment, duration) makes it ``realisee`` (a correction of the
record: its history keeps the planned version). A past immersion may also be entered directly
with its feedback.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from dash import html

from dashboard.views.saisie import value_label
from etl.sources.immersions import PLANIFIEE, REALISEE

#: the fields of each form (the ``immersions`` source's names): a new immersion, planned (its
#: feedback comes later) or done (with its feedback); the feedback of a planned one
NEW_FIELDS = ("statut", "date_immersion", "code_commune", "fonction_elu", "type_unite", "unite",
              "duree_heures", "note", "commentaire")
FEEDBACK_FIELDS = ("note", "commentaire", "duree_heures")

STATUS_LABELS = {PLANIFIEE: "Planifiée", REALISEE: "Réalisée"}
#: the list's columns (the frame's names → headers)
LIST_COLUMNS = {"id_immersion": "Immersion", "date": "Date", "commune": "Commune de l'élu",
                "fonction": "Élu", "unite": "Unité visitée", "statut": "Statut",
                "retour": "Retour"}
NO_IMMERSION = "Aucune immersion enregistrée pour vos communes."
DUE = "retour à saisir"


def status_of(value) -> str:
    """An empty status is a done immersion (records and files from before the status)."""
    return PLANIFIEE if value == PLANIFIEE else REALISEE


def _day(value) -> date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def feedback_due(record: dict, today: date) -> bool:
    """A planned immersion whose day has come: its feedback may be entered."""
    day = _day(record.get("date_immersion"))
    return status_of(record.get("statut")) == PLANIFIEE and day is not None and day <= today


def ordered(records: list[dict], today: date) -> list[dict]:
    """The immersions to list: planned ones first (soonest first), then done ones (latest
    first); each with ``statut`` read (empty: done) and ``due`` (feedback may be entered)."""
    rows = [{**r, "statut": status_of(r.get("statut")), "due": feedback_due(r, today)}
            for r in records]
    planned = sorted((r for r in rows if r["statut"] == PLANIFIEE),
                     key=lambda r: (_day(r.get("date_immersion")) or date.max,
                                    str(r.get("id_immersion"))))
    done = sorted((r for r in rows if r["statut"] == REALISEE),
                  key=lambda r: (_day(r.get("date_immersion")) or date.min,
                                 str(r.get("id_immersion"))), reverse=True)
    return planned + done


def feedback_changes(values: dict) -> dict:
    """The correction that records the feedback of a planned immersion: it becomes done."""
    return {name: values.get(name) for name in FEEDBACK_FIELDS} | {"statut": REALISEE}


def french_date(value) -> str:
    day = _day(value)
    return "" if day is None else day.strftime("%d/%m/%Y")


# --- components ----------------------------------------------------------------------------------

NEW_FORM, FEEDBACK_FORM = "immersion", "immersion-retour"
#: the pattern-matching id of the « Saisir le retour » buttons (index: the record's number)
FEEDBACK_BUTTON = "immersion-saisir-retour"
LIST_ID = "immersion-liste"
#: the status offered on a new immersion, said with what follows
STATUS_CHOICES = [(PLANIFIEE, "Planifiée : son retour se saisira après l'immersion"),
                  (REALISEE, "Réalisée : saisie directe, avec son retour")]


def feedback_button_id(record_id: int) -> dict:
    return {"type": FEEDBACK_BUTTON, "index": int(record_id)}


def _feedback_cell(row: dict, today: date):
    if row["statut"] == REALISEE:
        note = row.get("note")
        has_note = note is not None and not (not isinstance(note, str) and pd.isna(note))
        return f"note {int(note)}/5" if has_note else "saisi"
    if row["due"]:
        return html.Button("Saisir le retour", id=feedback_button_id(row["id"]), type="button",
                           className="btn btn-sm btn-primary",
                           **{"aria-label": f"Saisir le retour de l'immersion "
                                            f"{row.get('id_immersion')}"})
    return f"à partir du {french_date(row.get('date_immersion'))}"


def immersion_table(rows: list[dict], communes: dict[str, str], today: date):
    """The user's immersions (``ordered`` rows), with « Saisir le retour » on those due."""
    if not rows:
        return html.P(NO_IMMERSION, className="text-body-secondary")
    head = html.Thead(html.Tr([html.Th(label, scope="col") for label in LIST_COLUMNS.values()]))
    body = []
    for r in rows:
        code = r.get("code_commune")
        cells = [
            html.Th(r.get("id_immersion"), scope="row", className="saisie-id"),
            html.Td(french_date(r.get("date_immersion"))),
            html.Td(f"{communes.get(code, code)} ({code})"),
            html.Td(value_label(r.get("fonction_elu"))),
            html.Td(f"{value_label(r.get('type_unite'))} — {r.get('unite') or ''}"),
            html.Td(STATUS_LABELS[r["statut"]] + (" — " + DUE if r["due"] else "")),
            html.Td(_feedback_cell(r, today)),
        ]
        body.append(html.Tr(cells, className="table-warning" if r["due"] else None))
    return html.Div(html.Table([
        html.Caption("Vos immersions : les planifiées d'abord (la plus proche en premier), "
                     "puis les réalisées (la plus récente en premier)."),
        head, html.Tbody(body)], className="table table-sm align-middle"),
        className="table-responsive")


def feedback_title(row: dict, communes: dict[str, str]) -> str:
    code = row.get("code_commune")
    return (f"Retour de l'immersion {row.get('id_immersion')} du "
            f"{french_date(row.get('date_immersion'))} ({communes.get(code, code)}, "
            f"{value_label(row.get('fonction_elu'))})")


def feedback_confirmation(ident: str, record_id: int, version: int) -> html.Div:
    return html.Div([
        html.P([html.Strong("Retour enregistré"), " — l'immersion ",
                html.Strong(str(ident), className="saisie-id"),
                f" est réalisée (enregistrement n° {record_id}, version {version} ; la version "
                "planifiée reste dans son historique)."], className="mb-0"),
    ], id="saisie-confirmation", role="status", tabIndex="-1", className="alert alert-success")

"""« Mes saisies »: the month's entries of every form for the user's communes, newest first,
each with its correction (the form it was entered with, filled with it) and its deletion
(asked for, then confirmed with a reason).

Pure: frames in, components out. The page (``dashboard/pages/saisie_mes_saisies.py``) reads
the store through ``dashboard.pages._saisie`` and checks every click on the server.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from dash import dcc, html

from dashboard.core.formatting import date_text
from dashboard.views.saisie import read_only

PREFIX = "mes-saisies"
#: the « Supprimer » buttons' pattern-matching type: {"type", "source", "id", "version"}
DELETE_TYPE = f"{PREFIX}-supprimer"
TABLE_ID = f"{PREFIX}-liste"

#: what each form's record is called
KINDS = {"dcas": "Consultation DCAS", "complaints": "Plainte d'élu",
         "trainings": "Participation à une formation", "immersions": "Immersion d'élu",
         "diagnostics": "Diagnostic cyber"}
COLUMNS = ("Type", "Identifiant", "Commune", "Date", "Saisie par", "Le", "Actions")
NONE = "Aucune saisie ce mois-ci pour vos communes."
NO_CORRECTION = ("Une participation à une formation ne se corrige pas : supprimez-la, puis "
                 "saisissez-la de nouveau.")


def delete_id(source: str, record_id: int, version: int) -> dict:
    return {"type": DELETE_TYPE, "source": source, "id": int(record_id),
            "version": int(version)}


def paris_time(at) -> str:
    """A store time (UTC, naive) as France's « 07/12/2026 23:45 »."""
    if at is None or pd.isna(at):
        return ""
    stamp = pd.Timestamp(at).tz_localize("UTC").tz_convert("Europe/Paris")
    return stamp.strftime("%d/%m/%Y %H:%M")


def _actions(row, correct: str | None) -> html.Div:
    what = f"{KINDS[row.source].lower()} {row.ident}"
    hidden = html.Span(f" la saisie {what}", className="visually-hidden")
    links = [dcc.Link(["Corriger", hidden], href=f"{correct}?corriger={int(row.id)}",
                      className="btn btn-sm btn-outline-primary")] if correct else []
    return html.Div([
        *links,
        html.Button("Supprimer", id=delete_id(row.source, row.id, row.version), type="button",
                    className="btn btn-sm btn-outline-danger",
                    **{"aria-label": f"Supprimer la saisie {what}"}),
    ], className="d-flex gap-2")


def entries_table(entries: pd.DataFrame, communes: Mapping[str, str],
                  correct: Mapping[str, str | None], month: str):
    """The entries (``_saisie.entries_since``) as a table; ``communes``: code → name;
    ``correct``: each form's address for a correction (None: none); ``month``: « décembre
    2026 »."""
    if entries.empty:
        return read_only(NONE)
    body = []
    for row in entries.itertuples(index=False):
        code = row.commune
        body.append(html.Tr([
            html.Td(KINDS[row.source]),
            html.Th(row.ident, scope="row", className="saisie-id"),
            html.Td(f"{communes.get(code, code)} ({code})" if code else ""),
            html.Td(date_text(row.date)),
            html.Td(row.created_by),
            html.Td(paris_time(row.created_at)),
            html.Td(_actions(row, correct.get(row.source))),
        ]))
    n = len(entries)
    caption = (f"{n} saisie{'s' if n > 1 else ''} de {month} pour vos communes, de la plus "
               "récente à la plus ancienne.")
    notes = [html.P(NO_CORRECTION, className="small text-body-secondary")] \
        if (entries["source"] == "trainings").any() else []
    return html.Div([
        html.Div(html.Table([
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(c, scope="col") for c in COLUMNS])),
            html.Tbody(body),
        ], className="table table-sm align-middle", id=TABLE_ID), className="table-responsive"),
        *notes,
    ])


def record_text(source: str, record: Mapping, communes: Mapping[str, str]) -> str:
    """One record as the deletion's question names it: « la consultation DCAS DC-2026-S000001
    (Bruz, 07/12/2026) »."""
    ident = next((v for k, v in record.items() if k.startswith("id_")), "")
    code = next((record[k] for k in ("code_commune", "code_commune_session") if record.get(k)),
                None)
    date = next((record[k] for k in record if k.startswith("date_") and record[k]), None)
    where = ", ".join(p for p in (communes.get(code, code) if code else None,
                                  date_text(date) if date else None) if p)
    return f"{KINDS[source]} {ident}" + (f" ({where})" if where else "")


def deleted(what: str, reason: str, seconds: int) -> html.Div:
    """The confirmation of a deletion; ``seconds``: between two publications (0: none runs
    on its own)."""
    when = f", dans les {seconds} secondes" if seconds else ""
    return html.Div([
        html.P([html.Strong("Saisie supprimée"), f" — {what}. Motif : {reason}"],
               className="mb-1"),
        html.P("Elle reste dans l'historique de la base des saisies ; les tableaux de bord "
               f"(fiches, carte) la retirent à la prochaine publication{when}.",
               className="mb-0 small"),
    ], id=f"{PREFIX}-confirmation", role="status", tabIndex="-1",
        className="alert alert-success")


def problem(message: str) -> html.Div:
    return html.Div(message, id=f"{PREFIX}-probleme", role="alert", tabIndex="-1",
                    className="alert alert-warning")

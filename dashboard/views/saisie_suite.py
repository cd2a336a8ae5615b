"""A form entry after its first display: what its confirmation offers next (« Nouvelle
saisie », « Mes saisies »: the same filled form sent again stores nothing), and its correction
(the stored record's values as the form's inputs hold them, the new version's confirmation).

Pure: no Flask, no store (``dashboard/pages/_formulaire.py`` uses it).
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard.views.saisie import initial_value
from etl.sources.base import Source


def new_entry(button_id: str, mine_href: str) -> html.Div:
    """Under a confirmation: the form keeps its answers, « Enregistrer » clicked again stores
    nothing more; « Nouvelle saisie » empties it for the next entry; « Mes saisies » corrects
    or deletes this one."""
    return html.Div([
        html.P(["Le formulaire garde vos réponses : cliquer de nouveau sur « Enregistrer » "
                "n'enregistre rien de plus. Pour corriger ou supprimer cette saisie : ",
                dcc.Link("Mes saisies", href=mine_href), "."], className="mb-2 small"),
        html.Button("Nouvelle saisie", id=button_id, type="button",
                    className="btn btn-outline-primary btn-sm"),
    ], className="alert alert-light border saisie-suite")


def new_entry_started() -> html.P:
    """Said (and given the focus) when « Nouvelle saisie » has emptied the form."""
    return html.P("Nouvelle saisie : le formulaire est vide.", role="status", tabIndex="-1",
                  className="small text-body-secondary")


def corrected(ident: str, version: int, what: str, mine_href: str) -> html.Div:
    """A correction's confirmation: the record, its version now stored, the way back."""
    return html.Div([
        html.P([html.Strong(what), " — ", html.Strong(str(ident), className="saisie-id"),
                f", version {version} (les précédentes restent dans son historique). ",
                dcc.Link("Retour à « Mes saisies »", href=mine_href), "."], className="mb-0"),
    ], id="saisie-confirmation", role="status", tabIndex="-1", className="alert alert-success")


def record_values(source: Source, names, record: dict) -> dict:
    """A stored record's values as its form's inputs hold them (dates as AAAA-MM-JJ, times
    as AAAA-MM-JJTHH:MM, lists as their choices, numbers as typed)."""
    values = {}
    for name in names:
        kind, value = source.field(name).kind, record.get(name)
        if value is None:
            values[name] = None
        elif kind == "datetime":
            values[name] = pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M")
        elif kind in ("date", "month"):
            values[name] = pd.Timestamp(value).date().isoformat()
        elif kind == "bool":
            values[name] = "oui" if value else "non"
        elif kind in ("int", "float"):
            values[name] = format(value, "g") if isinstance(value, float) else str(value)
        else:
            values[name] = initial_value(source, name, value)
    return values

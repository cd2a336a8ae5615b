"""Page « Diagnostic cyber » — a commune's cyber self-diagnostic (IMMUNITÉ): the 9 questions,
an immediate score with its colour (said in words) and one piece of advice per weak answer,
and the commune's history (the forms' records and the files' ones, newest first).

Roles: brigades (their communes), commandants (their département) and administrators; préfets
and analysts read the page's message only, and their callbacks are refused (403, audited).
"""

from __future__ import annotations

from datetime import date

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.core import scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from dashboard.views import saisie_diagnostic as diagnostic_view
from etl.roles import Capability
from etl.sources.diagnostics import DIAGNOSTICS, QUESTIONS

PATH = "/saisie/diagnostic"
dash.register_page(
    __name__,
    path=PATH,
    name="Diagnostic cyber",
    title="Autodiagnostic cyber d'une commune — Présents pour les élus",
    description="Les 9 questions de l'autodiagnostic cyber (IMMUNITÉ) d'une commune, son score "
                "immédiat, des conseils et l'historique de la commune.",
    order=11,
    nav=False,
    capability=Capability.ENTER_RECORDS,
)

FORM = "diagnostic"
#: the fields the form shows: all the source's, in its order (the 9 questions last)
NAMES = view.shown_fields(DIAGNOSTICS)
TITLE = "Autodiagnostic cyber d'une commune"
PAGE = "saisie_diagnostic"


class Ids:
    submit = "diagnostic-enregistrer"
    result = "diagnostic-resultat"
    key = "diagnostic-cle"
    focus = "diagnostic-focus"
    history = "diagnostic-historique"


def layout(**_query) -> html.Div:
    user, refused = scaffold.gate(__name__, TITLE)
    head = [html.H1(TITLE, className="h3 mb-2"), view.subnav(PATH, dash.get_relative_path)]
    if refused is not None:
        return html.Div([*head, refused])
    choices, problems = [], []
    if user is not None:
        try:
            choices = view.commune_choices(saisie.writable_communes(user, data.get_warehouse()))
        except READ_ERRORS as exc:
            problems.append(failure(exc, PAGE))
    fields = view.form_fields(FORM, DIAGNOSTICS, NAMES, {"code_commune": choices},
                              {"date_diagnostic": date.today().isoformat()})
    return html.Div([
        *head,
        html.P("Répondez aux 9 questions avec l'élu ou l'agent chargé de l'informatique de la "
               "mairie : le score (sur 100) et les conseils s'affichent à l'enregistrement.",
               className="text-body-secondary"),
        *[view.read_only(p) for p in problems],
        html.Div(id=Ids.result),
        html.Section([
            html.H2("Commune et questions", id="diagnostic-formulaire-titre", className="h5"),
            *fields,
            html.Button("Enregistrer", id=Ids.submit, type="button",
                        className="btn btn-primary"),
        ], className="card card-body saisie-formulaire mb-3",
            **{"aria-labelledby": "diagnostic-formulaire-titre"}),
        html.Section([
            html.H2("Historique de la commune", id="diagnostic-historique-titre",
                    className="h5"),
            html.Div(view.read_only("Choisissez une commune pour voir ses diagnostics."),
                     id=Ids.history, **{"aria-live": "polite"}),
        ], **{"aria-labelledby": "diagnostic-historique-titre"}),
        dcc.Store(id=Ids.key, data=saisie.new_form_key()),
        dcc.Store(id=Ids.focus),
    ])


def _history(user, warehouse, commune: str):
    """The commune's diagnostics table (the commune checked by the caller)."""
    stored = saisie.stored_records("diagnostics", user, warehouse, limit=50, commune=commune)
    imported = saisie.imported_records(warehouse, "diagnostics", commune)
    names = saisie.writable_communes(user, warehouse).set_index("code")["nom"]
    label = f"{names.get(commune, commune)} ({commune})"
    return diagnostic_view.history(diagnostic_view.history_rows(stored, imported), label)


@callback(Output(Ids.history, "children"),
          Input(view.field_id(FORM, "code_commune"), "value"), prevent_initial_call=True)
def _commune_history(commune):
    """The chosen commune's history (one of the user's communes: else 403, audited)."""
    if commune is None:
        raise PreventUpdate
    user, warehouse = saisie.check_commune(commune)
    try:
        return _history(user, warehouse, commune)
    except READ_ERRORS as exc:
        return view.read_only(failure(exc, PAGE))


@callback(Output(Ids.result, "children"),
          *[Output(view.error_id(FORM, n), "children") for n in NAMES],
          Output(Ids.key, "data"),
          Output(Ids.history, "children", allow_duplicate=True),
          Input(Ids.submit, "n_clicks"),
          State(view.field_id(FORM, ALL), "value"), State(Ids.key, "data"),
          prevent_initial_call=True, running=[(Output(Ids.submit, "disabled"), True, False)])
def _submit(_clicks, _values, key):
    """Records the diagnostic (once per form display), then shows its score and advice."""
    user = saisie.require_writer()
    entered = view.values_from(ctx.states_list[0])
    values = {n: entered.get(n) for n in NAMES}
    try:
        result = saisie.submit_form("diagnostics", values, key)
        if not result.ok:
            return (view.error_summary(FORM, result.errors, DIAGNOSTICS, NAMES),
                    *view.field_errors(FORM, result.errors, NAMES), no_update, no_update)
        record = saisie.stored("diagnostics", result.record_id) or {}
        warehouse = data.get_warehouse()
        history = _history(user, warehouse, record.get("code_commune"))
    except READ_ERRORS as exc:
        return (view.read_only(failure(exc, PAGE)), *[None] * len(NAMES), no_update,
                no_update)
    what = "Diagnostic déjà enregistré" if result.replayed else "Diagnostic enregistré"
    shown = diagnostic_view.scored({q: record.get(q) for q in QUESTIONS})
    return (html.Div([view.confirmation(result.ident, result.record_id, what),
                      diagnostic_view.result(shown)]),
            *[None] * len(NAMES), saisie.new_form_key(), history)


saisie.register_result_focus(Ids.result, Ids.focus)

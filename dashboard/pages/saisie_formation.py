"""Page « Formation » — a training or awareness session for élus and its attendees (function
and commune of each), recorded through the forms' one door (``dashboard.pages._saisie``) as the
rows of the ``trainings`` source: one per attendee, the session's columns repeated.

The session's inputs come from the source's declaration (the forms' builder); the attendees are
a list of rows (« Ajouter un participant », « Retirer »). « Enregistrer » checks the session and
every attendee first (nothing is stored while one is wrong: each error is shown by its input
and in the summary), then stores each attendee with the idempotency key « form key + attendee
index »: a resubmitted page stores nothing twice. The session's id is made from the form
display's key (``views/saisie_formation.py``), the attendance ids by the store.

Roles: brigades (their communes), commandants (their département) and administrators; préfets
and analysts read the page's message only, and their callbacks are refused (403, audited).
"""

from __future__ import annotations

from datetime import date

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import BadRequest

from dashboard.core import access, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from dashboard.views import saisie_formation as formation
from etl.ops import records
from etl.ops.records import check
from etl.roles import Capability
from etl.sources.trainings import TRAININGS

PATH = "/saisie/formation"
dash.register_page(
    __name__,
    path=PATH,
    name="Formation",
    title="Saisie d'une session de formation — Présents pour les élus",
    description="Enregistrer une session de formation ou de sensibilisation des élus et ses "
                "participants (fonction et commune de chacun).",
    order=9,
    nav=False,
    capability=Capability.ENTER_RECORDS,
)

FORM = formation.FORM
NAMES = list(formation.SESSION_FIELDS)
TITLE = "Saisie d'une session de formation"
PAGE = "saisie_formation"


class Ids:
    submit = "formation-enregistrer"
    add = "formation-ajouter"
    rows = formation.ROWS_ID
    result = "formation-resultat"
    key = "formation-cle"
    focus = "formation-focus"


ATTENDEE_STATE = State({"type": formation.ROW_TYPE, "index": ALL, "name": ALL}, "value")


def default_unit(user) -> str | None:
    """The unit that runs the session, by default: a brigade's own; a commandant's
    groupement (G + département, as in the source's example); nothing for an administrator."""
    if user is None:
        return None
    if user.by_brigade:
        return user.brigade_id
    return f"G{user.departement}" if user.departement else None


def _communes(user, warehouse) -> list[tuple[str, str]]:
    return view.commune_choices(saisie.writable_communes(user, warehouse))


def layout(**_query) -> html.Div:
    user, refused = scaffold.gate(__name__, TITLE)
    head = [html.H1(TITLE, className="h3 mb-2"), view.subnav(PATH, dash.get_relative_path)]
    if refused is not None:
        return html.Div([*head, refused])
    choices, problems = [], []
    if user is not None:
        try:
            choices = _communes(user, data.get_warehouse())
        except READ_ERRORS as exc:
            problems.append(failure(exc, PAGE))
    values = {"date_session": date.today().isoformat(), "unite": default_unit(user)}
    return html.Div([
        *head,
        html.P("Une session, puis ses participants (fonction et commune de chacun). Les "
               "identifiants de la session et des participations sont attribués à "
               "l'enregistrement.", className="text-body-secondary"),
        *[view.read_only(p) for p in problems],
        html.Div(id=Ids.result),
        html.Section([
            html.H2("Session", id="formation-session-titre", className="h5"),
            *view.form_fields(FORM, TRAININGS, NAMES, {"code_commune_session": choices},
                              values),
            html.H2("Participants", id="formation-participants-titre", className="h5 mt-2"),
            html.P(f"Au moins un participant, {formation.MAX_ATTENDEES} au plus.",
                   className="small text-body-secondary"),
            html.Div(formation.attendee_list([{}], choices), id=Ids.rows,
                     role="group", **{"aria-labelledby": "formation-participants-titre"}),
            html.Div([
                html.Button("Ajouter un participant", id=Ids.add, type="button",
                            className="btn btn-outline-primary"),
                html.Button("Enregistrer", id=Ids.submit, type="button",
                            className="btn btn-primary"),
            ], className="d-flex gap-2 mt-2"),
        ], className="card card-body saisie-formulaire mb-3",
            **{"aria-labelledby": "formation-session-titre"}),
        dcc.Store(id=Ids.key, data=saisie.new_form_key()),
        dcc.Store(id=Ids.focus),
    ])


# --- the attendee rows -------------------------------------------------------------------------

def attendees_from(states) -> list[dict]:
    """The attendee rows the browser sent (a pattern state: one entry per row and field), in
    row order. Another shape (a forged request) raises ValueError: a 400, audited."""
    if not isinstance(states, list):
        raise ValueError("attendee states: a list expected")
    rows: dict[int, dict] = {}
    for state in states:
        ident = state.get("id") if isinstance(state, dict) else None
        if not isinstance(ident, dict):
            raise ValueError("attendee states: an id expected")
        index, name = ident.get("index"), ident.get("name")
        if (not isinstance(index, int) or isinstance(index, bool) or index < 0
                or name not in formation.ATTENDEE_FIELDS):
            raise ValueError("attendee states: a row index and a field name expected")
        rows.setdefault(index, {})[name] = state.get("value")
    return formation.attendees_of([rows[i] for i in sorted(rows)])


@callback(Output(Ids.rows, "children"),
          Input(Ids.add, "n_clicks"),
          Input({"type": formation.REMOVE_TYPE, "index": ALL}, "n_clicks"),
          ATTENDEE_STATE, prevent_initial_call=True)
def _edit_rows(_add, _removes, _values):
    """« Ajouter un participant » and « Retirer »: the rows again, with their values."""
    user = saisie.require_writer()
    attendees = attendees_from(ctx.states_list[0])
    trigger = ctx.triggered_id
    if trigger == Ids.add:
        if len(attendees) >= formation.MAX_ATTENDEES:
            raise PreventUpdate
        attendees.append({})
    elif isinstance(trigger, dict) and trigger.get("type") == formation.REMOVE_TYPE:
        if not ctx.triggered[0].get("value"):  # a row just drawn, not a click
            raise PreventUpdate
        index = trigger.get("index")
        if not isinstance(index, int) or not 0 <= index < len(attendees):
            raise PreventUpdate
        del attendees[index]
    else:
        raise PreventUpdate
    try:
        choices = _communes(user, data.get_warehouse())
    except READ_ERRORS as exc:
        return view.read_only(failure(exc, PAGE))
    return formation.attendee_list(attendees, choices)


# --- submitting --------------------------------------------------------------------------------

def _as_cell(value):
    """A form's value as the cell of a file, for the check before storing (``records``
    reads it the same way when storing)."""
    return value if value is None or isinstance(value, str) else str(value)


def _checked_rows(user, rows: list[dict], key: str) -> dict[int, dict[str, str]]:
    """Every attendee row checked by the source's declaration before any is stored: {row index:
    {field: French reason}}. A row outside the user's communes is refused now (403, audited),
    before anything is stored."""
    warehouse = data.get_warehouse()
    known = saisie.known(warehouse)
    in_scope = saisie.scope_check_for(user, warehouse)
    today = date.today()
    errors: dict[int, dict[str, str]] = {}
    for i, row in enumerate(rows):
        saisie.check_request(user, "trainings", row)
        cells = {name: _as_cell(v) for name, v in row.items()}
        cells["id_participation"] = "~" + formation.attendee_key(key, i)
        typed, found = check(TRAININGS, cells, known, today)
        if found:
            errors[i] = found
        elif not in_scope(typed):
            access.refuse(user, "saisie_trainings hors périmètre : "
                          f"{access.shown({k: row.get(k) for k in sorted(row)})}",
                          message=records.DENIED)
    return errors


def _failed(whole, session_errors, attendee_errors, attendees, choices):
    return (formation.summary(whole, session_errors, attendee_errors),
            *view.field_errors(FORM, session_errors, NAMES),
            formation.attendee_list(attendees, choices, attendee_errors), no_update)


@callback(Output(Ids.result, "children"),
          *[Output(view.error_id(FORM, n), "children") for n in NAMES],
          Output(Ids.rows, "children", allow_duplicate=True),
          Output(Ids.key, "data"),
          Input(Ids.submit, "n_clicks"),
          State(view.field_id(FORM, ALL), "value"), ATTENDEE_STATE, State(Ids.key, "data"),
          prevent_initial_call=True, running=[(Output(Ids.submit, "disabled"), True, False)])
def _submit(_clicks, _session, _attendees, key):
    """Checks the session and all its attendees, then stores one record per attendee (once
    per form display); the errors by their inputs, or the ids stored."""
    user = saisie.require_writer()
    entered = view.values_from(ctx.states_list[0])
    session = {n: entered.get(n) for n in NAMES}
    attendees = attendees_from(ctx.states_list[1])
    saisie.check_request(user, "trainings", session, key)  # odd shapes: a 400, audited
    if not isinstance(key, str) or not key:
        raise BadRequest(saisie.INVALID)
    try:
        choices = _communes(user, data.get_warehouse())
        whole, missing = formation.attendee_problems(attendees)
        if whole:
            return _failed(whole, {}, {}, attendees, choices)
        ident = formation.session_id(key, formation.session_year(session.get("date_session")))
        rows = formation.attendee_rows(session, attendees, ident)
        found = _checked_rows(user, rows, key)
        session_errors, attendee_errors = formation.split_errors(found)
        for i, reasons in missing.items():  # « manquante » said as the list's own check says
            attendee_errors.setdefault(i, {}).update(reasons)
        if session_errors or attendee_errors:
            return _failed(None, session_errors, attendee_errors, attendees, choices)
        results = [saisie.submit_form("trainings", row, formation.attendee_key(key, i))
                   for i, row in enumerate(rows)]
    except READ_ERRORS as exc:
        return (view.read_only(failure(exc, PAGE)), *[None] * len(NAMES), no_update,
                no_update)
    failed = {i: r.errors for i, r in enumerate(results) if not r.ok}
    if failed:  # stored meanwhile by another form, or a twin submission: said, not hidden
        session_errors, attendee_errors = formation.split_errors(failed)
        return _failed(None, session_errors, attendee_errors, attendees, choices)
    stored = [(r.ident, r.record_id) for r in results]
    replayed = all(r.replayed for r in results)
    return (formation.confirmation(ident, stored, replayed), *[None] * len(NAMES),
            formation.attendee_list([{}], choices), saisie.new_form_key())


saisie.register_result_focus(Ids.result, Ids.focus)

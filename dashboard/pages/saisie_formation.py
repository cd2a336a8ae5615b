"""Page « Formation » — a training or awareness session for élus and its attendees (function
and commune of each), recorded through the forms' one door (``dashboard.pages._saisie``) as the
rows of the ``trainings`` source: one per attendee, the session's columns repeated.

The session's inputs come from the source's declaration (the forms' builder); the attendees are
a list of rows (« Ajouter un participant », « Retirer »). « Enregistrer » checks the session and
every attendee first (nothing is stored while one is wrong: each error is shown by its input
and in the summary), then stores each attendee with the idempotency key « form key + attendee
index »: a resubmitted page stores nothing twice, and the form stays filled after its
confirmation until « Nouvelle saisie » (one empty attendee row, a new key). The session's id
is made from the form display's key (``views/saisie_formation.py``), the attendance ids by
the store. The rest is every form page's (``_formulaire.FormPage``: roles, ids, the layout's
frame).
"""

from __future__ import annotations

from dash import ALL, MATCH, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import BadRequest

from dashboard.core import access
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _communes as commune_search
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from dashboard.views import saisie_formation as formation
from etl import clock
from etl.ops import records
from etl.ops.records import check
from etl.sources.trainings import TRAININGS

SOURCE = TRAININGS.name
ADD = "formation-ajouter"
ATTENDEE_STATE = State({"type": formation.ROW_TYPE, "index": ALL, "name": ALL}, "value")


def default_unit(user) -> str | None:
    """The unit that runs the session, by default: a brigade's own; a commandant's
    groupement (G + département, as in the source's example); nothing for an administrator."""
    if user is None:
        return None
    if user.by_brigade:
        return user.brigade_id
    return f"G{user.departement}" if user.departement else None


def _attendees(communes: list, searched: bool) -> list:
    """The attendee rows, inside the form after the session's fields."""
    return [
        html.H2("Participants", id="formation-participants-titre", className="h5 mt-2"),
        html.P(f"Au moins un participant, {formation.MAX_ATTENDEES} au plus.",
               className="small text-body-secondary"),
        html.Div(formation.attendee_list([{}], communes, searched=searched),
                 id=formation.ROWS_ID, role="group",
                 **{"aria-labelledby": "formation-participants-titre"}),
    ]


def _rows(user, attendees: list[dict], errors=None, session: dict | None = None) -> list:
    """The attendee rows drawn again with their values: the user's communes offered (on
    demand: those chosen in the rows and the session only)."""
    chosen = [a.get("code_commune_participant") for a in attendees] + [
        (session or {}).get("code_commune_session")]
    communes = PAGE.communes(user, data.get_warehouse(), chosen)
    return formation.attendee_list(attendees, communes, errors,
                                   searched=commune_search.on_demand(user))


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
    today = clock.today()
    errors: dict[int, dict[str, str]] = {}
    for i, row in enumerate(rows):
        saisie.check_request(user, SOURCE, row)
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


def _failed(whole, session_errors, attendee_errors, attendees, user,
            session) -> formulaire.Answer:
    return formulaire.Answer(formation.summary(whole, session_errors, attendee_errors),
                             session_errors,
                             outputs=(_rows(user, attendees, attendee_errors, session),))


def _store(page, user, session, key, attendee_states) -> formulaire.Answer:
    """Checks the session and all its attendees, then stores one record per attendee (once
    per form display); the errors by their inputs, or the ids stored."""
    attendees = attendees_from(attendee_states)
    saisie.check_request(user, SOURCE, session, key)  # odd shapes: a 400, audited
    if not isinstance(key, str) or not key:
        raise BadRequest(saisie.INVALID)
    whole, missing = formation.attendee_problems(attendees)
    if whole:
        return _failed(whole, {}, {}, attendees, user, session)
    ident = formation.session_id(key, formation.session_year(session.get("date_session")))
    rows = formation.attendee_rows(session, attendees, ident)
    session_errors, attendee_errors = formation.split_errors(_checked_rows(user, rows, key))
    for i, reasons in missing.items():  # « manquante » said as the list's own check says
        attendee_errors.setdefault(i, {}).update(reasons)
    if session_errors or attendee_errors:
        return _failed(None, session_errors, attendee_errors, attendees, user, session)
    results = [saisie.submit_form(SOURCE, row, formation.attendee_key(key, i))
               for i, row in enumerate(rows)]
    failed = {i: r.errors for i, r in enumerate(results) if not r.ok}
    if failed:  # stored meanwhile by another form, or a twin submission: said, not hidden
        return _failed(None, *formation.split_errors(failed), attendees, user, session)
    stored = [(r.ident, r.record_id) for r in results]
    replayed = all(r.replayed for r in results)
    # the attendees stay as entered: the same form sent again replays (« déjà enregistrée »)
    return formulaire.Answer(formation.confirmation(ident, stored, replayed), stored=True)


def _renew(page, user) -> tuple:
    """« Nouvelle saisie »: one empty attendee row."""
    try:
        return (_rows(user, [{}]),)
    except READ_ERRORS as exc:
        return (view.read_only(failure(exc, page.page)),)


PAGE = formulaire.register_page(
    __name__, formation.FORM, TRAININGS, path="/saisie/formation", name="Formation", order=9,
    title="Saisie d'une session de formation", heading="Session",
    description="Enregistrer une session de formation ou de sensibilisation des élus et ses "
                "participants (fonction et commune de chacun).",
    intro="Une session, puis ses participants (fonction et commune de chacun). Les identifiants "
          "de la session et des participations sont attribués à l'enregistrement.",
    names=formation.SESSION_FIELDS, inside=_attendees, buttons=[("Ajouter un participant", ADD)],
    defaults=lambda user: {"date_session": clock.today().isoformat(), "unite": default_unit(user)},
    outputs=[(formation.ROWS_ID, "children")], states=[ATTENDEE_STATE], store=_store,
    renew=_renew)
layout = PAGE.layout


@callback(Output(formation.ROWS_ID, "children"),
          Input(ADD, "n_clicks"),
          Input({"type": formation.REMOVE_TYPE, "index": ALL}, "n_clicks"),
          ATTENDEE_STATE, prevent_initial_call=True)
def _edit_rows(_add, _removes, _values):
    """« Ajouter un participant » and « Retirer »: the rows again, with their values."""
    user = saisie.require_writer()
    attendees = attendees_from(ctx.states_list[0])
    trigger = ctx.triggered_id
    if trigger == ADD:
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
        return _rows(user, attendees)
    except READ_ERRORS as exc:
        return view.read_only(failure(exc, PAGE.page))


commune_search.register(
    {"type": formation.ROW_TYPE, "index": MATCH, "name": "code_commune_participant"})

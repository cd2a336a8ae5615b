"""Page « Immersion » — immersions of élus in gendarmerie units: schedule one (statut
``planifiee``, a future date allowed), list the user's immersions (planned ones first), and once
a planned one's day has come, « Saisir le retour » (note 1-5, comment, duration): the record
becomes ``realisee`` through a correction checked against the version shown (its history keeps
the planned version). A past immersion may also be entered directly with its feedback (statut
``realisee``). Every record goes through the forms' one door (``dashboard.pages._saisie``),
checked by the ``immersions`` source's declaration (a planned one has no feedback yet, a done one
is not in the future: French reasons by their inputs). The rest is every form page's
(``_formulaire.FormPage``: roles, ids, the new immersion's submission).
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.core import access
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from dashboard.views import saisie_immersion as immersion
from etl import clock
from etl.ops import records
from etl.sources.immersions import IMMERSIONS, PLANIFIEE

SOURCE = IMMERSIONS.name
FEEDBACK = immersion.FEEDBACK_FORM
FEEDBACK_NAMES = list(immersion.FEEDBACK_FIELDS)
#: immersions listed, at most (the newest records)
LIST_MAX = 200
NOT_DUE = ("Le retour d'une immersion se saisit à partir du jour de l'immersion : celle-ci "
           "n'a pas encore eu lieu.")
ALREADY_DONE = "Le retour de cette immersion est déjà saisi."
NONE_CHOSEN = "Choisissez d'abord une immersion planifiée dans la liste (« Saisir le retour »)."


class Ids:
    list = immersion.LIST_ID
    feedback = "immersion-retour-bloc"
    feedback_title = "immersion-retour-titre"
    feedback_submit = "immersion-retour-enregistrer"
    chosen = "immersion-retour-choisie"  # {"id": record number, "version": version shown}


def _defaults(user) -> dict:
    """A brigade visits its own unit by default; every new immersion starts planned."""
    values = {"statut": PLANIFIEE}
    if user is not None and user.by_brigade:
        values |= {"type_unite": "brigade", "unite": user.brigade_id}
    return values


def _listing(user, warehouse):
    """The user's immersions (their communes), planned ones first."""
    communes = saisie.writable_communes(user, warehouse)
    names = dict(zip(communes["code"], communes["nom"], strict=True))
    frame = saisie.stored_records(SOURCE, user, warehouse, limit=LIST_MAX)
    rows = immersion.ordered(frame.to_dict("records"), clock.today())
    return immersion.immersion_table(rows, names, clock.today())


def _sections(user, warehouse) -> list:
    """The list of the user's immersions, and the feedback form of the one chosen there."""
    listing = None if warehouse is None else _listing(user, warehouse)
    return [
        html.Section([
            html.H2("Vos immersions", id=f"{Ids.list}-titre", className="h5"),
            html.Div(listing, id=Ids.list, **{"aria-live": "polite"}),
        ], className="mb-3", **{"aria-labelledby": f"{Ids.list}-titre"}),
        html.Section([
            html.H2(id=Ids.feedback_title, className="h5"),
            *view.form_fields(FEEDBACK, IMMERSIONS, FEEDBACK_NAMES),
            html.Button("Enregistrer le retour", id=Ids.feedback_submit, type="button",
                        className="btn btn-primary"),
        ], id=Ids.feedback, hidden=True, className="card card-body saisie-formulaire mb-3",
            **{"aria-labelledby": Ids.feedback_title}),
        dcc.Store(id=Ids.chosen),
    ]


def _said(result) -> str:
    """Planned, or done with its feedback (a past immersion entered directly)."""
    if result.replayed:
        return "Immersion déjà enregistrée"
    record = saisie.stored(SOURCE, result.record_id) or {}
    planned = immersion.status_of(record.get("statut")) == PLANIFIEE
    return "Immersion planifiée" if planned else "Immersion enregistrée avec son retour"


PAGE = formulaire.register_page(
    __name__, immersion.NEW_FORM, IMMERSIONS, path="/saisie/immersion", name="Immersion",
    order=10, title="Saisie d'une immersion d'élu", heading="Nouvelle immersion",
    description="Planifier l'immersion d'un élu dans une unité de gendarmerie, puis saisir son "
                "retour ; ou saisir directement une immersion passée.",
    intro="Planifiez l'immersion d'un élu (la date peut être à venir), puis, le jour venu, "
          "saisissez son retour depuis la liste. Une immersion passée peut aussi être saisie "
          "directement avec son retour (statut « Réalisée »).",
    names=immersion.NEW_FIELDS, choices={"statut": immersion.STATUS_CHOICES},
    defaults=_defaults, sections=_sections, outputs=[(Ids.list, "children")],
    after=lambda user, warehouse, _result: ([], (_listing(user, warehouse),)), said=_said)
layout = PAGE.layout


# --- the feedback of a planned immersion -------------------------------------------------------

def _record_in_scope(user, record_id) -> dict | None:
    """The stored immersion ``record_id`` (None: unknown or deleted), if the user may write
    for its commune; else 403, audited."""
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        return None
    record = saisie.stored(SOURCE, record_id)
    if record is None or record["deleted"]:
        return None
    if not saisie.scope_check_for(user, data.get_warehouse())(record):
        access.refuse(user, f"saisie_immersions hors périmètre : retour de l'immersion n° "
                      f"{record_id}", message=records.DENIED)
    return record


@callback(Output(Ids.feedback, "hidden"), Output(Ids.feedback_title, "children"),
          Output(Ids.chosen, "data"),
          Output(view.field_id(FEEDBACK, ALL), "value"),
          *[Output(view.error_id(FEEDBACK, n), "children", allow_duplicate=True)
            for n in FEEDBACK_NAMES],
          Input({"type": immersion.FEEDBACK_BUTTON, "index": ALL}, "n_clicks"),
          prevent_initial_call=True)
def _choose(_clicks):
    """« Saisir le retour »: the feedback form of that immersion (one of the user's, planned,
    its day come), with the version shown."""
    user = saisie.require_writer()
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
        raise PreventUpdate  # the list drawn again, not a click
    record = _record_in_scope(user, trigger.get("index"))
    if record is None or not immersion.feedback_due(record, clock.today()):
        raise PreventUpdate
    try:
        names = dict(zip(*[saisie.writable_communes(user, data.get_warehouse())[c]
                           for c in ("code", "nom")], strict=True))
    except READ_ERRORS:
        names = {}
    shown = {"duree_heures": record.get("duree_heures")}
    values = [shown.get(o["id"]["name"]) for o in ctx.outputs_list[3]]
    return (False, immersion.feedback_title(record, names),
            {"id": record["id"], "version": record["version"]}, values,
            *[None] * len(FEEDBACK_NAMES))


@callback(Output(PAGE.ids.result, "children", allow_duplicate=True),
          *[Output(view.error_id(FEEDBACK, n), "children") for n in FEEDBACK_NAMES],
          Output(Ids.list, "children", allow_duplicate=True),
          Output(Ids.feedback, "hidden", allow_duplicate=True),
          Output(Ids.chosen, "data", allow_duplicate=True),
          Input(Ids.feedback_submit, "n_clicks"),
          State(view.field_id(FEEDBACK, ALL), "value"), State(Ids.chosen, "data"),
          prevent_initial_call=True,
          running=[(Output(Ids.feedback_submit, "disabled"), True, False)])
def _feedback(_clicks, _values, chosen):
    """Records the feedback of the chosen immersion: it becomes done (a new version of the
    record, if nobody changed it since it was shown)."""
    user = saisie.require_writer()
    entered = view.values_from(ctx.states_list[0])
    keep = (no_update, no_update, no_update)
    chosen = chosen if isinstance(chosen, dict) else {}
    record_id, version = chosen.get("id"), chosen.get("version")
    try:
        record = _record_in_scope(user, record_id)
        problem = (NONE_CHOSEN if record is None else
                   ALREADY_DONE if immersion.status_of(record.get("statut")) != PLANIFIEE else
                   NOT_DUE if not immersion.feedback_due(record, clock.today()) else None)
        if problem:
            return (view.error_summary(FEEDBACK, {"*": problem}, IMMERSIONS, FEEDBACK_NAMES),
                    *[None] * len(FEEDBACK_NAMES), *keep)
        result = saisie.correct_form(SOURCE, record_id, immersion.feedback_changes(entered),
                                     version)
        if not result.ok:
            return (view.error_summary(FEEDBACK, result.errors, IMMERSIONS, FEEDBACK_NAMES),
                    *view.field_errors(FEEDBACK, result.errors, FEEDBACK_NAMES), *keep)
        listing = _listing(user, data.get_warehouse())
    except READ_ERRORS as exc:
        return (view.read_only(failure(exc, PAGE.page)), *[None] * len(FEEDBACK_NAMES), *keep)
    return (immersion.feedback_confirmation(result.ident, result.record_id, result.version),
            *[None] * len(FEEDBACK_NAMES), listing, True, None)

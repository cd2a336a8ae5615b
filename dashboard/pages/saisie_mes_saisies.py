"""Page « Mes saisies » (``/saisie/mes-saisies``): this month's entries of every form for the
user's communes at once (a brigade's: its communes), newest first, each with « Corriger » (its
form, filled with it: a new version of the record) and « Supprimer » (a mistake: asked, then
confirmed with a reason; through the one door, ``etl.ops.records.delete``: audited, checked
against the version listed and the user's communes). The next refresh withdraws a deleted
record from the warehouse.

Roles: the writers (brigades, commandants, administrators); préfets and analysts get the
forms' « lecture seule » refusal and their callbacks a 403 (audited). Every click is checked on
the server: a record outside the user's communes is a 403 (audited), an id or a reason no
page sends a French 400 (audited).
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.core import access, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.core.scope import MONTHS_FR
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as form_view
from dashboard.views import saisie_mes_saisies as view
from etl import clock
from etl.ops import records
from etl.roles import Capability
from etl.settings import get_settings

PATH = formulaire.MINE_PATH
TITLE = "Mes saisies"
PAGE = "mes-saisies"
dash.register_page(__name__, path=PATH, name=TITLE, title=f"{TITLE} — {formulaire.SITE}",
                   description="Les saisies du mois de vos communes, pour corriger ou "
                               "supprimer une erreur.",
                   order=12, nav=False, capability=Capability.ENTER_RECORDS)

#: the form each kind of entry is corrected with (filled with it: ``?corriger=<n°>``)
CORRECTED_WITH = {"dcas": "/saisie/dcas", "complaints": "/saisie/plainte",
                  "trainings": None, "immersions": "/saisie/immersion",
                  "diagnostics": "/saisie/diagnostic"}
assert set(CORRECTED_WITH) == set(saisie.ENTRY_SOURCES)  # noqa: S101
REASON = form_view.field_id(PAGE, "motif")
GONE = "Cette saisie n'existe plus (supprimée entre-temps) : la liste est à jour."


class Ids:
    message = f"{PAGE}-message"
    listing = f"{PAGE}-saisies"
    ask = f"{PAGE}-confirmer"  # the deletion's question
    ask_title = f"{PAGE}-confirmer-titre"
    ask_text = f"{PAGE}-confirmer-texte"
    confirm = f"{PAGE}-supprimer-confirme"
    cancel = f"{PAGE}-annuler"
    reason_error = f"{PAGE}-erreur-motif"
    chosen = f"{PAGE}-choisie"  # {"source", "id", "version"}: as listed
    focus = f"{PAGE}-focus"


def _month() -> str:
    """« décembre 2026 »: France's current month."""
    today = clock.today()
    return f"{MONTHS_FR[today.month - 1]} {today.year}"


def _listing(user, warehouse):
    entries = saisie.entries_since(user, warehouse, saisie.month_start_utc())
    names = _names(user, warehouse)
    correct = {s: (dash.get_relative_path(p) if p else None) for s, p in CORRECTED_WITH.items()}
    return view.entries_table(entries, names, correct, _month())


def _names(user, warehouse) -> dict[str, str]:
    communes = saisie.writable_communes(user, warehouse)
    return dict(zip(communes["code"], communes["nom"], strict=True))


def _question() -> html.Section:
    """The deletion's question: what, why (a reason, required), confirm or cancel."""
    return html.Section([
        html.H2(id=Ids.ask_title, className="h5", tabIndex="-1"),
        html.P(id=Ids.ask_text),
        html.Label(["Motif de la suppression",
                    html.Span(f" ({form_view.REQUIRED}) — {records.REASON_MAX} caractères au "
                              "plus", className="fw-normal small text-body-secondary"),
                    html.Span(id=Ids.reason_error,
                              className="saisie-erreur d-block text-danger small")],
                   htmlFor=form_view.dom_id(REASON), className="form-label fw-semibold"),
        dcc.Textarea(id=REASON, maxLength=records.REASON_MAX, rows=2, className="form-control",
                     value=""),
        html.Div([
            html.Button("Confirmer la suppression", id=Ids.confirm, type="button",
                        className="btn btn-danger"),
            html.Button("Annuler", id=Ids.cancel, type="button",
                        className="btn btn-outline-secondary"),
        ], className="d-flex gap-2 mt-2"),
    ], id=Ids.ask, hidden=True, className="card card-body border-danger mb-3",
        **{"aria-labelledby": Ids.ask_title})


def layout(**_query) -> html.Div:
    user, refused = scaffold.gate(__name__, TITLE)
    head = [html.H1(TITLE, className="h3 mb-2"), form_view.subnav(PATH, dash.get_relative_path)]
    if refused is not None:
        return html.Div([*head, refused])
    listing = None
    if user is not None:
        try:
            listing = _listing(user, data.get_warehouse())
        except READ_ERRORS as exc:
            listing = form_view.read_only(failure(exc, PAGE))
    return html.Div([
        *head,
        html.P(f"Les saisies de {_month()} pour vos communes, tous formulaires confondus. "
               "« Corriger » ouvre le formulaire rempli avec la saisie ; « Supprimer » retire "
               "une saisie faite par erreur (un motif est demandé ; la suppression est "
               "tracée).", className="text-body-secondary"),
        html.Div(id=Ids.message),
        _question(),
        html.Section([html.H2("Saisies du mois", className="visually-hidden",
                              id=f"{PAGE}-liste-titre"),
                      html.Div(listing, id=Ids.listing)],
                     **{"aria-labelledby": f"{PAGE}-liste-titre"}),
        dcc.Store(id=Ids.chosen),
        dcc.Store(id=Ids.focus),
    ])


def _chosen(trigger) -> dict:
    """The record a « Supprimer » button names (its id sent by the browser: a French 400,
    audited, when it is not one a page draws)."""
    ok = (isinstance(trigger, dict) and trigger.get("source") in saisie.ENTRY_SOURCES
          and all(isinstance(trigger.get(k), int) and not isinstance(trigger.get(k), bool)
                  for k in ("id", "version")))
    if not ok:
        saisie.invalid(saisie.require_writer(), f"suppression : {access.shown(trigger)}")
    return {k: trigger[k] for k in ("source", "id", "version")}


@callback(Output(Ids.ask, "hidden"), Output(Ids.ask_title, "children"),
          Output(Ids.ask_text, "children"), Output(Ids.chosen, "data"),
          Output(REASON, "value"), Output(Ids.reason_error, "children"),
          Input({"type": view.DELETE_TYPE, "source": ALL, "id": ALL, "version": ALL}, "n_clicks"),
          Input(Ids.cancel, "n_clicks"), prevent_initial_call=True)
def _ask(_deletes, _cancel):
    """« Supprimer »: the question for that record (one of the user's communes: else 403,
    audited); « Annuler »: no question."""
    user = saisie.require_writer()
    trigger = ctx.triggered_id
    if trigger == Ids.cancel:
        return True, None, None, None, "", None
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate  # the list drawn again, not a click
    chosen = _chosen(trigger)
    warehouse = data.get_warehouse()
    record = saisie.stored(chosen["source"], chosen["id"])
    if record is None or record["deleted"]:
        return True, None, None, None, "", None
    if not saisie.scope_check_for(user, warehouse)(record):
        access.refuse(user, f"suppression de {chosen['source']} n° {chosen['id']}",
                      message=records.DENIED)
    what = view.record_text(chosen["source"], record, _names(user, warehouse))
    return (False, f"Supprimer : {what} ?",
            "La saisie sera retirée des listes et des tableaux de bord ; elle restera dans "
            "l'historique, avec votre motif.", chosen, "", None)


@callback(Output(Ids.message, "children"), Output(Ids.listing, "children"),
          Output(Ids.ask, "hidden", allow_duplicate=True),
          Output(Ids.chosen, "data", allow_duplicate=True),
          Output(Ids.reason_error, "children", allow_duplicate=True),
          Input(Ids.confirm, "n_clicks"), State(REASON, "value"), State(Ids.chosen, "data"),
          prevent_initial_call=True,
          running=[(Output(Ids.confirm, "disabled"), True, False)])
def _delete(_clicks, reason, chosen):
    """« Confirmer la suppression »: the record deleted with its reason, if it is still as
    listed; the list again."""
    user = saisie.require_writer()
    if not isinstance(chosen, dict):
        raise PreventUpdate
    chosen = _chosen(chosen)
    warehouse = data.get_warehouse()
    record = saisie.stored(chosen["source"], chosen["id"]) or {}
    result = saisie.delete_form(chosen["source"], chosen["id"], chosen["version"], reason)
    if not result.ok and records.REASON in result.errors:
        return (dash.no_update, dash.no_update, False, dash.no_update,
                form_view.ERROR_PREFIX + result.errors[records.REASON])
    try:
        listing = _listing(user, warehouse)
        names = _names(user, warehouse)
    except READ_ERRORS as exc:
        return view.problem(failure(exc, PAGE)), dash.no_update, True, None, None
    if not result.ok:
        message = GONE if result.errors.get("*") == records.NOT_FOUND else \
            result.errors.get("*", records.STALE)
        return view.problem(message), listing, True, None, None
    what = view.record_text(chosen["source"], record, names)
    return (view.deleted(what, reason.strip(), get_settings().refresh_seconds), listing, True,
            None, None)


formulaire.register_result_focus(Ids.message, Ids.focus)
clientside_callback(
    """
    function (hidden) {
        if (!hidden) {
            window.setTimeout(function () {
                const title = document.getElementById(TITLE);
                if (title) { title.focus(); }
            }, 0);
        }
        return window.dash_clientside.no_update;
    }
    """.replace("TITLE", f'"{Ids.ask_title}"'),
    Output(Ids.focus, "data", allow_duplicate=True),
    Input(Ids.ask, "hidden"),
    prevent_initial_call=True,
)

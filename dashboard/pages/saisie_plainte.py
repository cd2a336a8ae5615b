"""Page « Plainte d'un élu » — a complaint taken from an élu at the town hall or elsewhere
(the fields of the ``complaints`` source), and below it the user's recent complaints, whose
status changes over time: each change is a new version of the record with its history (who,
when, before/after), checked against the version shown (``records.correct``).

Roles: brigades (their communes), commandants (their département) and administrators; préfets
and analysts read the page's message only, and their callbacks are refused (403, audited).
"""

from __future__ import annotations

from datetime import datetime

import dash
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.core import components, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from etl.roles import Capability
from etl.sources.complaints import COMPLAINTS

PATH = "/saisie/plainte"
dash.register_page(
    __name__,
    path=PATH,
    name="Plainte d'un élu",
    title="Plainte d'un élu — Présents pour les élus",
    description="Enregistrer la plainte d'un élu et suivre son statut.",
    order=8,
    nav=False,
    capability=Capability.ENTER_RECORDS,
)

FORM = "plainte"
#: the fields the form shows: all the source's, in its order, but the brigade (the session's)
NAMES = [n for n in view.shown_fields(COMPLAINTS) if n != "brigade_id"]
TITLE = "Plainte d'un élu"
PAGE = "saisie_plainte"
RECENT = 20
STATUSES = COMPLAINTS.field("statut").enum or ()


class Ids:
    submit = "plainte-enregistrer"
    result = "plainte-resultat"
    key = "plainte-cle"
    focus = "plainte-focus"
    recent = "plainte-liste"
    message = "plainte-statut-message"
    status = "plainte-statut"  # pattern: {"type", "index": record id, "version"}
    update = "plainte-statut-maj"


def layout(**_query) -> html.Div:
    user, refused = scaffold.gate(__name__, TITLE)
    head = [html.H1(TITLE, className="h3 mb-2"), view.subnav(PATH, dash.get_relative_path)]
    if refused is not None:
        return html.Div([*head, refused])
    choices, problems, recent = [], [], None
    if user is not None:
        try:
            warehouse = data.get_warehouse()
            communes = saisie.writable_communes(user, warehouse)
            choices = view.commune_choices(communes[communes["brigade_id"].notna()])
            recent = _recent(user, warehouse)
        except READ_ERRORS as exc:
            problems.append(failure(exc, PAGE))
    now = datetime.now().strftime("%Y-%m-%dT%H:%M")
    return html.Div([
        *head,
        html.P("Plainte pour une atteinte à un élu (menaces, outrages, violences…), prise en "
               "mairie, à la brigade ou ailleurs. Son identifiant est attribué à "
               "l'enregistrement.", className="text-body-secondary"),
        *[view.read_only(p) for p in problems],
        html.Div(id=Ids.result),
        html.Section([
            html.H2("Nouvelle plainte", id="plainte-formulaire-titre", className="h5"),
            *view.form_fields(FORM, COMPLAINTS, NAMES, {"code_commune": choices},
                              {"date_depot": now, "statut": "enregistree"}),
            html.Button("Enregistrer", id=Ids.submit, type="button",
                        className="btn btn-primary"),
        ], className="card card-body saisie-formulaire mb-3",
            **{"aria-labelledby": "plainte-formulaire-titre"}),
        html.Section([
            html.H2("Plaintes récentes et leur statut", id="plainte-liste-titre",
                    className="h5"),
            html.Div(id=Ids.message, **{"aria-live": "polite"}),
            html.Div(recent, id=Ids.recent, className="table-responsive"),
        ], **{"aria-labelledby": "plainte-liste-titre"}),
        dcc.Store(id=Ids.key, data=saisie.new_form_key()),
        dcc.Store(id=Ids.focus),
    ])


# --- the recent complaints -----------------------------------------------------------------------

def _when(at) -> str:
    """A store time (UTC) as Paris time."""
    return pd.Timestamp(at).tz_localize("UTC").tz_convert("Europe/Paris").strftime(
        "%d/%m/%Y %H:%M")


def _change(entry: dict) -> str:
    before, after = entry.get("before") or {}, entry.get("after") or {}
    if entry["action"] == "creation":
        return f"création (statut : {view.value_label(str(after.get('statut')))})"
    if entry["action"] == "suppression":
        return "suppression"
    changed = [f"{view.field_label(COMPLAINTS.field(k))} : {view.value_label(str(before.get(k)))}"
               f" → {view.value_label(str(v))}" for k, v in after.items()
               if before.get(k) != v and k in {f.name for f in COMPLAINTS.fields}]
    return "correction (" + ("; ".join(changed) or "sans changement") + ")"


def _history(record_id: int, version: int) -> html.Details:
    entries = saisie.history("complaints", record_id)
    return html.Details([
        html.Summary(f"Version {version}"),
        html.Ol([html.Li(f"{_when(e['at'])} — {e['login']} : {_change(e)}") for e in entries],
                className="small mb-0"),
    ])


def _recent(user, warehouse) -> html.Div:
    """The user's recent complaints (his communes), each with its status control."""
    frame = saisie.stored_records("complaints", user, warehouse, limit=RECENT)
    if frame.empty:
        return components.empty_state("Aucune plainte saisie pour vos communes.")
    names = saisie.writable_communes(user, warehouse).set_index("code")["nom"]
    options = [{"label": view.value_label(s), "value": s} for s in STATUSES]
    rows = []
    for r in frame.to_dict("records"):
        rid, version, ident = int(r["id"]), int(r["version"]), str(r["id_plainte"])
        status = {"type": Ids.status, "index": rid, "version": version}
        rows.append(html.Tr([
            html.Th(ident, scope="row"),
            html.Td(pd.Timestamp(r["date_faits"]).strftime("%d/%m/%Y")),
            html.Td(f"{names.get(r['code_commune'], r['code_commune'])}"),
            html.Td(view.value_label(str(r["infraction"]))),
            html.Td([html.Label(f"Statut de la plainte {ident}", htmlFor=view.dom_id(status),
                                className="visually-hidden"),
                     components.dropdown(id=status, options=options, value=r["statut"],
                                         clearable=False, searchable=False)],
                    style={"minWidth": "14rem"}),
            html.Td(html.Button("Enregistrer le statut", type="button",
                                id={"type": Ids.update, "index": rid, "version": version},
                                className="btn btn-sm btn-outline-primary",
                                **{"aria-label": f"Enregistrer le statut de la plainte {ident}"})),
            html.Td(_history(rid, version)),
        ]))
    header = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Plainte", "Date des faits", "Commune", "Infraction", "Statut", "Action",
        "Historique")]))
    caption = html.Caption(f"Les {len(rows)} plaintes les plus récentes de vos communes")
    return html.Table([caption, header, html.Tbody(rows)], className="table table-sm align-middle",
                      id="plainte-liste-donnees")


# --- callbacks -----------------------------------------------------------------------------------

@callback(Output(Ids.result, "children"),
          *[Output(view.error_id(FORM, n), "children") for n in NAMES],
          Output(Ids.key, "data"),
          Output(Ids.recent, "children", allow_duplicate=True),
          Input(Ids.submit, "n_clicks"),
          State(view.field_id(FORM, ALL), "value"), State(Ids.key, "data"),
          prevent_initial_call=True, running=[(Output(Ids.submit, "disabled"), True, False)])
def _submit(_clicks, _values, key):
    """Records the complaint (once per form display); its errors next to their inputs."""
    user = saisie.require_writer()
    entered = view.values_from(ctx.states_list[0])
    values = {n: entered.get(n) for n in NAMES}
    try:
        warehouse = data.get_warehouse()
        values["brigade_id"] = saisie.brigade_for(user, warehouse, values["code_commune"])
        result = saisie.submit_form("complaints", values, key)
        if not result.ok:
            return (view.error_summary(FORM, result.errors, COMPLAINTS, NAMES),
                    *view.field_errors(FORM, result.errors, NAMES), no_update, no_update)
        recent = _recent(user, warehouse)
    except READ_ERRORS as exc:
        return (view.read_only(failure(exc, PAGE)), *[None] * len(NAMES), no_update,
                no_update)
    what = "Plainte déjà enregistrée" if result.replayed else "Plainte enregistrée"
    return (view.confirmation(result.ident, result.record_id, what), *[None] * len(NAMES),
            saisie.new_form_key(), recent)


@callback(Output(Ids.message, "children"),
          Output(Ids.recent, "children", allow_duplicate=True),
          Input({"type": Ids.update, "index": ALL, "version": ALL}, "n_clicks"),
          State({"type": Ids.status, "index": ALL, "version": ALL}, "value"),
          prevent_initial_call=True)
def _change_status(clicks, _statuses):
    """A complaint's new status: a correction of the version shown (its history kept)."""
    user = saisie.require_writer()
    button = ctx.triggered_id
    if not isinstance(button, dict) or not any(isinstance(c, int) and c for c in clicks or []):
        raise PreventUpdate
    record_id, version = button.get("index"), button.get("version")
    status = next((s.get("value") for s in ctx.states_list[0]
                   if isinstance(s, dict) and s.get("id") == {
                       "type": Ids.status, "index": record_id, "version": version}), None)
    try:
        result = saisie.correct_form("complaints", record_id, {"statut": status}, version)
        recent = _recent(user, data.get_warehouse())
    except READ_ERRORS as exc:
        return view.read_only(failure(exc, PAGE)), no_update
    if not result.ok:
        reasons = "; ".join(result.errors.values())
        return (html.Div(f"Statut non enregistré : {reasons}", role="alert",
                         className="alert alert-danger"), recent)
    return (html.Div(f"Plainte {result.ident} : statut « {view.value_label(str(status))} » "
                     f"enregistré (version {result.version}).", role="status",
                     className="alert alert-success"), recent)


saisie.register_result_focus(Ids.result, Ids.focus)

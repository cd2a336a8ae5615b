"""Page « Plainte d'un élu » — a complaint taken from an élu at the town hall or elsewhere
(the fields of the ``complaints`` source), and below it the user's recent complaints, whose
status changes over time: each change is a new version of the record with its history (who,
when, before/after), checked against the version shown (``records.correct``). The rest is every
form page's (``_formulaire.FormPage``: roles, ids, submission).
"""

from __future__ import annotations

import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.core import components
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from etl import clock
from etl.sources.complaints import COMPLAINTS

SOURCE = COMPLAINTS.name
RECENT = 20
STATUSES = COMPLAINTS.field("statut").enum or ()


class Ids:
    recent = "plainte-liste"
    message = "plainte-statut-message"
    status = "plainte-statut"  # pattern: {"type", "index": record id, "version"}
    update = "plainte-statut-maj"


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
    entries = saisie.history(SOURCE, record_id)
    return html.Details([
        html.Summary(f"Version {version}"),
        html.Ol([html.Li(f"{_when(e['at'])} — {e['login']} : {_change(e)}") for e in entries],
                className="small mb-0"),
    ])


def _recent(user, warehouse) -> html.Div:
    """The user's recent complaints (his communes), each with its status control."""
    frame = saisie.stored_records(SOURCE, user, warehouse, limit=RECENT)
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
    caption = html.Caption(view.recent_caption(len(rows), "plainte", "plaintes", feminine=True,
                                               where=" de vos communes"))
    return html.Table([caption, header, html.Tbody(rows)], className="table table-sm align-middle",
                      id="plainte-liste-donnees")


def _sections(user, warehouse) -> list:
    recent = None if warehouse is None else _recent(user, warehouse)
    return [html.Section([
        html.H2("Plaintes récentes et leur statut", id=f"{Ids.recent}-titre", className="h5"),
        html.Div(id=Ids.message, **{"aria-live": "polite"}),
        html.Div(recent, id=Ids.recent, className="table-responsive"),
    ], **{"aria-labelledby": f"{Ids.recent}-titre"})]


PAGE = formulaire.register_page(
    __name__, "plainte", COMPLAINTS, path="/saisie/plainte", name="Plainte d'un élu", order=8,
    description="Enregistrer la plainte d'un élu et suivre son statut.",
    title="Plainte d'un élu", heading="Nouvelle plainte",
    intro="Plainte pour une atteinte à un élu (menaces, outrages, violences…), prise en mairie, "
          "à la brigade ou ailleurs. Son identifiant est attribué à l'enregistrement.",
    defaults=lambda _user: {"date_depot": clock.now().strftime("%Y-%m-%dT%H:%M"),
                            "statut": "enregistree"},
    sections=_sections, outputs=[(Ids.recent, "children")],
    after=lambda user, warehouse, _result: ([], (_recent(user, warehouse),)),
    said=formulaire.saying("Plainte enregistrée", "Plainte déjà enregistrée"))
layout = PAGE.layout


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
        result = saisie.correct_form(SOURCE, record_id, {"statut": status}, version)
        recent = _recent(user, data.get_warehouse())
    except READ_ERRORS as exc:
        return view.read_only(failure(exc, PAGE.page)), no_update
    if not result.ok:
        reasons = "; ".join(result.errors.values())
        return (html.Div(f"Statut non enregistré : {reasons}", role="alert",
                         className="alert alert-danger"), recent)
    return (html.Div(f"Plainte {result.ident} : statut « {view.value_label(str(status))} » "
                     f"enregistré (version {result.version}).", role="status",
                     className="alert alert-success"), recent)

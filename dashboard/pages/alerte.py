"""Page of one SMS alert (``/alertes/alerte?id=AL-…``): its exact text, encoding and parts,
recipients, area map and validation trail; for a commandant of its département who did not
write it, or an administrator, while it waits, « Valider l'envoi » (the exact text, recipients
count and parts stated before the button) and « Refuser » (with a reason); for its author,
« Annuler l'alerte ». Once validated, the delivery progress (sent, delivered, failed by reason,
pending) refreshes every 2 s without reloading until every message is final; the deliveries
(numbers shown only to the roles that send alerts) and the alert export as CSV.

Everything goes through ``etl.alerts.workflow``, which decides again (four eyes, audited); an
alert outside the user's scope is a 403 (audited), a malformed id a French 400.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import Forbidden

from dashboard.core import access, components, map_shapes, polling, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _alertes as rules
from dashboard.queries import alertes as queries
from dashboard.views import alertes as common
from dashboard.views import alertes_detail as view
from dashboard.views.alertes_nouvelle import area_figure
from dashboard.views.saisie import dom_id
from etl.alerts import workflow
from etl.alerts.labels import STATUT_LABELS

PATH = common.ALERT_PATH
dash.register_page(
    __name__, path=PATH, name="Alerte", title="Alerte SMS — Présents pour les élus",
    description="Une alerte SMS : texte exact, zone, validation, suivi de l'envoi et exports.",
    order=22, nav=False)
PAGE = "alerte"
REFRESH_MS = 2000
ACTION = "fiche-alerte-action"
REASON = "fiche-alerte-motif"
REASON_ID = {"type": REASON, "index": "motif"}
BAD_ID = "Adresse invalide : l'identifiant d'une alerte (AL-…) est attendu."
NOT_FOUND = ("Alerte introuvable : elle n'existe pas, ou n'a pas été rédigée dans le tableau "
             "de bord.")


class Ids:
    ident = "fiche-alerte-id"
    version = "fiche-alerte-version"  # changed by each action: the page reads the alert again
    shown_status = "fiche-alerte-statut-affiche"
    status = "fiche-alerte-statut-bloc"
    facts = "fiche-alerte-faits"
    trail = "fiche-alerte-journal"
    actions = "fiche-alerte-actions"
    result = "fiche-alerte-resultat"
    progress = "fiche-alerte-progression"
    deliveries = "fiche-alerte-envois"
    interval = "fiche-alerte-minuteur"
    export_messages = "fiche-alerte-export-messages"
    download_messages = "fiche-alerte-telechargement-messages"
    export_alert = "fiche-alerte-export-alerte"
    download_alert = "fiche-alerte-telechargement-alerte"
    map = "fiche-alerte-carte"


#: the page's 2-second refresh never extends the session's idle timer (core.polling)
polling.register(Ids.interval)


def _actions(user, row, warehouse) -> list:
    """The buttons ``user`` may use on ``row`` now (none once it left « à valider »)."""
    if user is None or row.get("statut") != common.TO_VALIDATE:
        return []
    out = []
    if rules.may_review(user, row):
        recipients = len(rules.recipients_now(warehouse, common.communes_list(row["communes"])))
        # nobody left to receive it (opted out since it was written): said, no « Valider »
        # (the workflow would refuse it, audited)
        out += [
            html.H3("Validation", className="h6 mt-3"), view.review_statement(row, recipients),
            html.Button("Valider l'envoi", id={"type": ACTION, "action": "valider"},
                        type="button", className="btn btn-primary mb-3") if recipients else None,
            html.Div([
                html.Label("Motif du refus (obligatoire pour refuser)", htmlFor=dom_id(REASON_ID),
                           className="form-label fw-semibold"),
                dbc.Textarea(id=REASON_ID, rows=2,
                             maxLength=workflow.MAX_REASON),
                html.Button("Refuser", id={"type": ACTION, "action": "refuser"}, type="button",
                            className="btn btn-outline-danger mt-2"),
            ]),
        ]
    if user.login == row.get("created_by"):
        out += [html.P("Vous êtes l'auteur de cette alerte : un autre commandant du "
                       "département doit la valider (principe des quatre yeux).",
                       className="small mt-3 mb-2"),
                html.Button("Annuler l'alerte", id={"type": ACTION, "action": "annuler"},
                            type="button", className="btn btn-outline-secondary")]
    return out


def _map(row, warehouse, names) -> html.Figure | None:
    codes = common.communes_list(row["communes"])
    frame = pd.DataFrame({"code": codes, "nom": [names.get(c, c) for c in codes]})
    if frame.empty:
        return None
    url = map_shapes.url_for("commune", "departement", row["departement"], warehouse)
    figure = area_figure(frame, codes, url, not str(row["departement"]).startswith("97"),
                         clickable=False)
    return html.Figure([
        dcc.Graph(id=Ids.map, figure=figure, config=scaffold.map_config(row["id_alerte"]),
                  className="map-graph"),
        html.Figcaption("Communes ciblées (en bleu) ; leur liste figure ci-dessus.",
                        className="small text-body-secondary"),
    ], className="mb-0")


def _body(user, row, warehouse) -> list:
    """The alert's sections; without an alert (none found, refused, or Dash's start-up
    check) the same ids, hidden and empty, for the callbacks."""
    found = row is not None
    ident = row["id_alerte"] if found else None
    names = queries.commune_names(warehouse, common.communes_list(row["communes"])) \
        if found else {}
    return [
        html.Section([html.H2("Message", id="fiche-alerte-message-titre", className="h5"),
                      view.message_block(row) if found else None,
                      html.Div(view.facts(row, names) if found else None, id=Ids.facts)],
                     className="card card-body mb-3", hidden=not found,
                     **{"aria-labelledby": "fiche-alerte-message-titre"}),
        html.Section([html.H2("Zone ciblée", id="fiche-alerte-zone-titre", className="h5"),
                      _map(row, warehouse, names)],
                     className="card card-body mb-3",
                     **{"aria-labelledby": "fiche-alerte-zone-titre"}) if found else None,
        html.Section([
            html.H2("Validation", id="fiche-alerte-validation-titre", className="h5"),
            html.P(view.status_text(row) if found else None, id=Ids.status,
                   className="fw-semibold"),
            html.Div(view.trail_table(workflow.trail(rules.engine(), ident)) if found else None,
                     id=Ids.trail, className="table-responsive"),
            html.Div(id=Ids.result, role="status"),
            html.Div(_actions(user, row, warehouse) if found else None, id=Ids.actions),
        ], className="card card-body mb-3", hidden=not found,
            **{"aria-labelledby": "fiche-alerte-validation-titre"}),
        html.Section([
            html.H2("Envoi", id="fiche-alerte-envoi-titre", className="h5"),
            html.Div(view.progress_block(workflow.progress(rules.engine(), ident))
                     if found else None, id=Ids.progress, **{"aria-live": "polite"}),
            html.Div([
                html.Button("Exporter les messages (CSV)", id=Ids.export_messages,
                            type="button", className="btn btn-sm btn-outline-primary me-2"),
                html.Button("Exporter l'alerte (CSV)", id=Ids.export_alert, type="button",
                            className="btn btn-sm btn-outline-primary"),
                dcc.Download(id=Ids.download_messages), dcc.Download(id=Ids.download_alert),
            ], className="d-flex justify-content-end my-2"),
            html.Div(id=Ids.deliveries, className="table-responsive"),
        ], className="card card-body mb-3", hidden=not found,
            **{"aria-labelledby": "fiche-alerte-envoi-titre"}),
    ]


def layout(id=None, **_query) -> html.Div:  # noqa: A002 - the address's parameter
    user = access.current_user()
    title, body, row, warehouse = "Alerte SMS", [], None, None
    if user is not None:
        try:
            ident = common.parse_alert_id(id)
            title = f"Alerte {ident}"
            row = rules.read_alert(user, ident)
            if row is None:
                body.append(components.empty_state(NOT_FOUND, tone="warning"))
            else:
                warehouse = data.get_warehouse()
        except ValueError:
            body.append(components.empty_state(BAD_ID, tone="warning"))
        except Forbidden as exc:  # audited by access.refuse
            body.append(scaffold.refusal(exc.description))
            row = None
        except READ_ERRORS as exc:
            body.append(components.empty_state(failure(exc, PAGE), tone="warning"))
    try:
        body += _body(user, row, warehouse)
    except READ_ERRORS as exc:
        row = None
        body += [components.empty_state(failure(exc, PAGE), tone="warning"),
                 *_body(user, None, None)]
    live = row is not None and row["statut"] in ("a_valider", "validee")
    return html.Div([
        html.H1(title, className="h3 mb-2"),
        common.subnav(PATH, dash.get_relative_path,
                      composer=rules.composes(user)),
        *body,
        dcc.Store(id=Ids.ident, data=None if row is None else row["id_alerte"]),
        dcc.Store(id=Ids.version, data=0),
        dcc.Store(id=Ids.shown_status, data=None if row is None else row["statut"]),
        dcc.Interval(id=Ids.interval, interval=REFRESH_MS, disabled=not live),
    ])


# --- callbacks ---------------------------------------------------------------------------------

def _checked(ident) -> tuple[access.User, dict]:
    """The user and the alert the browser names (400 when malformed, 403 audited when not
    the user's to read)."""
    user = access.require_user()
    row = rules.read_alert(user, common.parse_alert_id(ident))
    if row is None:
        raise PreventUpdate
    return user, row


@callback(Output(Ids.status, "children"), Output(Ids.trail, "children"),
          Output(Ids.progress, "children"), Output(Ids.deliveries, "children"),
          Output(Ids.interval, "disabled"), Output(Ids.actions, "children"),
          Output(Ids.shown_status, "data"), Output(Ids.facts, "children"),
          Input(Ids.interval, "n_intervals"), Input(Ids.version, "data"),
          State(Ids.ident, "data"), State(Ids.shown_status, "data"))
def _refresh(_n, _version, ident, shown_status):
    if ident is None:
        raise PreventUpdate
    user, row = _checked(ident)
    engine = rules.engine()
    progress = workflow.progress(engine, row["id_alerte"])
    try:
        warehouse = data.get_warehouse()
        names = queries.commune_names(warehouse, common.communes_list(row["communes"]))
        changed = row["statut"] != shown_status
        actions = _actions(user, row, warehouse) if changed else no_update
    except READ_ERRORS as exc:
        names, actions, changed = {}, components.empty_state(failure(exc, PAGE)), True
    frame = workflow.deliveries(engine, row["id_alerte"], rules.shows_numbers(user))
    deliveries = view.deliveries_table(frame, names) if len(frame) else None
    live = row["statut"] == "a_valider" or (row["statut"] == "validee" and not progress["done"])
    return (view.status_text(row), view.trail_table(workflow.trail(engine, row["id_alerte"])),
            view.progress_block(progress), deliveries, not live, actions,
            row["statut"] if changed else no_update,
            view.facts(row, names) if changed else no_update)


@callback(Output(Ids.result, "children"), Output(Ids.version, "data"),
          Input({"type": ACTION, "action": ALL}, "n_clicks"),
          State({"type": REASON, "index": ALL}, "value"), State(Ids.ident, "data"),
          State(Ids.version, "data"), prevent_initial_call=True)
def _act(clicks, reasons, ident, version):
    if not isinstance(clicks, list) or not any(clicks):
        raise PreventUpdate
    user, row = _checked(ident)
    action = ctx.triggered_id.get("action") if isinstance(ctx.triggered_id, dict) else None
    reason = reasons[0] if isinstance(reasons, list) and reasons else None
    if reason is not None and (not isinstance(reason, str) or len(reason) > 4000):
        raise ValueError("reason: a text expected")
    who = {"login": user.login, "address": access.client_address()}
    review = {**who, "role": user.role, "departement": user.departement}
    engine = rules.engine()
    try:
        if action == "valider":
            with data.get_warehouse().connection() as con:
                result = workflow.validate(engine, con, row["id_alerte"], **review,
                                           limits=rules.limits())
            done = (f"Envoi validé : {result.recipients} message(s) en file d'envoi."
                    if result.ok else None)
        elif action == "refuser":
            result = workflow.refuse(engine, row["id_alerte"], reason=reason or "", **review)
            done = "Alerte refusée." if result.ok else None
        elif action == "annuler":
            result = workflow.cancel(engine, row["id_alerte"], **who)
            done = "Alerte annulée." if result.ok else None
        else:
            raise ValueError("unknown action")
    except PermissionError as exc:  # audited by the workflow
        raise rules.forbidden(exc) from exc
    except READ_ERRORS as exc:
        return components.empty_state(failure(exc, PAGE), tone="warning"), no_update
    version = (version if isinstance(version, int) else 0) + 1
    if not result.ok:
        reason_text = "; ".join(result.errors.values())
        return html.Div(f"Action impossible : {reason_text}.", className="alert alert-danger",
                        id="fiche-alerte-erreur"), version
    if result.replayed:
        done = f"Déjà fait : {common.label(STATUT_LABELS, result.statut).lower()}."
    return html.Div(done, className="alert alert-success", id="fiche-alerte-ok"), version


def _export_messages(ident):
    user, row = _checked(ident)
    frame = workflow.deliveries(rules.engine(), row["id_alerte"],
                                 rules.shows_numbers(user))
    names = queries.commune_names(data.get_warehouse(), common.communes_list(row["communes"]))
    return (view.deliveries_frame(frame, names), view.EXPORT_DELIVERY_COLUMNS,
            view.export_name(row["id_alerte"], "messages"))


def _export_alert(ident):
    _user, row = _checked(ident)
    names = queries.commune_names(data.get_warehouse(), common.communes_list(row["communes"]))
    return (view.alert_export(row, names), view.ALERT_EXPORT_COLUMNS,
            view.export_name(row["id_alerte"], "alerte"))


scaffold.register_csv_export(PAGE, Ids.download_messages, Ids.export_messages,
                             State(Ids.ident, "data"), build=_export_messages)
scaffold.register_csv_export(f"{PAGE}-alerte", Ids.download_alert, Ids.export_alert,
                             State(Ids.ident, "data"), build=_export_alert)

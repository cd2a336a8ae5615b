"""Page « Alertes » — the SMS alerts to élus of the user's scope, read from the operational
store (``etl.alerts.workflow.list_alerts``): a brigade its own unit's, a commandant or a préfet
his département's, an administrator or an analyst the département chosen (or all). « À
valider » comes first for those who validate (commandants, administrators); each alert links to
its page; « Nouvelle alerte » for those who write them.

Below, the alerts sent to the élus of the territory whatever their origin — imported files or
the dashboard's, once published —, counted and listed by the one definition the overview counts
too (``dashboard.queries.alertes.SENT_ALERTS_SQL``): the two pages say the same number.
"""

from __future__ import annotations

import dash
from dash import Input, Output, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.core import access, components, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _alertes as rules
from dashboard.queries import alertes as queries
from dashboard.views import alertes as view
from etl.alerts import workflow
from etl.alerts.labels import SENT_LABEL
from etl.alerts.tables import STATUTS
from etl.roles import Capability

PATH = view.LIST_PATH
dash.register_page(
    __name__, path=PATH, name="Alertes", title="Alertes SMS — Présents pour les élus",
    description="Les alertes SMS aux élus : à valider, en cours d'envoi, envoyées ; rédiger une "
                "nouvelle alerte ; les contacts des élus.",
    order=20)
TITLE = "Alertes SMS aux élus"
PAGE = "alertes"
ALL_DEPARTEMENTS = "Tous les départements"


class Ids:
    view = "alertes-vue"
    departement = "alertes-departement"
    address = "alertes-adresse"
    status = "alertes-statut"
    count = "alertes-compte"
    table = "alertes-liste"
    sent = "alertes-envoyees"


def _bar(user, warehouse, dep) -> html.Div:
    boxes = []
    if user is None or user.works_nationally:
        options = [{"label": ALL_DEPARTEMENTS, "value": ""}, *rules.departement_options(
            warehouse)] if warehouse is not None else []
        boxes.append(html.Div([
            html.Label("Département", htmlFor=Ids.departement, className="form-label fw-semibold"),
            components.dropdown(id=Ids.departement, options=options, value=dep or "",
                                clearable=False, maxHeight=360),
            dcc.Location(id=Ids.address, refresh="callback-nav"),
        ], className="col-md-5"))
    boxes.append(html.Div([
        html.Label("Statut", htmlFor=Ids.status, className="form-label fw-semibold"),
        components.dropdown(id=Ids.status, options=view.status_options(STATUTS),
                            value=view.ALL, clearable=False),
    ], className="col-md-4"))
    if rules.composes(user):
        boxes.append(html.Div(dcc.Link("Nouvelle alerte", href=dash.get_relative_path(
            view.NEW_PATH), className="btn btn-primary", id="alertes-nouvelle"),
            className="col-md-3 ms-auto d-flex align-items-end justify-content-md-end"))
    return html.Div(boxes, className="row g-3 mb-3 filters", role="search",
                    **{"aria-label": "Filtres de la liste des alertes"})


def layout(departement=None, **_query) -> html.Div:
    user = access.current_user()
    problems, dep, warehouse, refused = [], None, None, None
    if user is not None:
        try:
            warehouse = data.get_warehouse()
            dep, refused, problem = rules.page_departement(user, warehouse, departement)
            problems += [problem] if problem else []
        except READ_ERRORS as exc:
            problems.append(failure(exc, PAGE))
    return html.Div([
        html.H1(TITLE, className="h3 mb-2"),
        view.subnav(PATH, dash.get_relative_path,
                    composer=rules.composes(user)),
        html.P("Les alertes rédigées dans le tableau de bord, les plus récentes d'abord : une "
               "alerte part après validation par un commandant du département, jamais par son "
               "auteur. Ouvrez une alerte pour la valider, suivre son envoi ou l'exporter. "
               "Plus bas, toutes les alertes envoyées aux élus, fichiers importés compris : "
               "celles que compte la vue d'ensemble.", className="text-body-secondary"),
        scaffold.refusal(refused) if refused else None,
        *[components.empty_state(p, tone="warning") for p in problems],
        _bar(user, warehouse, dep),
        html.H2("Alertes rédigées dans le tableau de bord", id="alertes-redigees-titre",
                className="h5"),
        html.P(id=Ids.count, role="status", className="small fw-semibold"),
        dcc.Loading(html.Div(id=Ids.table, className="table-responsive"), delay_show=1000),
        _sent(user, warehouse, dep),
        dcc.Store(id=Ids.view, data={"departement": dep}),
    ])


def _sent(user, warehouse, dep) -> html.Section | None:
    """The alerts sent to the élus of the territory, whatever their origin, as the overview
    counts them (none drawn for Dash's start-up check or without a warehouse)."""
    if user is None or warehouse is None:
        return None
    brigade = (user.brigade_id or "-") if user.by_brigade else None
    departement = None if brigade else dep
    try:
        counts, alerts = queries.sent_alerts(warehouse, departement, brigade)
    except READ_ERRORS as exc:
        body = [components.empty_state(failure(exc, PAGE), tone="warning")]
    else:
        body = [html.P(view.sent_text(counts, view.territory_words(departement, brigade)),
                       id=f"{Ids.sent}-compte", className="small fw-semibold")]
        if len(alerts):
            body.append(html.Div(view.sent_table(alerts, counts["alertes"],
                                                 dash.get_relative_path),
                                 className="table-responsive"))
    return html.Section([html.H2(SENT_LABEL, id=f"{Ids.sent}-titre", className="h5 mt-4"),
                         *body], id=Ids.sent, **{"aria-labelledby": f"{Ids.sent}-titre"})


@callback(Output(Ids.count, "children"), Output(Ids.table, "children"),
          Input(Ids.view, "data"), Input(Ids.status, "value"))
def _list(shown, statut):
    user = access.current_user()
    if user is None or not isinstance(shown, dict):
        raise PreventUpdate
    try:
        warehouse = data.get_warehouse()
        dep = rules.departement_for(user, warehouse, shown.get("departement"))
        statut = view.parse_status(statut, STATUTS)
        alerts = workflow.list_alerts(rules.engine(), statut=statut,
                                      **rules.list_filters(user, dep))
    except READ_ERRORS as exc:
        return "", components.empty_state(failure(exc, PAGE), tone="warning")
    reviewer = user.can(Capability.VALIDATE_ALERTS)
    alerts = view.ordered(alerts, reviewer)
    waiting = int((alerts["statut"] == view.TO_VALIDATE).sum()) if len(alerts) else 0
    text = view.count_text(len(alerts), waiting, reviewer)
    if alerts.empty:
        return text, components.empty_state("Aucune alerte rédigée dans le tableau de bord ne "
                                            "correspond à ce choix (statut, département).")
    return text, view.list_table(alerts, dash.get_relative_path)


clientside_callback(
    """
    function (dep) {
        const params = new URLSearchParams(window.location.search);
        if (dep) { params.set("departement", dep); } else { params.delete("departement"); }
        const search = params.toString() ? "?" + params.toString() : "";
        return search === window.location.search ? window.dash_clientside.no_update : search;
    }
    """,
    Output(Ids.address, "search"), Input(Ids.departement, "value"), prevent_initial_call=True)

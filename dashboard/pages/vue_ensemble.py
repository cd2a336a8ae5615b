"""Page « Vue d'ensemble »: the key figures of a territory over a period, with their changes."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

import dash
import dash_bootstrap_components as dbc
import duckdb
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.core import access, categories, components, filters, page_state, reference
from dashboard.core import warehouse as data
from dashboard.core.access import default_scope
from dashboard.core.export import to_csv_bytes
from dashboard.core.formatting import format_number
from dashboard.core.scope import Period, ScopeError
from dashboard.queries import vue_ensemble as queries
from dashboard.views import vue_ensemble as overview
from dashboard.views.organisation import READ_ERROR, UNAVAILABLE

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/vue-ensemble",
    name="Vue d'ensemble",
    title="Vue d'ensemble — Présents pour les élus",
    description="Chiffres clés d'un territoire sur une période et leurs évolutions.",
    order=1,
)

NO_DATA = ("Aucune donnée pour ce territoire sur cette période ni sur les périodes de "
           "comparaison.")
GROUPS = (*categories.MAIN, categories.ENSEMBLE)


class Ids:
    filters = filters.FilterIds("vue-ensemble")
    heading = "vue-ensemble-titre"
    periods = "vue-ensemble-periodes"
    kpis = "vue-ensemble-indicateurs"
    table = "vue-ensemble-tableau"
    export = "vue-ensemble-export"
    download = "vue-ensemble-telechargement"
    shown = "vue-ensemble-vue"  # the territory and period of this rendering, from the address


def layout(perimetre: str | list | None = None, debut: str | list | None = None,
           fin: str | list | None = None, **_query) -> html.Div:
    """The page for ``?perimetre=departement:35&debut=2025-11&fin=2026-10`` (all optional)."""
    perimetre, debut, fin = (page_state.first(v) for v in (perimetre, debut, fin))
    user = access.current_user()
    # Only Dash's start-up check renders a page without a signed-in user (the guard in
    # dashboard.core.auth stops every other request): it needs the ids, not the data.
    problem = None
    bar = None
    shown: dict[str, str | None] = {}
    if user is not None:
        # what the callbacks get if the warehouse cannot be read: a territory the user may see
        shown = {"perimetre": default_scope(user).to_param()}
        try:
            warehouse = data.get_warehouse()
            state = page_state.resolve(user, warehouse, perimetre, debut, fin)
            options = page_state.options(user, warehouse, state.scope)
            bar = filters.filter_bar(Ids.filters, options, state.scope, state.period,
                                     min(state.first_month, state.period.start),
                                     max(state.last_month, state.period.end))
            shown = {"perimetre": state.scope.to_param(), **state.period.params()}
            problem = " ".join(state.messages) or None
        except data.WarehouseUnavailable:
            problem = UNAVAILABLE
        except duckdb.Error:
            log.exception("overview page: reading the warehouse failed")
            problem = READ_ERROR
    if bar is None:  # start-up check, or no warehouse: the same ids, without choices
        bar = page_state.hidden_filter_bar(Ids.filters)
    return html.Div(
        [
            html.H1("Vue d'ensemble", className="h3 mb-1"),
            html.P("Chiffres clés du territoire sur la période choisie, comparés à la période "
                   "précédente et à la même période un an plus tôt. Chaque intitulé mène au "
                   "détail (tendances ou carte).", className="text-body-secondary mb-3"),
            components.empty_state(problem, tone="warning") if problem else None,
            bar,
            html.Section(
                [
                    html.H2(id=Ids.heading, className="h5"),
                    html.P(id=Ids.periods, className="small text-body-secondary"),
                    dcc.Loading(html.Div(id=Ids.kpis), delay_show=300),
                ],
                className="mb-4",
                **{"aria-labelledby": Ids.heading},
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.H2("Tableau des indicateurs", className="h5 mb-0",
                                    id=f"{Ids.table}-titre"),
                            dbc.Button("Exporter le tableau (CSV)", id=Ids.export,
                                       color="primary", outline=True, size="sm"),
                            dcc.Download(id=Ids.download),
                        ],
                        className="d-flex justify-content-between align-items-center mb-2",
                    ),
                    dcc.Loading(html.Div(id=Ids.table, className="table-responsive figures-text"),
                                delay_show=300),
                ],
                **{"aria-labelledby": f"{Ids.table}-titre"},
            ),
            dcc.Store(id=Ids.shown, data=shown),
        ]
    )


filters.register_address_sync(Ids.filters)


def _period(state: dict, warehouse) -> Period:
    """The period the browser sent (checked: a forged value raises ScopeError)."""
    debut, fin = state.get("debut"), state.get("fin")
    if debut and fin:
        return Period.parse(debut, fin, date.today())  # both given: the default is unused
    _first, last, _has = page_state.data_months(warehouse)
    return Period.parse(debut, fin, last)


def compute(state: dict):
    """Check the territory, then read and shape the figures: (scope, label, period, figures,
    scope figures). Raises 403 for a territory the user may not see."""
    _user, scope = access.check_scope(state.get("perimetre"))
    warehouse = data.get_warehouse()
    period = _period(state, warehouse)
    figures = queries.overview_figures(warehouse, scope, overview.periods_of(period), GROUPS)
    scope_figures = queries.scope_figures(warehouse, scope)
    return scope, reference.scope_label(warehouse, scope), period, figures, scope_figures


def _failure(exc: Exception) -> str:
    if isinstance(exc, data.WarehouseUnavailable):
        return UNAVAILABLE
    if isinstance(exc, ScopeError):
        return str(exc)
    log.exception("overview page: reading the warehouse failed")
    return READ_ERROR


def _section(title: str, kpis, index: int) -> html.Section:
    heading = f"{Ids.kpis}-rubrique-{index}"
    return html.Section([html.H3(title, id=heading, className="h6 mt-3 mb-2"),
                         components.kpi_cards(kpis)], **{"aria-labelledby": heading})


def _relative(kpis):
    """Links of the cards relative to the app's path prefix."""
    return [replace(k, href=dash.get_relative_path(k.href)) if k.href else k for k in kpis]


@callback(
    Output(Ids.heading, "children"),
    Output(Ids.periods, "children"),
    Output(Ids.kpis, "children"),
    Output(Ids.table, "children"),
    Input(Ids.shown, "data"),
)
def _update(state):
    state = state or {}
    try:
        scope, label, period, figures, scope_figures = compute(state)
    except (data.WarehouseUnavailable, duckdb.Error, ScopeError) as exc:
        message = components.empty_state(_failure(exc))
        return "Chiffres clés", "", message, None
    periods = overview.periods_of(period)
    note = (f"Période : {period.label()}. Comparée à la période précédente "
            f"({periods[overview.PREVIOUS].label()}) et à la même période un an plus tôt "
            f"({periods[overview.YEAR_BEFORE].label()}). Population du territoire : "
            f"{format_number(scope_figures.get('population'))} habitants.")
    heading = f"Chiffres clés — {label}"
    if not overview.has_data(figures):
        return heading, note, components.empty_state(NO_DATA), None
    sections = overview.overview_kpis(figures, scope_figures, scope, period)
    cards = [_section(title, _relative(kpis), i)
             for i, (title, kpis) in enumerate(sections.items()) if kpis]
    frame, columns = overview.display_frame(figures)
    table = components.data_table(
        frame, columns, f"Indicateurs — {label}, {period.label()}",
        table_id=f"{Ids.table}-donnees")
    return heading, note, cards, table


@callback(
    Output(Ids.download, "data"),
    Input(Ids.export, "n_clicks"),
    State(Ids.shown, "data"),
    prevent_initial_call=True,
)
def _export_csv(_clicks, state):
    state = state or {}
    try:
        scope, _label, period, figures, _scope_figures = compute(state)
    except (data.WarehouseUnavailable, duckdb.Error, ScopeError) as exc:
        _failure(exc)
        return no_update
    frame, columns = overview.export_frame(figures)
    name = f"vue_ensemble_{scope.to_param().replace(':', '_')}_{period.params()['debut']}_" \
           f"{period.params()['fin']}.csv"
    return dcc.send_bytes(to_csv_bytes(frame, columns), name, type="text/csv")

"""Page « Vue d'ensemble »: the key figures of a territory over a period, with their changes."""

from __future__ import annotations

from dataclasses import replace

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard.core import categories, components, filters, reference, scaffold
from dashboard.core.formatting import format_number
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.queries import vue_ensemble as queries
from dashboard.views import vue_ensemble as overview

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


def layout(perimetre=None, debut=None, fin=None, **_query) -> html.Div:
    """The page for ``?perimetre=departement:35&debut=2025-11&fin=2026-10`` (all optional)."""
    context = scaffold.page_context("vue-ensemble", perimetre, debut, fin)
    return scaffold.page(
        context, "Vue d'ensemble",
        "Chiffres clés du territoire sur la période choisie, comparés à la même période un an "
        "plus tôt et, pour une autre durée que 12 mois, aux mois qui la précèdent. Chaque "
        "intitulé mène au détail (tendances ou carte).",
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
        dcc.Store(id=Ids.shown, data=context.shown()),
        bar=context.filter_bar(Ids.filters),
    )


filters.register_address_sync(Ids.filters)


def compute(state: dict):
    """Check the territory, then read and shape the figures: (scope, label, period, figures,
    scope figures). Raises 403 for a territory the user may not see."""
    _user, scope, period, warehouse = scaffold.checked_view(state)
    figures = queries.overview_figures(warehouse, scope, overview.periods_of(period), GROUPS)
    scope_figures = queries.scope_figures(warehouse, scope)
    return scope, reference.scope_label(warehouse, scope), period, figures, scope_figures


def _section(title: str, kpis, index: int) -> html.Section:
    heading = f"{Ids.kpis}-rubrique-{index}"
    return html.Section([html.H3(title, id=heading, className="h6 mt-3 mb-2"),
                         components.kpi_cards(kpis)], **{"aria-labelledby": heading})


def _relative(kpis):
    """Links of the cards relative to the app's path prefix."""
    return [replace(k, href=dash.get_relative_path(k.href)) if k.href else k for k in kpis]


@callback(
    Output(Ids.heading, "children"), Output(Ids.periods, "children"), Output(Ids.kpis, "children"),
    Output(Ids.table, "children"),
    Input(Ids.shown, "data"),
)
def _update(state):
    state = state or {}
    try:
        scope, label, period, figures, scope_figures = compute(state)
    except READ_ERRORS as exc:
        message = components.empty_state(failure(exc, "vue-ensemble"))
        return "Chiffres clés", "", message, None
    note = (f"{overview.comparison_note(period)} Population du territoire : "
            f"{format_number(scope_figures.get('population'))} habitants.")
    heading = f"Chiffres clés — {label}"
    if not overview.has_data(figures):
        return heading, note, components.empty_state(NO_DATA), None
    sections = overview.overview_kpis(figures, scope_figures, scope, period)
    cards = [_section(title, _relative(kpis), i)
             for i, (title, kpis) in enumerate(sections.items()) if kpis]
    frame, columns = overview.display_frame(figures, period)
    table = components.data_table(
        frame, columns, f"Indicateurs — {label}, {period.label()}",
        table_id=f"{Ids.table}-donnees")
    return heading, note, cards, table


def _export(state):
    scope, _label, period, figures, _scope_figures = compute(state if isinstance(state, dict)
                                                             else {})
    frame, columns = overview.export_frame(figures, period)
    dates = period.params()
    return (frame, columns, f"vue_ensemble_{scope.to_param().replace(':', '_')}_"
                            f"{dates['debut']}_{dates['fin']}.csv")


scaffold.register_csv_export("vue-ensemble", Ids.download, Ids.export,
                             State(Ids.shown, "data"), build=_export)

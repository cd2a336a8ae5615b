"""Page « Plan de la brigade »: the week's visits per commune and time slot that the commander
applied for a brigade, to read and print. A brigade account sees its own brigade's plan (its
address can name no other: the scope rule refuses it); the other roles choose any brigade in
their reach, or read the list of a territory's brigades with their last plan."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from dashboard.core import access, components, filters, reference, scaffold
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.queries import plan_brigade as queries
from dashboard.views import plan_brigade as view

dash.register_page(
    __name__,
    path="/plan-brigade",
    name="Plan de la brigade",
    title="Plan de la brigade — Présents pour les élus",
    description="Les visites de la semaine par commune et créneau, du dernier plan appliqué "
                "pour une brigade.",
    order=6.5,
)


class Ids:
    filters = filters.FilterIds("plan-brigade")
    content = "plan-brigade-contenu"
    print = "plan-brigade-imprimer"
    shown = "plan-brigade-vue"


def layout(perimetre=None, debut=None, fin=None, **_query) -> html.Div:
    """The plan of ``?perimetre=brigade:B35047``; for a département or a compagnie, its
    brigades and their last plan."""
    context = scaffold.page_context("plan-brigade", perimetre, debut, fin)
    return scaffold.page(
        context, "Plan de la brigade",
        "Les visites de la semaine par commune et par créneau, telles que le commandant de "
        "groupement les a appliquées pour la brigade (dernier plan appliqué). La page s'imprime "
        "sans menu ni filtres.",
        html.Div(dbc.Button("Imprimer le plan", id=Ids.print, color="primary", outline=True,
                            size="sm"), className="mb-3 no-print"),
        dcc.Loading(html.Div(id=Ids.content, className="plan-brigade"), delay_show=300),
        dcc.Store(id=Ids.shown, data=context.shown()),
        bar=context.filter_bar(Ids.filters),
    )


filters.register_address_sync(Ids.filters)
clientside_callback(ClientsideFunction("fiche", "print"), Output(Ids.print, "title"),
                    Input(Ids.print, "n_clicks"), prevent_initial_call=True)


@callback(Output(Ids.content, "children"), Input(Ids.shown, "data"))
def _update(state):
    try:
        _user, scope, _period, warehouse = scaffold.checked_view(state)
        engine = access.ops_engine()
        if scope.level in ("france", "region"):
            return components.empty_state(view.NATIONAL)
        if scope.level != "brigade":
            brigades = queries.brigades(warehouse, scope)
            decisions = queries.decisions(engine, brigades["brigade_id"].tolist())
            return view.brigades_view(brigades, decisions, dash.get_relative_path(""),
                                      reference.scope_label(warehouse, scope))
        brigades = queries.brigades(warehouse, scope)
        name = brigades["nom"].iloc[0] if len(brigades) else scope.code
        return view.plan_view(name, queries.last_plan(engine, scope.code),
                              queries.communes(warehouse, scope.code),
                              bool(reference.synthetic_sources(warehouse)))
    except READ_ERRORS as exc:
        return components.empty_state(failure(exc, "plan-brigade"), tone="warning")

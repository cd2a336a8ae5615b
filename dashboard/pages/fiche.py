"""Page « Fiche préfet »: one territory's brief before meeting its mayors, to print (the page's
print style drops the menu and the filters) or to download as a PDF drawn on the server."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)

from dashboard.core import access, components, filters, scaffold
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _fiche
from dashboard.views import fiche as view
from dashboard.views import fiche_layout
from etl import clock

dash.register_page(
    __name__,
    path="/fiche",
    name="Fiche préfet",
    title="Fiche préfet — Présents pour les élus",
    description="La fiche d'un territoire à imprimer ou à télécharger en PDF avant une "
                "rencontre avec ses maires.",
    order=3.5,
)


class Ids:
    filters = filters.FilterIds("fiche")
    content = "fiche-contenu"
    pdf = "fiche-pdf"
    pdf_download = "fiche-pdf-telechargement"
    print = "fiche-imprimer"
    export = "fiche-communes-export"
    download = "fiche-communes-telechargement"
    shown = "fiche-vue"


def layout(perimetre=None, debut=None, fin=None, **_query) -> html.Div:
    """The brief of ``?perimetre=departement:35`` (or a compagnie, a brigade, a commune) over
    the last 12 months with facts, or ``debut``/``fin``."""
    context = scaffold.page_context("fiche", perimetre, debut, fin)
    tools = html.Div([
        dbc.Button("Télécharger la fiche (PDF)", id=Ids.pdf, color="primary", size="sm"),
        dcc.Download(id=Ids.pdf_download),
        dbc.Button("Imprimer la page", id=Ids.print, color="primary", outline=True, size="sm"),
        dbc.Button("Exporter le tableau des communes (CSV)", id=Ids.export, color="primary",
                   outline=True, size="sm"),
        dcc.Download(id=Ids.download),
    ], className="d-flex flex-wrap gap-2 mb-3 no-print")
    return scaffold.page(
        context, view.TITLE,
        "Les chiffres du territoire sur douze mois comparés à l'année précédente, la carte de "
        "ses communes, le suivi des attentes des élus, les alertes, formations et immersions, "
        "et chaque indicateur commune par commune : à imprimer (sans menu ni filtres) ou à "
        "télécharger en PDF.",
        tools,
        dcc.Loading(html.Div(id=Ids.content, className="fiche"), delay_show=300),
        dcc.Store(id=Ids.shown, data=context.shown()),
        bar=context.filter_bar(Ids.filters),
    )


filters.register_address_sync(Ids.filters)
clientside_callback(ClientsideFunction("fiche", "print"), Output(Ids.print, "title"),
                    Input(Ids.print, "n_clicks"), prevent_initial_call=True)


def make(state):
    """The brief of the territory the browser sent (403 and audited when out of scope)."""
    _user, scope, period, warehouse = scaffold.checked_view(state)
    return _fiche.make(warehouse, access.ops_engine(), scope, period, clock.now())


@callback(Output(Ids.content, "children"), Input(Ids.shown, "data"))
def _update(state):
    try:
        brief, shapes = make(state)
        pictures = _fiche.pictures(brief, shapes)
    except READ_ERRORS as exc:
        return components.empty_state(failure(exc, "fiche"), tone="warning")
    return fiche_layout.body(brief, pictures.trend, pictures.map, dash.get_relative_path(""))


@callback(Output(Ids.pdf_download, "data"), Input(Ids.pdf, "n_clicks"), State(Ids.shown, "data"),
          prevent_initial_call=True,
          # a few seconds for a département: the button says it is working meanwhile
          running=[(Output(Ids.pdf, "disabled"), True, False),
                   (Output(Ids.pdf, "children"), "Préparation du PDF…",
                    "Télécharger la fiche (PDF)")])
def _pdf(_clicks, state):
    try:
        _user, scope, period, warehouse = scaffold.checked_view(state)
        data, name = _fiche.pdf(warehouse, access.ops_engine(), scope, period, clock.now())
    except READ_ERRORS as exc:
        failure(exc, "fiche")
        return no_update
    return dcc.send_bytes(data, name, type="application/pdf")


def _export(state):
    brief, _shapes = make(state)
    return brief.communes_csv, view.CSV_COLUMNS, f"{brief.file_stem}_communes.csv"


scaffold.register_csv_export("fiche", Ids.download, Ids.export, State(Ids.shown, "data"),
                             build=_export)

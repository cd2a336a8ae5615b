"""Page « Organisation territoriale »: summary figures, choropleth map and its table of figures."""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
import duckdb
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import components, data, indicators
from dashboard import organisation_view as view
from dashboard.export import to_csv_bytes
from dashboard.figures import empty_figure

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/",
    name="Organisation territoriale",
    title="Organisation territoriale — Présents pour les élus",
    description="Communes, population, brigades et compagnies de la gendarmerie, par territoire.",
    order=0,
)


class Ids:
    departement = "organisation-departement"
    indicator = "organisation-indicateur"
    scope = "organisation-perimetre"
    kpis = "organisation-kpis"
    map_title = "organisation-carte-titre"
    map = "organisation-carte"
    map_caption = "organisation-carte-legende"
    table = "organisation-tableau"
    export = "organisation-export"
    download = "organisation-telechargement"
    url_sync = "organisation-url"


def _graph_config() -> dict:
    return {
        # the geo map's base topojson, served locally: without it Plotly asks cdn.plot.ly
        "topojsonURL": dash.get_asset_url("vendor/topojson/"),
        "displaylogo": False,
        "scrollZoom": False,  # scrolling the page must not zoom the map
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {"filename": "organisation_territoriale"},
    }


def _indicator_options(level: str) -> list[dict[str, str]]:
    return [{"label": i.label, "value": i.key} for i in indicators.indicators_for(level)]


def _overseas_links(departements) -> html.Nav | None:
    overseas = departements[departements["outre_mer"]]
    if overseas.empty:
        return None
    links = []
    for code, nom in zip(overseas["code"], overseas["nom"], strict=True):
        if links:
            links.append(" · ")
        links.append(dcc.Link(nom, href=dash.get_relative_path(f"/?departement={code}")))
    return html.Nav(["Outre-mer, hors de la carte nationale : ", *links],
                    className="small overseas-links", **{"aria-label": "Départements d'outre-mer"})


def layout(departement: str | list | None = None, **_query) -> html.Div:
    """The page; ``?departement=35`` opens that département's brigades (shareable link)."""
    if isinstance(departement, list):  # ?departement=35&departement=56: keep the first
        departement = departement[0] if departement else None
    options: list[dict[str, str]] = []
    overseas = None
    problem = None
    try:
        departements = data.get_warehouse().departements()
        options = view.departement_options(departements)
        overseas = _overseas_links(departements)
    except data.WarehouseUnavailable:
        problem = view.UNAVAILABLE
    except duckdb.Error:
        log.exception("organisation page: reading the départements failed")
        problem = view.READ_ERROR
    codes = {o["value"] for o in options}
    selected = departement if departement in codes else None
    if departement and selected is None and problem is None:
        problem = view.unknown_departement(str(departement)) + " La carte nationale est affichée."
    level = indicators.DEPARTEMENT if selected else indicators.NATIONAL
    dropdown_labels = {"search": "Rechercher", "clear_search": "Effacer la recherche",
                       "clear_selection": "Revenir à la France entière",
                       "no_options_found": "Aucun département trouvé"}
    return html.Div(
        [
            html.H1("Organisation territoriale", className="h3 mb-1"),
            html.P(
                "Communes, population et unités de la gendarmerie départementale. La zone "
                "gendarmerie (ZGN) est la part du territoire où la gendarmerie est compétente.",
                className="text-body-secondary mb-3",
            ),
            components.empty_state(problem, tone="warning") if problem else None,
            html.Section(
                [
                    html.H2(id=Ids.scope, className="h5"),
                    dcc.Loading(html.Div(id=Ids.kpis), delay_show=300),
                ],
                className="mb-4",
                **{"aria-labelledby": Ids.scope},
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Label("Département", htmlFor=Ids.departement,
                                               className="form-label fw-semibold"),
                                    dcc.Dropdown(
                                        id=Ids.departement,
                                        options=options,
                                        value=selected,
                                        placeholder="France entière (carte des départements)",
                                        clearable=True,
                                        labels=dropdown_labels,
                                        maxHeight=320,
                                    ),
                                    overseas,
                                ],
                                className="col-md-5",
                            ),
                            html.Fieldset(
                                [
                                    html.Legend("Indicateur",
                                                className="form-label fw-semibold fs-6"),
                                    dbc.RadioItems(id=Ids.indicator,
                                                   options=_indicator_options(level),
                                                   value=indicators.indicators_for(level)[0].key),
                                ],
                                className="col-md-7",
                            ),
                        ],
                        className="row g-3 mb-3 filters",
                    ),
                    html.H2(id=Ids.map_title, className="h5"),
                    html.Figure(
                        [
                            dcc.Loading(
                                dcc.Graph(id=Ids.map, config=_graph_config(),
                                          figure=empty_figure("Chargement de la carte…"),
                                          className="map-graph"),
                                delay_show=300,
                            ),
                            html.Figcaption(id=Ids.map_caption,
                                            className="small text-body-secondary"),
                        ],
                        className="mb-3",
                    ),
                    html.Div(
                        [
                            dbc.Button("Exporter le tableau (CSV)", id=Ids.export,
                                       color="primary", outline=True, size="sm"),
                            dcc.Download(id=Ids.download),
                        ],
                        className="d-flex justify-content-end mb-2",
                    ),
                    dcc.Loading(html.Div(id=Ids.table, className="table-responsive"),
                                delay_show=300),
                ],
                **{"aria-labelledby": Ids.map_title},
            ),
            dcc.Store(id=Ids.url_sync),
        ]
    )


def _failure(exc: Exception) -> str:
    if isinstance(exc, data.WarehouseUnavailable):
        return view.UNAVAILABLE
    log.exception("organisation page: reading the warehouse failed")
    return view.READ_ERROR


@callback(
    Output(Ids.indicator, "options"),
    Output(Ids.indicator, "value"),
    Input(Ids.departement, "value"),
    State(Ids.indicator, "value"),
)
def _indicator_choices(departement, current):
    level = indicators.DEPARTEMENT if departement else indicators.NATIONAL
    chosen = indicators.pick_indicator(level, current)
    return _indicator_options(level), chosen.key


@callback(
    Output(Ids.scope, "children"),
    Output(Ids.kpis, "children"),
    Input(Ids.departement, "value"),
)
def _update_kpis(departement):
    try:
        heading, kpis = view.scope_kpis(data.get_warehouse(), departement)
    except (data.WarehouseUnavailable, duckdb.Error) as exc:
        return "Chiffres clés", components.empty_state(_failure(exc))
    if not kpis:
        return heading, components.empty_state("Aucun chiffre pour ce périmètre.")
    return f"Chiffres clés — {heading}", components.kpi_cards(kpis)


@callback(
    Output(Ids.map_title, "children"),
    Output(Ids.map, "figure"),
    Output(Ids.map_caption, "children"),
    Output(Ids.table, "children"),
    Input(Ids.departement, "value"),
    Input(Ids.indicator, "value"),
)
def _update_map(departement, indicator_key):
    try:
        shown = view.map_view(data.get_warehouse(), departement, indicator_key)
    except (data.WarehouseUnavailable, duckdb.Error) as exc:
        message = _failure(exc)
        return "Carte", empty_figure(message), "", components.empty_state(message)
    if shown.message:
        return (shown.title or "Carte", shown.figure(), "",
                components.empty_state(shown.message))
    table = components.data_table(shown.frame, shown.columns, shown.caption,
                                  decimals=shown.decimals, table_id=f"{Ids.table}-donnees")
    return shown.title, shown.figure(), shown.figure_caption, table


@callback(
    Output(Ids.download, "data"),
    Input(Ids.export, "n_clicks"),
    State(Ids.departement, "value"),
    State(Ids.indicator, "value"),
    prevent_initial_call=True,
)
def _export_csv(_clicks, departement, indicator_key):
    try:
        shown = view.map_view(data.get_warehouse(), departement, indicator_key)
    except (data.WarehouseUnavailable, duckdb.Error) as exc:
        _failure(exc)
        return no_update
    if shown.message:
        return no_update
    payload = to_csv_bytes(shown.frame, shown.columns)
    return dcc.send_bytes(payload, shown.export_filename(), type="text/csv")


@callback(
    Output(Ids.departement, "value"),
    Input(Ids.map, "clickData"),
    State(Ids.departement, "value"),
    prevent_initial_call=True,
)
def _drill_down(click, departement):
    """A click on a département of the national map opens its brigades."""
    if departement or not click or not click.get("points"):
        return no_update
    return click["points"][0].get("location") or no_update


# Keeps ?departement= in the address bar so that the view can be shared as a link; pushState
# (not a Dash Location) so that the page is not rebuilt, and Back returns to the previous view.
clientside_callback(
    """
    function (departement) {
        const url = new URL(window.location.href);
        const wanted = departement || null;
        if (url.searchParams.get("departement") === wanted) {
            return window.dash_clientside.no_update;
        }
        if (wanted) {
            url.searchParams.set("departement", wanted);
        } else {
            url.searchParams.delete("departement");
        }
        window.history.pushState({}, "", url.toString());
        return window.dash_clientside.no_update;
    }
    """,
    Output(Ids.url_sync, "data"),
    Input(Ids.departement, "value"),
)

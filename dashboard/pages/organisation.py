"""Page « Organisation territoriale »: summary figures, choropleth map and its table of figures."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard.core import access, components, map_shapes, page_state, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.queries import organisation as queries
from dashboard.views import organisation as view
from dashboard.views import organisation_indicators as indicators
from dashboard.views.charts import empty_figure
from etl.roles import Capability

dash.register_page(
    __name__,
    path="/",
    name="Organisation territoriale",
    title="Organisation territoriale — Présents pour les élus",
    description="Communes, population, brigades et compagnies de la gendarmerie, par territoire.",
    order=0,
    # whole départements at least: out of a brigade's menu (its layout says where its figures are)
    reach=scaffold.WHOLE_DEPARTEMENTS,
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
    shown = "organisation-vue"  # what this rendering of the page shows, set from the address
    address = "organisation-adresse"


def _indicator_options(level: str) -> list[dict[str, str]]:
    return [{"label": i.label, "value": i.key} for i in indicators.indicators_for(level)]


#: where a brigade's work is, offered instead of its département's organisation:
#: (label, address, capability needed)
BRIGADE_LINKS = (("Mes saisies du mois", "/saisie/mes-saisies", Capability.ENTER_RECORDS),
                 ("Nouvelle saisie (DCAS, plainte, formation…)", "/saisie/dcas",
                  Capability.ENTER_RECORDS),
                 ("Suivi des attentes DCAS", "/suivi-dcas", Capability.FOLLOW_DCAS))


def _brigade_only(user) -> html.Div:
    """The brigade role sees its brigade and its communes, not its département's organisation
    (``access.check_departement`` refuses it): the page leads to its own pages instead, its
    profile first (where a brigade lands after signing in)."""
    links = [("Ouvrir la fiche de votre brigade (chiffres, communes, saisies publiées)",
              access.home_path(user))] + [(label, path) for label, path, needs in BRIGADE_LINKS
                                          if user.can(needs)]
    return html.Div([
        html.H1("Organisation territoriale", className="h3 mb-1"),
        html.P("L'organisation du département se consulte à l'échelon du groupement ; votre "
               "brigade a ses propres pages :", className="text-body-secondary"),
        html.Ul([html.Li(dcc.Link(label, href=dash.get_relative_path(path)))
                 for label, path in links], id="organisation-brigade-liens"),
        dcc.Store(id=Ids.shown, data=None),
    ])


def layout(departement: str | list | None = None, indicateur: str | list | None = None,
           **_query) -> html.Div:
    """The page for ``?departement=35&indicateur=effectif`` (both optional): the address is the
    page's whole state, so that a view can be shared as a link and Back returns to the last one.
    """
    departement, indicateur = page_state.first(departement), page_state.first(indicateur)
    # Only Dash's start-up check renders a page without a signed-in user (the guard in
    # dashboard.core.auth stops every other request): it needs the ids, not the data.
    user = access.current_user()
    validating = user is None
    if validating:
        user = access.User("validation", "analyste")
    elif user.by_brigade:
        return _brigade_only(user)
    options: list[dict[str, str]] = []
    overseas = None
    problem = refused = None
    try:
        if not validating:
            departements = data.get_warehouse().departements()
            options = view.departement_options(departements)
            overseas = scaffold.overseas_links(departements, lambda code: f"/?departement={code}",
                                               "Outre-mer, hors de la carte nationale : ")
    except READ_ERRORS as exc:
        problem = failure(exc, "organisation")
    if not user.national:  # a département-scoped role sees its own département only
        options = [o for o in options if o["value"] == user.departement]
        overseas = None
        if departement and departement != user.departement and problem is None:
            refused = page_state.NOT_YOURS
            scaffold.audit_refusal(f"departement:{departement}")
        departement = user.departement
    codes = {o["value"] for o in options}
    selected = departement if departement in codes else None
    if departement and selected is None and problem is None:
        problem = view.unknown_departement(str(departement)) + (
            " La carte nationale est affichée." if user.national else "")
    level = indicators.DEPARTEMENT if selected else indicators.NATIONAL
    indicator = indicators.pick_indicator(level, indicateur)
    if validating:
        map_title, figure, map_caption, table = "Carte", empty_figure(""), "", None
    elif not user.may_see_departement(selected):  # a scoped role whose département is missing
        map_title, figure, map_caption, table = ("Carte", empty_figure(problem or ""), "",
                                                 None)
    else:
        map_title, figure, map_caption, table = _map_outputs(selected, indicator.key)
    dropdown_labels = {"clear_selection": "Revenir à la France entière",
                       "no_options_found": "Aucun département trouvé"}
    return html.Div(
        [
            html.H1("Organisation territoriale", className="h3 mb-1"),
            html.P(
                "Communes, population et unités de la gendarmerie départementale. La zone "
                "gendarmerie (ZGN) est la part du territoire où la gendarmerie est compétente.",
                className="text-body-secondary mb-3",
            ),
            scaffold.refusal(refused) if refused else None,
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
                                    components.dropdown(
                                        id=Ids.departement,
                                        options=options,
                                        value=selected,
                                        placeholder="France entière (carte des départements)",
                                        clearable=user.national,
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
                                                   value=indicator.key),
                                ],
                                className="col-md-7",
                            ),
                        ],
                        className="row g-3 mb-3 filters",
                    ),
                    html.H2(map_title, id=Ids.map_title, className="h5"),
                    html.Figure(
                        [
                            dcc.Graph(id=Ids.map, figure=figure, className="map-graph",
                                      config=scaffold.map_config("organisation_territoriale")),
                            html.Figcaption(map_caption, id=Ids.map_caption,
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
                    html.Div(table, id=Ids.table, className="table-responsive"),
                ],
                **{"aria-labelledby": Ids.map_title},
            ),
            dcc.Store(id=Ids.shown, data={"departement": selected,
                                           "indicateur": indicator.key}),
            # "callback-nav": a new address re-renders the page through Dash's page router
            dcc.Location(id=Ids.address, refresh="callback-nav"),
        ]
    )


@callback(
    Output(Ids.scope, "children"),
    Output(Ids.kpis, "children"),
    Input(Ids.shown, "data"),
)
def _update_kpis(state):
    if not isinstance(state, dict):  # a brigade role's page: nothing to show
        return "Chiffres clés", None
    departement = state.get("departement")
    access.check_departement(departement)
    try:
        frames = queries.scope_frames(data.get_warehouse(), departement)
        heading, kpis = view.scope_kpis(frames.departements, frames.summary, frames.modelled,
                                        departement)
    except READ_ERRORS as exc:
        return "Chiffres clés", components.empty_state(failure(exc, "organisation"))
    if not kpis:
        return heading, components.empty_state("Aucun chiffre pour ce périmètre.")
    return f"Chiffres clés — {heading}", components.kpi_cards(kpis)


def _map_outputs(departement: str | None, indicateur: str | None):
    """The map's title, figure, caption and table of figures, drawn with the page: a new
    département or indicator is a new address, which renders the page again."""
    try:
        shown = view.map_view(queries.map_frames(data.get_warehouse(), departement),
                              departement, indicateur)
    except READ_ERRORS as exc:
        message = failure(exc, "organisation")
        return "Carte", empty_figure(message), "", components.empty_state(message)
    if shown.message:
        return (shown.title or "Carte", shown.figure(), "",
                components.empty_state(shown.message))
    table = components.data_table(shown.frame, shown.columns, shown.caption,
                                  decimals=shown.decimals, table_id=f"{Ids.table}-donnees")
    figure = shown.figure(map_shapes.url_for(*shown.shapes_layer, data.get_warehouse()))
    return shown.title, figure, shown.figure_caption, table


def _export(state):
    state = state if isinstance(state, dict) else {}
    departement = state.get("departement")
    access.check_departement(departement)
    shown = view.map_view(queries.map_frames(data.get_warehouse(), departement), departement,
                          state.get("indicateur"))
    return None if shown.message else (shown.frame, shown.columns, shown.export_filename())


scaffold.register_csv_export("organisation", Ids.download, Ids.export,
                             State(Ids.shown, "data"), build=_export)


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
    target = click["points"][0].get("location")
    if not target or not access.require_user().may_see_departement(target):
        return no_update
    return target


# A choice only changes the address; Dash's page router then renders the page for it. So a
# shared link, Back and Forward and the choices all go through `layout`, and each change builds
# the map once. A new département drops the indicator: each level has its own.
clientside_callback(
    """
    function (departement, indicateur) {
        const triggered = window.dash_clientside.callback_context.triggered || [];
        const newDepartement = triggered.some(
            (t) => t.prop_id.startsWith("organisation-departement."));
        const params = new URLSearchParams();
        if (departement) {
            params.set("departement", departement);
        }
        if (indicateur && !newDepartement) {
            params.set("indicateur", indicateur);
        }
        const search = params.toString() ? "?" + params.toString() : "";
        if (search === window.location.search) {
            return window.dash_clientside.no_update;
        }
        return search;
    }
    """,
    Output(Ids.address, "search"),
    Input(Ids.departement, "value"),
    Input(Ids.indicator, "value"),
    prevent_initial_call=True,
)

"""Page « Carte »: one indicator on a choropleth of communes, brigades or départements, with its
table of figures, ranks, CSV export and drill-down to the units' profiles.

The address holds the whole view (``perimetre``, ``debut``, ``fin``, ``maille``, ``indicateur``
and the indicator's settings). A new territory, period or map unit goes through Dash's page
router (the layout is rendered again for the new address); a new indicator or setting only
recolours the drawn map (a ``Patch``: no geometry travels) and rewrites the address in place
(browser-side callbacks in ``assets/carte.js``).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import dash
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
)

from dashboard.core import access, components, map_shapes, page_state, report, scaffold
from dashboard.core.cache import Lru
from dashboard.core.filters import FilterIds, register_address_sync
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.core.scope import Period, Scope
from dashboard.core.warehouse import Warehouse
from dashboard.pages import _carte_communes as national_communes
from dashboard.queries import carte as queries
from dashboard.views import carte as carte_view
from dashboard.views import map_indicators as indicators
from dashboard.views.carte import MapResult
from dashboard.views.charts import empty_figure
from dashboard.views.map_indicators import (
    ANNEE,
    CATEGORIE,
    COMPARAISON,
    CONTROLS,
    SSMSI,
    TAUX,
    THEME,
    Choices,
)
from dashboard.views.vue_ensemble import PREVIOUS, YEAR_BEFORE, comparisons
from etl import clock
from etl.sources.dcas import THEMES

dash.register_page(
    __name__,
    path="/carte",
    name="Carte",
    title="Carte — Présents pour les élus",
    description="Indicateurs par commune, brigade ou département sur une carte, avec leur "
                "tableau et leur rang.",
    order=2,
)

#: rows of the on-page table by default (by rank); the CSV export always has every unit
TABLE_ROWS = 50
CATALOGUE = {"uses": {i.key: list(i.controls) for i in indicators.INDICATORS},
             "controls": list(CONTROLS)}


class Ids:
    filters = FilterIds("carte")
    maille = "carte-maille"
    indicator = "carte-indicateur"
    controls = {c: f"carte-{c}" for c in CONTROLS}
    control_boxes = {c: f"carte-bloc-{c}" for c in CONTROLS}
    view = "carte-vue"  # territory, map unit and period of this rendering (from the address)
    drawn = "carte-dessin"  # the geometry the map shows, so that a new indicator only patches
    ready = "carte-dessinee"  # the same, once the browser has drawn it: then the table comes
    title = "carte-titre"
    info = "carte-info"
    map = "carte-carte"
    legend = "carte-legende-gris"
    caption = "carte-legende"
    table = "carte-tableau"
    rows = "carte-lignes"
    export = "carte-export"
    download = "carte-telechargement"
    silent_address = "carte-adresse-reglages"  # rewrites the address without re-rendering
    navigation = "carte-navigation"  # drill-down
    overseas = "carte-outre-mer"
    catalogue = "carte-catalogue"  # which settings each indicator uses, for the browser



def _select(control: str, options: list[dict], value, label: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=Ids.controls[control], className="form-label fw-semibold"),
            components.dropdown(id=Ids.controls[control], options=options, value=value,
                                clearable=False),
        ],
        id=Ids.control_boxes[control], className="col-md-3",
    )


def comparison_options(period: Period) -> dict[str, str]:
    """The comparisons offered for ``period`` (value → label): the overview's
    (:func:`dashboard.views.vue_ensemble.comparisons`), so that a 12-month period, whose
    previous period is the same months a year earlier, offers it once."""
    keys = {YEAR_BEFORE: "annee", PREVIOUS: "precedente"}
    return {keys[c.key]: f"{c.column} ({c.period.label()})" for c in comparisons(period)}


def _rate_box(choices: Choices) -> html.Div:
    """Smoothed or raw rate, one click apart (radio buttons)."""
    return html.Div(
        components.radio_group(Ids.controls[TAUX], [{"label": v, "value": k}
                                                    for k, v in indicators.RATE_MODES.items()],
                               choices.taux, "Taux affiché", label_class_name="small"),
        id=Ids.control_boxes[TAUX], className="col-md-6")


def _controls(indicator, choices: Choices, ssmsi_offered, period: Period) -> html.Div:
    ssmsi_names = sorted(set(ssmsi_offered["indicateur"])) if ssmsi_offered is not None else []
    years = sorted({int(y) for y in ssmsi_offered.loc[
        ssmsi_offered["indicateur"] == choices.ssmsi, "annee"]}, reverse=True) \
        if ssmsi_offered is not None else []
    if not ssmsi_names:
        ssmsi_names = [choices.ssmsi]
    boxes = [
        html.Div(
            [
                html.Label("Indicateur", htmlFor=Ids.indicator, className="form-label fw-semibold"),
                components.dropdown(id=Ids.indicator, options=indicators.indicator_options(),
                                    value=indicator.key, clearable=False, maxHeight=420),
            ],
            className="col-md-6",
        ),
        _select(CATEGORIE, [{"label": v, "value": k}
                            for k, v in indicators.CATEGORY_LABELS.items()],
                choices.categorie, "Catégorie de faits"),
        _select(COMPARAISON, [{"label": v, "value": k}
                              for k, v in comparison_options(period).items()],
                choices.comparaison, "Comparer avec"),
        _select(THEME, [{"label": indicators.theme_label(t), "value": t} for t in THEMES],
                choices.theme, "Thème des attentes"),
        _select(SSMSI, [{"label": n, "value": n} for n in ssmsi_names], choices.ssmsi,
                "Indicateur SSMSI"),
        _select(ANNEE, [{"label": str(y), "value": y} for y in years], choices.annee, "Année"),
        _rate_box(choices),
    ]
    for box, control in zip(boxes[1:], CONTROLS, strict=True):
        if control not in indicator.controls:
            box.style = {"display": "none"}
    return html.Div(boxes, className="row g-3 mb-2 filters")


def _maille_control(scope: Scope, maille: str) -> html.Fieldset:
    return components.radio_group(
        Ids.maille, [{"label": indicators.MAILLE_LABELS[m], "value": m}
                     for m in indicators.mailles_for(scope)], maille, "Maille")


def _rows_control() -> html.Fieldset:
    return components.radio_group(
        Ids.rows, [{"label": f"les {TABLE_ROWS} premières", "value": str(TABLE_ROWS)},
                   {"label": "toutes", "value": "toutes"}], str(TABLE_ROWS),
        "Lignes du tableau :", class_name="d-flex align-items-center",
        legend_class_name="small d-inline me-2 float-none w-auto mb-0", label_class_name="small")


def layout(perimetre=None, debut=None, fin=None, maille=None, indicateur=None, categorie=None,
           comparaison=None, theme=None, ssmsi=None, annee=None, taux=None,
           **_query) -> html.Div:
    """The map for the address's territory, period, unit and indicator (all optional)."""
    context = scaffold.page_context("carte", perimetre, debut, fin)
    first = page_state.first
    indicator = indicators.pick_indicator(first(indicateur))
    scope = context.state.scope if context.ready else (
        access.default_scope(context.user) if context.user else Scope())
    maille = indicators.pick_maille(scope, first(maille))
    offered = queries.ssmsi_choices(context.warehouse) if context.ready else None
    choices = Choices.parse(first(categorie), first(comparaison), first(theme), first(ssmsi),
                            first(annee), offered, taux=first(taux))
    period = context.state.period if context.ready else None
    if period is not None and choices.comparaison not in comparison_options(period):
        # a 12-month period: « période précédente » is the year before, offered once
        choices = replace(choices, comparaison="annee")
    view = context.shown(maille=maille)
    settings = [indicator.key, choices.categorie, choices.comparaison, choices.theme,
                choices.ssmsi, choices.annee, choices.taux]
    # the map comes with the page (one request less, and plotly.js draws it at once instead
    # of a placeholder first); the callback below redraws it for a new indicator
    figure, title, info, legend, caption, drawn = _map_outputs(view, settings) \
        if context.user is not None else \
        (empty_figure("Chargement de la carte…"), None, None, None, None, None)
    overseas = scaffold.overseas_links(
        context.warehouse.departements(), lambda code: "/carte?" + urlencode(
            {"perimetre": f"departement:{code}", "maille": maille} | context.state.period.params()),
        "Outre-mer : ", Ids.overseas) if context.ready and context.user.national else None
    return scaffold.page(
        context, "Carte",
        "Un indicateur par commune, brigade ou département. Cliquez sur une unité pour "
        "l'ouvrir ; le tableau sous la carte donne les mêmes chiffres.",
        html.Div([html.Div(_maille_control(scope, maille), className="col-md-6"),
                  html.Div(overseas, className="col-md-6")], className="row g-3 mb-2"),
        _controls(indicator, choices, offered, period or Period.parse(None, None, clock.today())),
        html.Section([
            html.H2(title, id=Ids.title, className="h5 mt-2"),
            html.Div(info, id=Ids.info),
            html.Figure([
                dcc.Loading(dcc.Graph(id=Ids.map, config=scaffold.map_config("carte"),
                                      figure=figure, className="map-graph"), delay_show=300),
                html.Div(legend, id=Ids.legend),
                html.Figcaption(caption, id=Ids.caption, className="small text-body-secondary"),
            ], className="mb-2"),
            html.Div([_rows_control(), report.export_button(Ids.export, Ids.download,
                                                            "Exporter le tableau (CSV)")],
                     className="d-flex justify-content-between align-items-center"),
            dcc.Loading(html.Div(id=Ids.table), delay_show=300),
        ], **{"aria-labelledby": Ids.title}),
        dcc.Store(id=Ids.view, data=view),
        dcc.Store(id=Ids.drawn, data=drawn),
        dcc.Store(id=Ids.ready),
        dcc.Store(id=Ids.catalogue, data=CATALOGUE),
        dcc.Location(id=Ids.silent_address, refresh=False),
        dcc.Location(id=Ids.navigation, refresh="callback-nav"),
        bar=context.filter_bar(Ids.filters),
    )


register_address_sync(Ids.filters, extra=((Ids.maille, "value", "maille"),))


# --- the map -----------------------------------------------------------------------------------

_CACHE_SIZE = 16
_cache: Lru[MapResult] = Lru(_CACHE_SIZE)


def _map(view, indicateur, categorie=None, comparaison=None, theme=None, ssmsi=None,
         annee=None, taux=None) -> tuple[MapResult, Period, Warehouse]:
    """The map the browser asks for, once per warehouse file: the map, its table and its
    export are three requests for the same figures. The territory is checked every time
    (403 when forged); the settings are checked against what is offered."""
    view = view if isinstance(view, dict) else {}
    _user, scope, period, warehouse = scaffold.checked_view(view, fallback=True)
    maille = indicators.pick_maille(scope, view.get("maille"))
    indicator = indicators.pick_indicator(indicateur)
    offered = queries.ssmsi_choices(warehouse) if indicator.source == "ssmsi" else None
    choices = Choices.parse(categorie, comparaison, theme, ssmsi, annee, offered, taux=taux)
    key = (warehouse.version, scope, maille, period, indicator.key, choices)

    def compute() -> MapResult:
        read = queries.map_frames(
            warehouse, scope, maille, period, indicator.source,
            reference=choices.reference(period), category=choices.fact_category,
            theme=choices.theme, ssmsi=choices.ssmsi, annee=choices.annee)
        return carte_view.map_result(indicator, choices, period, scope, maille, read.label,
                                     read.departement, read.units, read.frames)

    return _cache.get_or_compute(key, compute), period, warehouse


@callback(
    Output(Ids.map, "figure"), Output(Ids.title, "children"), Output(Ids.info, "children"),
    Output(Ids.legend, "children"), Output(Ids.caption, "children"), Output(Ids.drawn, "data"),
    Input(Ids.view, "data"),
    Input(Ids.indicator, "value"),
    *[Input(Ids.controls[c], "value") for c in CONTROLS],
    State(Ids.drawn, "data"),
    prevent_initial_call=True,  # the page's layout comes with its map
)
def _update_map(view, indicateur, categorie, comparaison, theme, ssmsi, annee, taux, drawn):
    recolour = ctx.triggered_id not in (None, Ids.view)
    return _map_outputs(view, [indicateur, categorie, comparaison, theme, ssmsi, annee, taux],
                        drawn if recolour else None)


def _map_outputs(view, settings: list, drawn: dict | None = None) -> tuple:
    """The map's figure, title, information, grey legend, caption and drawn geometry. Given
    the geometry already ``drawn`` in the browser, a map of the same shapes is a Patch that
    only recolours them."""
    try:
        shown, period, warehouse = _map(view, *settings)
    except READ_ERRORS as exc:
        message = failure(exc, "carte")
        return empty_figure(message), "Carte", components.empty_state(message), None, "", None
    if shown.message or shown.geometry is None:
        message = shown.message or carte_view.NO_UNIT
        return (empty_figure(message), shown.title, components.empty_state(message), None, "",
                None)
    g = shown.geometry
    url = map_shapes.url_for(g.couche, g.niveau, g.zone, warehouse)
    # a new indicator on the map already drawn: recolour it, the shapes stay in the browser
    recolour = isinstance(drawn, dict) and drawn.get("url") == url
    if national_communes.applies(shown):  # every commune of France: WebGL points, not shapes
        figure, caption = national_communes.outputs(shown, warehouse, url, recolour)
    else:
        figure = carte_view.map_patch(shown, url) if recolour else \
            carte_view.map_figure(shown, url)
        caption = carte_view.caption(shown)
    info = components.empty_state(shown.info, tone="info") if shown.info else None
    # what is drawn, for the table (which follows the map: the map is drawn first)
    drawn = {"url": url, "vue": view, "reglages": settings, "label": shown.label}
    # the SSMSI figures are yearly: their year is in the title, not the period
    title = shown.title if shown.indicator.source == "ssmsi" else \
        f"{shown.title} — {period.label()}"
    return (figure, title, info,
            report.grey_legend(carte_view.legend_items(shown)), caption, drawn)


@callback(
    Output(Ids.table, "children"),
    Input(Ids.ready, "data"),
    Input(Ids.rows, "value"),
)
def _update_table(drawn, rows):
    if not isinstance(drawn, dict) or not isinstance(drawn.get("reglages"), list) \
            or len(drawn["reglages"]) != 1 + len(CONTROLS):
        return None
    try:
        shown, period, _warehouse = _map(drawn.get("vue"), *drawn["reglages"])
    except READ_ERRORS as exc:
        return components.empty_state(failure(exc, "carte"))
    if shown.message:
        return None
    return carte_view.table(shown, period, dash.get_relative_path("/"), f"{Ids.table}-donnees",
                            TABLE_ROWS if rows != "toutes" else len(shown.frame) + 1)


def _export(view, indicateur, categorie, comparaison, theme, ssmsi, annee, taux):
    shown, _period, _warehouse = _map(view, indicateur, categorie, comparaison, theme, ssmsi,
                                      annee, taux)
    return None if shown.message else (shown.export_frame(), shown.columns(),
                                       shown.export_filename())


scaffold.register_csv_export("carte", Ids.download, Ids.export, State(Ids.view, "data"),
                             State(Ids.indicator, "value"),
                             *[State(Ids.controls[c], "value") for c in CONTROLS], build=_export)


# --- in the browser (assets/carte.js) ---------------------------------------------------------

clientside_callback(
    ClientsideFunction("carte", "controls"),
    *[Output(Ids.control_boxes[c], "style") for c in CONTROLS],
    Input(Ids.indicator, "value"),
    State(Ids.catalogue, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("carte", "address"),
    Output(Ids.silent_address, "search"),
    Input(Ids.indicator, "value"),
    *[Input(Ids.controls[c], "value") for c in CONTROLS],
    State(Ids.catalogue, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("carte", "ready"),
    Output(Ids.ready, "data"),
    Input(Ids.drawn, "data"),
)
clientside_callback(
    ClientsideFunction("carte", "open"),
    Output(Ids.navigation, "href"),
    Input(Ids.map, "clickData"),
    State(Ids.view, "data"),
    prevent_initial_call=True,
)

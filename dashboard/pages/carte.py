"""Page « Carte »: one indicator on a choropleth of communes, brigades or départements, with its
table of figures, ranks, CSV export and drill-down to the units' profiles.

The address holds the whole view (``perimetre``, ``debut``, ``fin``, ``maille``, ``indicateur``
and the indicator's settings). A new territory, period or map unit goes through Dash's page
router (the layout is rendered again for the new address); a new indicator or setting only
recolours the drawn map (a ``Patch``: no geometry travels) and rewrites the address in place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from urllib.parse import urlencode

import dash
import duckdb
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from werkzeug.exceptions import Forbidden

from dashboard.core import access, components, map_shapes, report
from dashboard.core import warehouse as data
from dashboard.core.access import default_scope
from dashboard.core.export import to_csv_bytes
from dashboard.core.filters import FilterIds, filter_bar, register_address_sync, scope_options
from dashboard.core.scope import Period, Scope, ScopeError
from dashboard.queries import carte as queries
from dashboard.views import carte as carte_view
from dashboard.views.carte import (
    ANNEE,
    CATEGORIE,
    COMPARAISON,
    CONTROLS,
    SSMSI,
    THEME,
    Choices,
    MapResult,
)
from dashboard.views.figures import empty_figure
from dashboard.views.organisation import READ_ERROR, UNAVAILABLE
from etl.sources.dcas import THEMES

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/carte",
    name="Carte",
    title="Carte — Présents pour les élus",
    description="Indicateurs par commune, brigade ou département sur une carte, avec leur "
                "tableau et leur rang.",
    order=2,
)


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


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _graph_config() -> dict:
    return {
        "topojsonURL": dash.get_asset_url("vendor/topojson/"),
        "displaylogo": False,
        "locale": "fr",  # registered in our plotly.js build (dashboard/assets_src)
        "scrollZoom": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {"filename": "carte"},
    }


def _last_months(warehouse) -> tuple[dt.date, dt.date]:
    """First and last month of data; without data, the three years up to last month."""
    first, last = queries.data_months(warehouse)
    if last is None:
        today = dt.date.today().replace(day=1)
        last = (today - dt.timedelta(days=1)).replace(day=1)
        first = last.replace(year=last.year - 3)
    return first, last


def _select(control: str, options: list[dict], value, label: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=Ids.controls[control], className="form-label fw-semibold"),
            components.dropdown(id=Ids.controls[control], options=options, value=value,
                                clearable=False),
        ],
        id=Ids.control_boxes[control], className="col-md-3",
    )


def _controls(indicator, choices: Choices, ssmsi_offered) -> html.Div:
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
                components.dropdown(id=Ids.indicator, options=carte_view.indicator_options(),
                                    value=indicator.key, clearable=False, maxHeight=420),
            ],
            className="col-md-6",
        ),
        _select(CATEGORIE, [{"label": v, "value": k}
                            for k, v in carte_view.CATEGORY_LABELS.items()],
                choices.categorie, "Catégorie de faits"),
        _select(COMPARAISON, [{"label": v, "value": k}
                              for k, v in carte_view.COMPARISONS.items()],
                choices.comparaison, "Comparer avec"),
        _select(THEME, [{"label": carte_view.theme_label(t), "value": t} for t in THEMES],
                choices.theme, "Thème des attentes"),
        _select(SSMSI, [{"label": n, "value": n} for n in ssmsi_names], choices.ssmsi,
                "Indicateur SSMSI"),
        _select(ANNEE, [{"label": str(y), "value": y} for y in years], choices.annee, "Année"),
    ]
    for box, control in zip(boxes[1:], CONTROLS, strict=True):
        if control not in indicator.controls:
            box.style = {"display": "none"}
    return html.Div(boxes, className="row g-3 mb-2 filters")


def _overseas_links(departements, period: Period, maille: str) -> html.Nav | None:
    overseas = departements[departements["outre_mer"]]
    if overseas.empty:
        return None
    links: list = []
    for code, nom in zip(overseas["code"], overseas["nom"], strict=True):
        if links:
            links.append(" · ")
        query = urlencode({"perimetre": f"departement:{code}", "maille": maille} | period.params())
        links.append(dcc.Link(nom, href=dash.get_relative_path(f"/carte?{query}")))
    return html.Nav(["Outre-mer : ", *links], id=Ids.overseas, className="small overseas-links",
                    **{"aria-label": "Départements d'outre-mer"})


def layout(perimetre=None, debut=None, fin=None, maille=None, indicateur=None, categorie=None,
           comparaison=None, theme=None, ssmsi=None, annee=None, **_query) -> html.Div:
    """The map for the address's territory, period, unit and indicator (all optional)."""
    perimetre, debut, fin, maille = map(_first, (perimetre, debut, fin, maille))
    indicator = carte_view.pick_indicator(_first(indicateur))
    user = access.current_user()
    problems: list[str] = []
    options: list[dict] = []
    overseas = None
    ssmsi_offered = None
    last = dt.date.today().replace(day=1)
    first = last.replace(year=last.year - 3)
    if user is None:
        # Only Dash's start-up check renders a page without a signed-in user (the guard in
        # dashboard.core.auth stops every other request): it needs the ids, not the data.
        scope = Scope()
    else:
        scope = default_scope(user)
        try:
            warehouse = data.get_warehouse()
            first, last = _last_months(warehouse)
            if perimetre:
                try:
                    _user, scope = access.check_scope(str(perimetre))
                except Forbidden:
                    problems.append("Ce territoire est inconnu ou n'est pas dans votre "
                                    "périmètre : voici le vôtre.")
            departement = queries.scope_departement(warehouse, scope) \
                or user.default_departement()
            departements = warehouse.departements()
            brigades = warehouse.brigades(departement or "")
            options = scope_options(user, departements,
                                    queries.compagnies(warehouse, departement), brigades)
            if scope.to_param() not in {o["value"] for o in options}:
                options.append({"label": queries.scope_label(warehouse, scope),
                                "value": scope.to_param()})
            ssmsi_offered = queries.ssmsi_choices(warehouse)
            if user.national:
                overseas = departements
        except data.WarehouseUnavailable:
            problems.append(UNAVAILABLE)
        except duckdb.Error:
            log.exception("carte page: reading the warehouse failed")
            problems.append(READ_ERROR)
    try:
        period = Period.parse(debut, fin, last)
    except ScopeError as exc:
        problems.append(f"{exc} La période par défaut est affichée.")
        period = Period.parse(None, None, last)
    maille = carte_view.pick_maille(scope, maille)
    choices = Choices.parse(_first(categorie), _first(comparaison), _first(theme),
                            _first(ssmsi), _first(annee), ssmsi_offered)
    view = {"perimetre": scope.to_param(), "maille": maille, **period.params()}
    settings = [indicator.key, choices.categorie, choices.comparaison, choices.theme,
                choices.ssmsi, choices.annee]
    # the map comes with the page (one request less, and plotly.js draws it at once instead
    # of a placeholder first); the callback below redraws it for a new indicator
    shown = _map_outputs(view, settings) if user is not None else \
        (empty_figure("Chargement de la carte…"), None, None, None, None, None)
    figure, title, info, legend, caption, drawn = shown
    mailles = [{"label": carte_view.MAILLE_LABELS[m], "value": m}
               for m in carte_view.mailles_for(scope)]
    return html.Div(
        [
            html.H1("Carte", className="h3 mb-1"),
            html.P("Un indicateur par commune, brigade ou département. Cliquez sur une unité "
                   "pour l'ouvrir ; le tableau sous la carte donne les mêmes chiffres.",
                   className="text-body-secondary mb-3"),
            *[components.empty_state(p, tone="warning") for p in problems],
            filter_bar(Ids.filters, options, scope, period, first, last),
            html.Div(
                [
                    html.Fieldset(
                        [
                            html.Legend("Maille", className="form-label fw-semibold fs-6"),
                            dcc.RadioItems(id=Ids.maille, options=mailles, value=maille,
                                           inline=True, inputClassName="me-1",
                                           labelClassName="me-3"),
                        ],
                        className="col-md-6",
                    ),
                    html.Div(_overseas_links(overseas, period, maille)
                             if overseas is not None else None, className="col-md-6"),
                ],
                className="row g-3 mb-2",
            ),
            _controls(indicator, choices, ssmsi_offered),
            html.Section(
                [
                    html.H2(title, id=Ids.title, className="h5 mt-2"),
                    html.Div(info, id=Ids.info),
                    html.Figure(
                        [
                            dcc.Loading(
                                dcc.Graph(id=Ids.map, config=_graph_config(), figure=figure,
                                          className="map-graph"),
                                delay_show=300,
                            ),
                            html.Div(legend, id=Ids.legend),
                            html.Figcaption(caption, id=Ids.caption,
                                            className="small text-body-secondary"),
                        ],
                        className="mb-2",
                    ),
                    html.Div(
                        [
                            html.Fieldset(
                                [
                                    html.Legend("Lignes du tableau :",
                                                className="small d-inline me-2 float-none "
                                                          "w-auto mb-0"),
                                    dcc.RadioItems(
                                        id=Ids.rows, value=str(TABLE_ROWS), inline=True,
                                        options=[{"label": f"les {TABLE_ROWS} premières",
                                                  "value": str(TABLE_ROWS)},
                                                 {"label": "toutes", "value": "toutes"}],
                                        inputClassName="me-1", labelClassName="me-3 small",
                                        className="d-inline"),
                                ],
                                className="d-flex align-items-center",
                            ),
                            report.export_button(Ids.export, Ids.download,
                                                 "Exporter le tableau (CSV)"),
                        ],
                        className="d-flex justify-content-between align-items-center",
                    ),
                    dcc.Loading(html.Div(id=Ids.table), delay_show=300),
                ],
                **{"aria-labelledby": Ids.title},
            ),
            dcc.Store(id=Ids.view, data=view),
            dcc.Store(id=Ids.drawn, data=drawn),
            dcc.Store(id=Ids.ready),
            dcc.Location(id=Ids.silent_address, refresh=False),
            dcc.Location(id=Ids.navigation, refresh="callback-nav"),
        ]
    )


register_address_sync(Ids.filters, extra=((Ids.maille, "value", "maille"),))


# --- the map -----------------------------------------------------------------------------------

#: rows of the on-page table by default (by rank); the CSV export always has every unit
TABLE_ROWS = 50
_CACHE_SIZE = 16
_cache: OrderedDict[tuple, MapResult] = OrderedDict()
_cache_lock = threading.Lock()


def _request(view: dict | None, indicateur, categorie, comparaison, theme, ssmsi, annee):
    """Check the territory (403 when forged) and read everything the browser sent."""
    view = view if isinstance(view, dict) else {}
    _user, scope = access.check_scope(view.get("perimetre"))
    warehouse = data.get_warehouse()
    _first_month, last = _last_months(warehouse)
    try:
        period = Period.parse(view.get("debut"), view.get("fin"), last)
    except ScopeError:
        period = Period.parse(None, None, last)
    maille = carte_view.pick_maille(scope, view.get("maille"))
    indicator = carte_view.pick_indicator(indicateur)
    offered = queries.ssmsi_choices(warehouse) if indicator.source == "ssmsi" else None
    choices = Choices.parse(categorie, comparaison, theme, ssmsi, annee, offered)
    return warehouse, scope, maille, period, indicator, choices


def _map(view, indicateur, categorie=None, comparaison=None, theme=None, ssmsi=None,
         annee=None) -> tuple[MapResult, Period, data.Warehouse]:
    """The map the browser asks for, once per warehouse file: the map, its table and its
    export are three requests for the same figures. The territory is checked every time."""
    warehouse, scope, maille, period, indicator, choices = _request(
        view, indicateur, categorie, comparaison, theme, ssmsi, annee)
    key = (warehouse.version, scope, maille, period, indicator.key, choices)
    with _cache_lock:
        shown = _cache.get(key)
        if shown is not None:
            _cache.move_to_end(key)
    if shown is None:
        shown = carte_view.map_view(warehouse, scope, maille, period, indicator, choices)
        with _cache_lock:
            _cache[key] = shown
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return shown, period, warehouse


def _links(shown: MapResult, period: Period) -> dict[str, str]:
    """Where a unit's name leads: its profile, or a département's communes."""
    dates = urlencode(period.params())
    if shown.maille == carte_view.COMMUNE:
        return {c: dash.get_relative_path(f"/commune?code={c}&{dates}")
                for c in shown.frame["code"]}
    if shown.maille == carte_view.BRIGADE:
        return {c: dash.get_relative_path(f"/brigade?id={c}&{dates}")
                for c in shown.frame["code"]}
    return {c: dash.get_relative_path(
        "/carte?" + urlencode({"perimetre": f"departement:{c}", "maille": "commune"})
        + f"&{dates}") for c in shown.frame["code"]}


def _table(shown: MapResult, period: Period, rows: int):
    frame = shown.export_frame().copy()
    links = _links(shown, period)
    frame["lien"] = frame["code"].map(links)
    return report.linked_table(
        frame, shown.columns(), f"{shown.title} ({period.label()})",
        decimals=shown.decimals(), links={"nom": "lien"}, table_id=f"{Ids.table}-donnees",
        max_rows=rows)


def _failure(exc: Exception) -> str:
    if isinstance(exc, data.WarehouseUnavailable):
        return UNAVAILABLE
    log.exception("carte page: reading the warehouse failed")
    return READ_ERROR


@callback(
    Output(Ids.map, "figure"),
    Output(Ids.title, "children"),
    Output(Ids.info, "children"),
    Output(Ids.legend, "children"),
    Output(Ids.caption, "children"),
    Output(Ids.drawn, "data"),
    Input(Ids.view, "data"),
    Input(Ids.indicator, "value"),
    *[Input(Ids.controls[c], "value") for c in CONTROLS],
    State(Ids.drawn, "data"),
    prevent_initial_call=True,  # the page's layout comes with its map
)
def _update_map(view, indicateur, categorie, comparaison, theme, ssmsi, annee, drawn):
    recolour = ctx.triggered_id not in (None, Ids.view)
    return _map_outputs(view, [indicateur, categorie, comparaison, theme, ssmsi, annee],
                        drawn if recolour else None)


def _map_outputs(view, settings: list, drawn: dict | None = None) -> tuple:
    """The map's figure, title, information, grey legend, caption and drawn geometry. Given
    the geometry already ``drawn`` in the browser, a map of the same shapes is a Patch that
    only recolours them."""
    try:
        shown, period, warehouse = _map(view, *settings)
    except (data.WarehouseUnavailable, duckdb.Error) as exc:
        message = _failure(exc)
        return empty_figure(message), "Carte", components.empty_state(message), None, "", None
    if shown.message or shown.geometry is None:
        message = shown.message or carte_view.NO_UNIT
        return (empty_figure(message), shown.title, components.empty_state(message), None, "",
                None)
    g = shown.geometry
    url = map_shapes.url_for(g.couche, g.niveau, g.zone, warehouse)
    # a new indicator on the map already drawn: recolour it, the shapes stay in the browser
    recolour = isinstance(drawn, dict) and drawn.get("url") == url
    figure = carte_view.map_patch(shown, url) if recolour else carte_view.map_figure(shown, url)
    info = components.empty_state(shown.info, tone="info") if shown.info else None
    # what is drawn, for the table (which follows the map: the map is drawn first)
    drawn = {"url": url, "vue": view, "reglages": settings, "label": shown.label}
    # the SSMSI figures are yearly: their year is in the title, not the period
    title = shown.title if shown.indicator.source == "ssmsi" else \
        f"{shown.title} — {period.label()}"
    return (figure, title, info,
            report.grey_legend(carte_view.legend_items(shown)), carte_view.caption(shown),
            drawn)


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
    except (data.WarehouseUnavailable, duckdb.Error) as exc:
        return components.empty_state(_failure(exc))
    if shown.message:
        return None
    return _table(shown, period, TABLE_ROWS if rows != "toutes" else len(shown.frame) + 1)


@callback(
    Output(Ids.download, "data"),
    Input(Ids.export, "n_clicks"),
    State(Ids.view, "data"),
    State(Ids.indicator, "value"),
    *[State(Ids.controls[c], "value") for c in CONTROLS],
    prevent_initial_call=True,
)
def _export_csv(_clicks, view, indicateur, categorie, comparaison, theme, ssmsi, annee):
    try:
        shown, _period, _warehouse = _map(view, indicateur, categorie, comparaison, theme,
                                          ssmsi, annee)
    except (data.WarehouseUnavailable, duckdb.Error) as exc:
        _failure(exc)
        return no_update
    if shown.message:
        return no_update
    payload = to_csv_bytes(shown.export_frame(), shown.columns())
    return dcc.send_bytes(payload, shown.export_filename(), type="text/csv")


# --- in the browser ------------------------------------------------------------------------------

# Settings of the indicator: show only those it uses, and keep them in the address without a
# new rendering of the page (a Location with refresh=False only rewrites the address bar).
clientside_callback(
    """
    function (indicateur) {
        const uses = USES;
        const wanted = uses[indicateur] || [];
        return CONTROLS.map((c) => wanted.includes(c) ? {} : {display: "none"});
    }
    """.replace("USES", json.dumps({i.key: list(i.controls) for i in carte_view.INDICATORS}))
    .replace("CONTROLS", json.dumps(list(CONTROLS))),
    *[Output(Ids.control_boxes[c], "style") for c in CONTROLS],
    Input(Ids.indicator, "value"),
    prevent_initial_call=True,
)

clientside_callback(
    """
    function (indicateur, ...values) {
        const names = NAMES;
        const params = new URLSearchParams(window.location.search);
        params.set("indicateur", indicateur);
        names.forEach((name, i) => {
            const v = values[i];
            if (v === null || v === undefined || v === "") { params.delete(name); }
            else { params.set(name, v); }
        });
        const search = "?" + params.toString();
        return search === window.location.search ? window.dash_clientside.no_update : search;
    }
    """.replace("NAMES", json.dumps(list(CONTROLS))),
    Output(Ids.silent_address, "search"),
    Input(Ids.indicator, "value"),
    *[Input(Ids.controls[c], "value") for c in CONTROLS],
    prevent_initial_call=True,
)

# The table waits for the map to be drawn: rendering a few hundred rows blocks the browser
# for as long as drawing the map, which the reader wants first.
clientside_callback(
    """
    function (drawn) {
        if (!drawn) { return window.dash_clientside.no_update; }
        const started = performance.now();
        return new Promise((resolve) => {
            const check = () => {
                const gd = document.querySelector("#MAP .js-plotly-plot");
                const data = gd && gd.data;
                const expected = data && data.length === 2
                    ? data[0].locations.length + data[1].locations.length : -1;
                const paths = document.querySelectorAll("#MAP path.choroplethlocation").length;
                if ((data && data[0].name === drawn.label && paths === expected)
                        || performance.now() - started > 10000) {
                    resolve(drawn);
                } else {
                    setTimeout(check, 40);
                }
            };
            check();
        });
    }
    """.replace("MAP", Ids.map),
    Output(Ids.ready, "data"),
    Input(Ids.drawn, "data"),
)

# A click on a unit: a département opens its communes; a commune or a brigade its profile.
clientside_callback(
    """
    function (click, view) {
        const point = click && click.points && click.points[0];
        if (!point || !point.location || !view) { return window.dash_clientside.no_update; }
        const config = JSON.parse(document.getElementById("_dash-config").textContent);
        const prefix = config.requests_pathname_prefix || "/";
        const code = String(point.location);
        const here = new URLSearchParams(window.location.search);
        const dates = new URLSearchParams();
        ["debut", "fin"].forEach((k) => { if (view[k]) { dates.set(k, view[k]); } });
        if (view.maille === "departement") {
            here.set("perimetre", "departement:" + code);
            here.set("maille", "commune");
            return prefix + "carte?" + here.toString();
        }
        if (view.maille === "brigade") {
            dates.set("id", code);
            return prefix + "brigade?" + dates.toString();
        }
        dates.set("code", code);
        return prefix + "commune?" + dates.toString();
    }
    """,
    Output(Ids.navigation, "href"),
    Input(Ids.map, "clickData"),
    State(Ids.view, "data"),
    prevent_initial_call=True,
)

"""Page « Tendances »: monthly series of a category, month × year grid, CompStat windows,
unusual months and two territories side by side."""

from __future__ import annotations

import logging
from datetime import date

import dash
import dash_bootstrap_components as dbc
import duckdb
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.core import access, categories, components, filters, page_state
from dashboard.core import warehouse as data
from dashboard.core.access import default_scope
from dashboard.core.export import to_csv_bytes
from dashboard.core.scope import Period, ScopeError
from dashboard.views import tendances as view
from dashboard.views import trend_figures as tf
from dashboard.views import trends
from dashboard.views.organisation import READ_ERROR, UNAVAILABLE

log = logging.getLogger(__name__)

dash.register_page(
    __name__,
    path="/tendances",
    name="Tendances",
    title="Tendances — Présents pour les élus",
    description="Séries mensuelles, fenêtres CompStat, mois inhabituels et comparaison de "
                "deux territoires.",
    order=3,
)

#: the trends need years: three by default, for the month × year grid and the z-scores
DEFAULT_MONTHS = 36


class Ids:
    filters = filters.FilterIds("tendances")
    category = "tendances-categorie"
    compare = "tendances-comparer"
    shown = "tendances-vue"
    compstat_title = "tendances-compstat-titre"
    compstat = "tendances-compstat"
    series_title = "tendances-serie-titre"
    series = "tendances-serie"
    series_caption = "tendances-serie-legende"
    series_table = "tendances-serie-tableau"
    heatmap = "tendances-calendrier"
    heatmap_table = "tendances-calendrier-tableau"
    flags = "tendances-inhabituels"
    comparison_title = "tendances-comparaison-titre"
    comparison = "tendances-comparaison"
    comparison_caption = "tendances-comparaison-legende"
    comparison_summary = "tendances-comparaison-synthese"
    comparison_table = "tendances-comparaison-tableau"
    comparison_body = "tendances-comparaison-corps"  # hidden without a second territory
    download = "tendances-telechargement"

    @staticmethod
    def export(what: str) -> str:
        return f"tendances-export-{what}"


EXPORTS = ("compstat", "serie", "calendrier", "inhabituels", "comparaison")


def _export_button(what: str, label: str = "Exporter (CSV)") -> dbc.Button:
    return dbc.Button(label, id=Ids.export(what), color="primary", outline=True, size="sm")


def _header(title_id: str, title: str | None, what: str) -> html.Div:
    return html.Div([html.H2(title, id=title_id, className="h5 mb-0"), _export_button(what)],
                    className="d-flex justify-content-between align-items-center mb-2 gap-2")


def _graph(graph_id: str, filename: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=tf.graph_config(filename),
                     figure=tf.message_figure("Chargement…"), className="trend-graph")


def _choices(user, warehouse, perimetre, debut, fin, categorie, comparer):
    """Filter bar and the rendering's state, from the address."""
    state = page_state.resolve(user, warehouse, perimetre, debut, fin, DEFAULT_MONTHS)
    messages = list(state.messages)
    second = None
    if comparer:
        second, problem = page_state.resolve_scope(user, warehouse, comparer)
        if problem:
            messages.append("Territoire de comparaison : " + problem.split(" :")[0] + ".")
            second = None
    scopes = (state.scope,) if second is None else (state.scope, second)
    options = page_state.options(user, warehouse, *scopes)
    category = categories.pick(categorie)
    bar = html.Div([
        filters.filter_bar(Ids.filters, options, state.scope, state.period,
                           min(state.first_month, state.period.start),
                           max(state.last_month, state.period.end)),
        html.Div([
            html.Div([
                html.Label("Catégorie", htmlFor=Ids.category, className="form-label fw-semibold"),
                components.dropdown(id=Ids.category, options=categories.options(),
                                    value=category.key, clearable=False, maxHeight=360),
            ], className="col-md-6"),
            html.Div([
                html.Label("Comparer avec un second territoire (facultatif)", htmlFor=Ids.compare,
                           className="form-label fw-semibold"),
                components.dropdown(id=Ids.compare, options=options,
                                    value=None if second is None else second.to_param(),
                                    clearable=True, placeholder="Aucune comparaison",
                                    maxHeight=360),
            ], className="col-md-6"),
        ], className="row g-3 mb-3 filters"),
    ])
    shown = {"perimetre": state.scope.to_param(), **state.period.params(),
             "categorie": category.key,
             "comparer": None if second is None else second.to_param()}
    return bar, shown, messages


def layout(perimetre: str | list | None = None, debut: str | list | None = None,
           fin: str | list | None = None, categorie: str | list | None = None,
           comparer: str | list | None = None, **_query) -> html.Div:
    """The page for ``?perimetre=…&debut=…&fin=…&categorie=…&comparer=…`` (all optional)."""
    perimetre, debut, fin, categorie, comparer = (
        page_state.first(v) for v in (perimetre, debut, fin, categorie, comparer))
    user = access.current_user()
    # Only Dash's start-up check renders a page without a signed-in user: ids, no data.
    problem, bar, shown = None, None, {}
    if user is not None:
        # what the callbacks get if the warehouse cannot be read: a territory the user may see
        shown = {"perimetre": default_scope(user).to_param()}
        try:
            bar, shown, messages = _choices(user, data.get_warehouse(), perimetre, debut, fin,
                                            categorie, comparer)
            problem = " ".join(messages) or None
        except data.WarehouseUnavailable:
            problem = UNAVAILABLE
        except duckdb.Error:
            log.exception("trends page: reading the warehouse failed")
            problem = READ_ERROR
    if bar is None:  # start-up check, or no warehouse: the same ids, without choices
        bar = page_state.hidden_filter_bar(Ids.filters, Ids.category, Ids.compare)
    loading = {"delay_show": 300}
    return html.Div([
        html.H1("Tendances", className="h3 mb-1"),
        html.P("Évolution mois par mois d'une catégorie de faits ou des atteintes aux élus, "
               "comparée aux années précédentes.", className="text-body-secondary mb-3"),
        components.empty_state(problem, tone="warning") if problem else None,
        bar,
        html.Section([
            _header(Ids.compstat_title, "Fenêtres de comparaison (CompStat)", "compstat"),
            html.P(
                "Comme dans la méthode CompStat, chaque catégorie est comparée à la même "
                "fenêtre un an plus tôt. Les faits enregistrés étant mensuels, la fenêtre "
                "courte des faits est le dernier mois complet de la période (et non 28 "
                "jours) ; pour les plaintes d'élus, datées au jour, c'est une vraie fenêtre "
                "de 28 jours, comparée aux 28 jours situés 52 semaines plus tôt (mêmes jours "
                "de la semaine).", className="small text-body-secondary"),
            dcc.Loading(html.Div(id=Ids.compstat, className="table-responsive"), **loading),
        ], className="mb-4", **{"aria-labelledby": Ids.compstat_title}),
        html.Section([
            _header(Ids.series_title, "Série mensuelle", "serie"),
            html.Figure([
                dcc.Loading(_graph(Ids.series, "tendances_serie"), **loading),
                html.Figcaption(id=Ids.series_caption, className="small"),
            ], className="mb-2"),
            html.Details([
                html.Summary("Données du graphique (tableau)"),
                dcc.Loading(html.Div(id=Ids.series_table, className="table-responsive"),
                            **loading),
            ]),
        ], className="mb-4", **{"aria-labelledby": Ids.series_title}),
        html.Section([
            _header(f"{Ids.heatmap}-titre", "Mois par année", "calendrier"),
            html.P("Chaque case donne le nombre du mois ; la couleur, plus foncée quand il est "
                   "plus élevé, aide à repérer les saisons.", className="small"),
            html.Figure([
                dcc.Loading(_graph(Ids.heatmap, "tendances_mois_annee"), **loading),
                html.Figcaption("Le même tableau, lisible sans couleur, est ci-dessous.",
                                className="small"),
            ], className="mb-2"),
            html.Details([
                html.Summary("Données du graphique (tableau)"),
                dcc.Loading(html.Div(id=Ids.heatmap_table, className="table-responsive"),
                            **loading),
            ]),
        ], className="mb-4", **{"aria-labelledby": f"{Ids.heatmap}-titre"}),
        html.Section([
            _header(f"{Ids.flags}-titre", "Mois inhabituels", "inhabituels"),
            html.P(
                f"Chaque mois est comparé au même mois des {trends.YEARS_BACK} années "
                f"précédentes (au moins {trends.MIN_YEARS}). En supposant des comptes de "
                f"Poisson, le score z mesure l'écart en nombre d'écarts-types ; un mois est "
                f"signalé si |z| ≥ {trends.Z_THRESHOLD:g} et si l'attendu atteint "
                f"{trends.MIN_EXPECTED:g}. À grande échelle, la variabilité réelle dépasse "
                "celle de Poisson : un signal invite à regarder, il ne prouve rien.",
                className="small text-body-secondary"),
            dcc.Loading(html.Div(id=Ids.flags, className="table-responsive"), **loading),
        ], className="mb-4", **{"aria-labelledby": f"{Ids.flags}-titre"}),
        html.Section([
            _header(Ids.comparison_title, "Comparaison de deux territoires", "comparaison"),
            dcc.Loading(html.Div(id=Ids.comparison_summary,
                                 className="table-responsive figures-text"), **loading),
            html.Div([
                html.Figure([
                    dcc.Loading(_graph(Ids.comparison, "tendances_comparaison"), **loading),
                    html.Figcaption(id=Ids.comparison_caption, className="small"),
                ], className="mb-2"),
                html.Details([
                    html.Summary("Données du graphique (tableau)"),
                    dcc.Loading(html.Div(id=Ids.comparison_table,
                                         className="table-responsive"), **loading),
                ]),
            ], id=Ids.comparison_body),
        ], className="mb-4", **{"aria-labelledby": Ids.comparison_title}),
        dcc.Download(id=Ids.download),
        dcc.Store(id=Ids.shown, data=shown),
    ])


filters.register_address_sync(Ids.filters, extra=((Ids.category, "value", "categorie"),
                                                  (Ids.compare, "value", "comparer")))


# --- reading -----------------------------------------------------------------------------------

def _period(state: dict, span: view.Span) -> Period:
    return Period.parse(state.get("debut"), state.get("fin"), span.last_month, DEFAULT_MONTHS)


def _span(warehouse) -> view.Span:
    return view.Span.read(warehouse)


def main_view(state: dict) -> view.TrendView:
    """The territory checked, then its figures. 403 for a territory the user may not see."""
    _user, scope = access.check_scope(state.get("perimetre"))
    warehouse = data.get_warehouse()
    span = _span(warehouse)
    return view.trend_view(warehouse, scope, _period(state, span),
                           categories.pick(state.get("categorie")), span)


def comparison_view(state: dict) -> view.Comparison | None:
    """Both territories checked (each one: 403 if not the user's), then their figures."""
    _user, first = access.check_scope(state.get("perimetre"))
    if not state.get("comparer"):
        return None
    _user, second = access.check_scope(state.get("comparer"))
    warehouse = data.get_warehouse()
    span = _span(warehouse)
    return view.comparison(warehouse, first, second, _period(state, span),
                           categories.pick(state.get("categorie")), span)


def _failure(exc: Exception) -> str:
    if isinstance(exc, data.WarehouseUnavailable):
        return UNAVAILABLE
    if isinstance(exc, ScopeError):
        return str(exc)
    log.exception("trends page: reading the warehouse failed")
    return READ_ERROR


READ_ERRORS = (data.WarehouseUnavailable, duckdb.Error, ScopeError)


# --- callbacks ---------------------------------------------------------------------------------

@callback(
    Output(Ids.compstat_title, "children"),
    Output(Ids.compstat, "children"),
    Output(Ids.series_title, "children"),
    Output(Ids.series, "figure"),
    Output(Ids.series_caption, "children"),
    Output(Ids.series_table, "children"),
    Output(Ids.heatmap, "figure"),
    Output(Ids.heatmap_table, "children"),
    Output(Ids.flags, "children"),
    Input(Ids.shown, "data"),
)
def _update(state):
    try:
        shown = main_view(state or {})
    except READ_ERRORS as exc:
        message = _failure(exc)
        empty = components.empty_state(message)
        return ("Fenêtres de comparaison (CompStat)", empty, "Série mensuelle",
                tf.message_figure(message), message, None, tf.message_figure(message), None, empty)
    compstat = components.data_table(
        shown.compstat, view.COMPSTAT_COLUMNS,
        f"Fenêtres de comparaison — {shown.label} (évolutions en %)",
        decimals={"evolution": 1, "evolution_cumul": 1}, table_id=f"{Ids.compstat}-donnees")
    compstat_title = f"Fenêtres de comparaison (CompStat) — {shown.label}"
    title = f"{shown.category.label} — {shown.label}"
    if shown.empty:
        message = shown.empty_message
        return (compstat_title, compstat, title, tf.message_figure(message), message, None,
                tf.message_figure(message), None, components.empty_state(message))
    series = tf.series_figure(shown.series, shown.flags, shown.category.label)
    series_table = components.data_table(
        shown.series, view.SERIES_COLUMNS, f"{title}, par mois",
        decimals={"moyenne_12_mois": 1}, table_id=f"{Ids.series_table}-donnees")
    grid = shown.heatmap
    heatmap_table = components.data_table(
        grid, {"mois": "Mois", **{c: c for c in grid.columns if c != "mois"}},
        f"{title}, mois par année", table_id=f"{Ids.heatmap_table}-donnees")
    flags = (components.data_table(shown.flags, view.FLAG_COLUMNS,
                                   f"Mois inhabituels — {title}",
                                   decimals={"attendu": 1, "z": 1},
                                   table_id=f"{Ids.flags}-donnees")
             if len(shown.flags) else
             components.empty_state("Aucun mois inhabituel sur la période."))
    return (compstat_title, compstat, title, series, shown.description(), series_table,
            tf.heatmap_figure(grid), heatmap_table, flags)


@callback(
    Output(Ids.comparison_title, "children"),
    Output(Ids.comparison_summary, "children"),
    Output(Ids.comparison, "figure"),
    Output(Ids.comparison_caption, "children"),
    Output(Ids.comparison_table, "children"),
    Output(Ids.comparison_body, "hidden"),
    Input(Ids.shown, "data"),
)
def _update_comparison(state):
    title = "Comparaison de deux territoires"
    try:
        shown = comparison_view(state or {})
    except READ_ERRORS as exc:
        message = _failure(exc)
        return title, components.empty_state(message), tf.message_figure(message), "", None, True
    if shown is None:
        message = "Choisissez un second territoire dans « Comparer avec » pour les comparer."
        return title, components.empty_state(message), tf.message_figure(message), "", None, True
    a, b = shown.first.label, shown.second.label
    title = f"{shown.first.category.label} — {a} et {b}"
    summary = components.data_table(
        shown.summary, {"indicateur": "Indicateur", "premier": a, "second": b},
        f"{a} et {b}, {shown.first.period.label()}",
        table_id=f"{Ids.comparison_summary}-donnees")
    figure = tf.comparison_figure(shown.frame, a, b)
    caption = (f"Nombre mensuel pour 10 000 habitants, {a} (trait plein) et {b} (tirets) ; "
               "les valeurs sont dans le tableau sous le graphique.")
    table = components.data_table(shown.frame, shown.columns, f"{title}, par mois",
                                  decimals={"taux_1": 2, "taux_2": 2},
                                  table_id=f"{Ids.comparison_table}-donnees")
    return title, summary, figure, caption, table, False


def export_frame(what: str, state: dict):
    """(frame, columns, file name) of one export; None when there is nothing to export."""
    slug = str(state.get("perimetre") or "france").replace(":", "_")
    if what == "comparaison":
        shown = comparison_view(state)
        if shown is None:
            return None
        other = str(state.get("comparer")).replace(":", "_")
        return shown.frame, shown.columns, f"tendances_comparaison_{slug}_{other}.csv"
    main = main_view(state)
    key = main.category.key
    if what == "compstat":
        return main.compstat, view.COMPSTAT_COLUMNS, f"tendances_compstat_{slug}.csv"
    if what == "serie":
        return main.series, {"mois": "Mois (date)", **view.SERIES_COLUMNS}, \
            f"tendances_serie_{key}_{slug}.csv"
    if what == "calendrier":
        grid = main.heatmap
        return grid, {"mois": "Mois", **{c: c for c in grid.columns if c != "mois"}}, \
            f"tendances_mois_annee_{key}_{slug}.csv"
    return main.flags, {"mois": "Mois (date)", **view.FLAG_COLUMNS}, \
        f"tendances_inhabituels_{key}_{slug}.csv"


@callback(
    Output(Ids.download, "data"),
    *[Input(Ids.export(w), "n_clicks") for w in EXPORTS],
    State(Ids.shown, "data"),
    prevent_initial_call=True,
)
def _export_csv(*args):
    state = args[-1] or {}
    what = str(ctx.triggered_id or "").removeprefix("tendances-export-")
    if what not in EXPORTS:
        return no_update
    try:
        result = export_frame(what, state)
    except READ_ERRORS as exc:
        _failure(exc)
        return no_update
    if result is None:
        return no_update
    frame, columns, name = result
    frame = frame.copy()
    if "mois" in frame and what != "calendrier":
        frame["mois"] = [date(m.year, m.month, 1).strftime("%Y-%m") for m in frame["mois"]]
    return dcc.send_bytes(to_csv_bytes(frame, columns), name, type="text/csv")


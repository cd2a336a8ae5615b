"""Page « Tendances »: monthly series of a category, month × year grid, CompStat windows,
unusual months and two territories side by side."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.core import access, categories, components, filters, page_state, scaffold
from dashboard.core.export import to_csv_bytes
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.queries.tendances import TrendReader
from dashboard.views import tendances as view
from dashboard.views import trend_figures as tf
from dashboard.views import trends

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


def _settings(context: scaffold.PageContext, categorie, comparer):
    """The category and the second territory of the address, the filter bar and the
    rendering's state."""
    category = categories.pick(page_state.first(categorie))
    second = None
    comparer = page_state.first(comparer)
    if context.ready and comparer:
        second, problem = page_state.resolve_scope(context.user, context.warehouse, comparer)
        if problem:
            context.problems.append("Territoire de comparaison : " + problem.split(" :")[0] + ".")
            second = None
    bar = context.filter_bar(Ids.filters, Ids.category, Ids.compare,
                             scopes=() if second is None else (second,))
    if context.ready:
        options = page_state.options(context.user, context.warehouse, context.state.scope,
                                     *(() if second is None else (second,)))
        bar = html.Div([bar, html.Div([
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
        ], className="row g-3 mb-3 filters")])
    shown = context.shown(categorie=category.key,
                          comparer=None if second is None else second.to_param())
    return bar, shown


def _section(title_id: str, title: str | None, what: str, *body) -> html.Section:
    return html.Section([_header(title_id, title, what), *body], className="mb-4",
                        **{"aria-labelledby": title_id})


def _chart(graph_id: str, filename: str, caption, table_id: str) -> list:
    """A chart, its caption and its data table (the chart's text alternative)."""
    loading = {"delay_show": 300}
    return [
        html.Figure([dcc.Loading(_graph(graph_id, filename), **loading), caption],
                    className="mb-2"),
        html.Details([
            html.Summary("Données du graphique (tableau)"),
            dcc.Loading(html.Div(id=table_id, className="table-responsive"), **loading),
        ]),
    ]


def layout(perimetre=None, debut=None, fin=None, categorie=None, comparer=None,
           **_query) -> html.Div:
    """The page for ``?perimetre=…&debut=…&fin=…&categorie=…&comparer=…`` (all optional)."""
    context = scaffold.page_context("tendances", perimetre, debut, fin, DEFAULT_MONTHS)
    bar, shown = _settings(context, categorie, comparer)
    loading = {"delay_show": 300}
    return scaffold.page(
        context, "Tendances",
        "Évolution mois par mois d'une catégorie de faits ou des atteintes aux élus, "
        "comparée aux années précédentes.",
        _section(
            Ids.compstat_title, "Fenêtres de comparaison (CompStat)", "compstat",
            html.P(
                "Comme dans la méthode CompStat, chaque catégorie est comparée à la même "
                "fenêtre un an plus tôt. Les faits enregistrés étant mensuels, la fenêtre "
                "courte des faits est le dernier mois complet de la période (et non 28 "
                "jours) ; pour les plaintes d'élus, datées au jour, c'est une vraie fenêtre "
                "de 28 jours, comparée aux 28 jours situés 52 semaines plus tôt (mêmes jours "
                "de la semaine).", className="small text-body-secondary"),
            dcc.Loading(html.Div(id=Ids.compstat, className="table-responsive"), **loading)),
        _section(Ids.series_title, "Série mensuelle", "serie",
                 *_chart(Ids.series, "tendances_serie",
                         html.Figcaption(id=Ids.series_caption, className="small"),
                         Ids.series_table)),
        _section(
            f"{Ids.heatmap}-titre", "Mois par année", "calendrier",
            html.P("Chaque case donne le nombre du mois ; la couleur, plus foncée quand il est "
                   "plus élevé, aide à repérer les saisons.", className="small"),
            *_chart(Ids.heatmap, "tendances_mois_annee",
                    html.Figcaption("Le même tableau, lisible sans couleur, est ci-dessous.",
                                    className="small"), Ids.heatmap_table)),
        _section(
            f"{Ids.flags}-titre", "Mois inhabituels", "inhabituels",
            html.P(
                f"Chaque mois est comparé au même mois des {trends.YEARS_BACK} années "
                f"précédentes (au moins {trends.MIN_YEARS}). En supposant des comptes de "
                f"Poisson, le score z mesure l'écart en nombre d'écarts-types ; un mois est "
                f"signalé si |z| ≥ {trends.Z_THRESHOLD:g} et si l'attendu atteint "
                f"{trends.MIN_EXPECTED:g}. À grande échelle, la variabilité réelle dépasse "
                "celle de Poisson : un signal invite à regarder, il ne prouve rien.",
                className="small text-body-secondary"),
            dcc.Loading(html.Div(id=Ids.flags, className="table-responsive"), **loading)),
        _section(
            Ids.comparison_title, "Comparaison de deux territoires", "comparaison",
            dcc.Loading(html.Div(id=Ids.comparison_summary,
                                 className="table-responsive figures-text"), **loading),
            html.Div(_chart(Ids.comparison, "tendances_comparaison",
                            html.Figcaption(id=Ids.comparison_caption, className="small"),
                            Ids.comparison_table), id=Ids.comparison_body)),
        dcc.Download(id=Ids.download),
        dcc.Store(id=Ids.shown, data=shown),
        bar=bar,
    )


filters.register_address_sync(Ids.filters, extra=((Ids.category, "value", "categorie"),
                                                  (Ids.compare, "value", "comparer")))


# --- reading -----------------------------------------------------------------------------------

def _reader_and_span(warehouse) -> tuple[TrendReader, view.Span]:
    reader = TrendReader(warehouse)
    return reader, view.Span(*reader.span())


def main_view(state: dict) -> view.TrendView:
    """The territory checked, then its figures. 403 for a territory the user may not see."""
    _user, scope, period, warehouse = scaffold.checked_view(state, DEFAULT_MONTHS)
    reader, span = _reader_and_span(warehouse)
    return view.trend_view(reader, scope, period, categories.pick(state.get("categorie")), span)


def comparison_view(state: dict) -> view.Comparison | None:
    """Both territories checked (each one: 403 if not the user's), then their figures."""
    _user, first, period, warehouse = scaffold.checked_view(state, DEFAULT_MONTHS)
    if not state.get("comparer"):
        return None
    _user, second = access.check_scope(state.get("comparer"))
    reader, span = _reader_and_span(warehouse)
    return view.comparison(reader, first, second, period,
                           categories.pick(state.get("categorie")), span)


# --- callbacks ---------------------------------------------------------------------------------

@callback(
    Output(Ids.compstat_title, "children"), Output(Ids.compstat, "children"),
    Output(Ids.series_title, "children"), Output(Ids.series, "figure"),
    Output(Ids.series_caption, "children"), Output(Ids.series_table, "children"),
    Output(Ids.heatmap, "figure"), Output(Ids.heatmap_table, "children"),
    Output(Ids.flags, "children"),
    Input(Ids.shown, "data"),
)
def _update(state):
    try:
        shown = main_view(state or {})
    except READ_ERRORS as exc:
        message = failure(exc, "tendances")
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
    Output(Ids.comparison_title, "children"), Output(Ids.comparison_summary, "children"),
    Output(Ids.comparison, "figure"), Output(Ids.comparison_caption, "children"),
    Output(Ids.comparison_table, "children"), Output(Ids.comparison_body, "hidden"),
    Input(Ids.shown, "data"),
)
def _update_comparison(state):
    title = "Comparaison de deux territoires"
    try:
        shown = comparison_view(state or {})
    except READ_ERRORS as exc:
        message = failure(exc, "tendances")
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
        failure(exc, "tendances")
        return no_update
    if result is None:
        return no_update
    frame, columns, name = result
    frame = frame.copy()
    if "mois" in frame and what != "calendrier":
        frame["mois"] = [date(m.year, m.month, 1).strftime("%Y-%m") for m in frame["mois"]]
    return dcc.send_bytes(to_csv_bytes(frame, columns), name, type="text/csv")


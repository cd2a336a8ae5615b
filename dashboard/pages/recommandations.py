"""Page « Recommandations »: the weekly plan of each brigade's public-road presence hours,
its map, its explanations and audit, a what-if panel that re-solves it, its CSV export, and
« Appliquer », which records the commander's decision.

Roles: commandants (their département) and administrators may apply a plan; préfets (their
département) and analysts (national) read it; the brigade role is refused. Every callback
checks the territory and the role from the session (a forged one is a 403, audited).
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.core import access, components, map_shapes, page_state, reference, scaffold
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.core.provenance import is_modelled
from dashboard.queries import recommandations as queries
from dashboard.views import recommandations as view
from dashboard.views import recommandations_audit as audit_view
from dashboard.views import recommandations_figures as figures
from dashboard.views.charts import empty_figure
from etl.roles import Capability

dash.register_page(
    __name__,
    path="/recommandations",
    name="Recommandations",
    title="Recommandations — Présents pour les élus",
    description="Répartition recommandée des heures de présence de chaque brigade entre ses "
                "communes, avec simulation, audit et application du plan.",
    order=6,
    capability=Capability.READ_PLANS,
)

READ_ONLY_NOTE = ("Lecture seule : seuls les commandants de groupement et les administrateurs "
                  "peuvent appliquer un plan.")


class Ids:
    territory = "reco-perimetre"
    week = "reco-semaine"
    address = "reco-adresse"
    view = "reco-vue"  # territory and week of this rendering, from the address
    shown = "reco-parametres"  # the what-if values of the plan on screen
    panel = "reco-simulation"
    recompute = "reco-recalculer"
    messages = "reco-messages"
    status = "reco-etat"
    infeasible = "reco-infaisables-bloc"
    kpis = "reco-kpis"
    map = "reco-carte"
    map_caption = "reco-carte-legende"
    table = "reco-tableau"
    rows = "reco-lignes"
    plan = "reco-plan"
    export = "reco-export"
    download = "reco-telechargement"
    apply = "reco-appliquer"  # pattern-matching id: absent for read-only roles
    applied = "reco-application"
    decisions = "reco-decisions"
    audit = "reco-audit"
    backtest = "reco-retro"

    @staticmethod
    def field(key: str) -> str:
        return f"reco-{key.replace('_', '-')}"


FIELD_IDS = [Ids.field(f.key) for f in view.ALL_FIELDS]


# --- layout ------------------------------------------------------------------------------------

def _refused(user, refused) -> html.Div:
    """The refusal (audited by the gate), with the way to a brigade's own page; none of the
    plan's ids, so that none of its callbacks fires."""
    own = html.P(dcc.Link("Ouvrir la fiche de votre brigade", href=dash.get_relative_path(
        f"/brigade?id={user.brigade_id}"))) if user.by_brigade and user.brigade_id else None
    return html.Div([html.H1("Recommandations", className="h3 mb-1"), refused, own])


def _number(f: view.Field) -> html.Div:
    # dbc.Input: the browser's own number field (Dash 4's dcc.Input draws its own − and +
    # buttons, read out « Decrease value » and « Increase value », which cannot be renamed)
    return html.Div([
        html.Label(f.label, htmlFor=Ids.field(f.key), className="form-label small fw-semibold"),
        dbc.Input(id=Ids.field(f.key), type="number", value=f.default, min=f.low, max=f.high,
                  step=1 if f.integer else "any", debounce=True, required=True, size="sm"),
    ], className="col-sm-6 col-lg-3")


def _panel(reset: str) -> html.Section:
    main = [_number(view.SEVERITY_FIELDS[c]) for c in view.MAIN_CATEGORIES]
    other = [_number(view.SEVERITY_FIELDS[c]) for c in view.OTHER_CATEGORIES]
    return html.Section([
        html.H2("Simulation", id=f"{Ids.panel}-titre", className="h5"),
        html.P("Modifiez une valeur puis validez (Entrée) ou « Recalculer » : les plans des "
               "brigades sont recalculés avec ces paramètres.", className="small mb-2"),
        html.Div([_number(f) for f in view.FIELDS], className="row g-2 mb-2"),
        html.Fieldset([
            html.Legend("Poids de gravité d'un fait prévu", className="form-label fw-semibold "
                        "fs-6 mb-1"),
            html.Div(main, className="row g-2"),
            html.Details([html.Summary("Autres catégories", className="small my-1"),
                          html.Div(other, className="row g-2")]),
        ], className="mb-2"),
        html.Div([
            html.Button("Recalculer", id=Ids.recompute, type="button",
                        className="btn btn-primary btn-sm"),
            html.A("Valeurs par défaut", href=reset, id=f"{Ids.panel}-defaut",
                   className="btn btn-link btn-sm"),
        ], className="d-flex gap-2 align-items-center"),
        html.Div(id=Ids.messages, className="mt-2"),
    ], id=Ids.panel, role="form", className="card card-body mb-3",
        **{"aria-labelledby": f"{Ids.panel}-titre"})


def _bar(options, scope, week_options, week) -> html.Div:
    return html.Div([
        html.Div([
            html.Label("Territoire", htmlFor=Ids.territory, className="form-label fw-semibold"),
            components.dropdown(id=Ids.territory, options=options, value=scope, clearable=False,
                                maxHeight=360, placeholder="Choisir un territoire"),
        ], className="col-md-7"),
        html.Div([
            html.Label("Semaine planifiée", htmlFor=Ids.week, className="form-label fw-semibold"),
            components.dropdown(id=Ids.week, options=week_options, value=week, clearable=False),
        ], className="col-md-5"),
        dcc.Location(id=Ids.address, refresh="callback-nav"),
    ], className="row g-3 mb-3 filters", role="search",
        **{"aria-label": "Filtres : territoire et semaine"})


def _section(title: str, key: str, *body, **extra) -> html.Section:
    return html.Section([html.H2(title, id=f"{key}-titre", className="h5 mt-3"), *body],
                        className="mb-3", **{"aria-labelledby": f"{key}-titre"}, **extra)


def _notes(context) -> list:
    notes = []
    if reference.synthetic_sources(context.warehouse):
        notes.append("Données de démonstration : ces recommandations sont calculées sur des "
                     "données synthétiques, pas sur des données réelles.")
    if is_modelled(reference.organisation_sources(context.warehouse)):
        notes.append("Capacités calculées sur les effectifs modélisés des brigades.")
    return [html.P(n, className="small text-body-secondary mb-1 reco-note") for n in notes]


def _choices(context, semaine) -> tuple[html.Div, dict | None, list]:
    """The filter bar, the territory and week to plan (None: not a plannable territory) and
    what the page says about them."""
    scope = context.state.scope
    default = queries.default_plan_week(context.warehouse)
    week, problem = queries.pick_week(semaine, default)
    options = [o for o in page_state.options(context.user, context.warehouse, scope)
               if o["value"].split(":")[0] in queries.LEVELS]
    weeks = [{"label": view.week_label(w), "value": queries.week_text(w)}
             for w in queries.week_choices(default, week)]
    plannable = scope.level in queries.LEVELS
    bar = _bar(options, scope.to_param() if plannable else None, weeks, queries.week_text(week))
    said = [components.empty_state(problem, tone="warning")] if problem else []
    if not plannable:
        return bar, None, [*said, components.empty_state(queries.NOT_A_PLAN_LEVEL, tone="info")]
    return bar, {"perimetre": scope.to_param(), "semaine": queries.week_text(week)}, said


def layout(perimetre=None, semaine=None, departement=None, compagnie=None, brigade=None,
           **_query) -> html.Div:
    """The page for ``?perimetre=departement:35&semaine=2026-W44`` (both optional; also
    ``?departement=35``, ``?compagnie=…`` or ``?brigade=…``)."""
    first = page_state.first
    perimetre = first(perimetre) or next(
        (f"{level}:{first(v)}" for level, v in (("brigade", brigade), ("compagnie", compagnie),
                                                ("departement", departement)) if first(v)), None)
    user, refused = scaffold.gate(__name__, "Recommandations")
    if refused is not None:
        return _refused(user, refused)
    context = scaffold.page_context("recommandations", perimetre)
    shown, bar, body = None, None, []
    try:
        if context.ready:
            bar, shown, body = _choices(context, first(semaine))
            body += _notes(context)
        elif context.user is None:  # Dash's start-up check: the ids only
            bar = _bar([], None, [], None)
        if shown is not None or context.user is None:
            body += _results(context.user, shown)
    except READ_ERRORS as exc:
        body.append(components.empty_state(failure(exc, "recommandations"), tone="warning"))
        shown = None
    # the plan's store only with the plan's panel: before a territory is chosen the page has
    # neither, and no callback of the plan fires (its inputs would be missing)
    plan = [dcc.Store(id=Ids.view, data=shown), dcc.Store(id=Ids.shown)] \
        if shown is not None or context.user is None else []
    return scaffold.page(
        context, "Recommandations",
        "Répartition recommandée des heures de présence sur la voie publique de chaque brigade "
        "entre ses communes et ses créneaux, pour la semaine choisie : des heures qui suivent le "
        "besoin de chaque commune, atteintes par étapes (présence minimale, variation "
        "plafonnée), expliquées commune par commune.",
        *body, *plan, bar=bar)


def _results(user, shown: dict | None) -> list:
    # a what-if takes about 0.4 s: the spinner only for longer waits (no blink on each change)
    loading = {"delay_show": 1000}
    reset = dash.get_relative_path("/recommandations?" + urlencode(shown or {}))
    decisions = _decisions(shown) if shown is not None else None
    decider = user is None or user.can(Capability.APPLY_PLANS)
    apply = html.Div([
        html.Button("Appliquer ce plan", id={"type": Ids.apply, "index": "plan"},
                    type="button", className="btn btn-success"),
        html.P("Enregistre le plan affiché de chaque brigade résolue (vous, maintenant, "
               "l'exécution et les paramètres) ; le plan de la semaine suivante partira de "
               "celui-ci.", className="small mb-0"),
    ], className="d-flex gap-3 align-items-center mb-2") if decider else html.P(
        READ_ONLY_NOTE, className="small", id="reco-lecture")
    return [
        _panel(reset),
        html.P(id=Ids.status, role="status", className="small fw-semibold"),
        html.Div(id=Ids.infeasible),
        dcc.Loading(html.Div(id=Ids.kpis, className="mb-3"), **loading),
        _section("Carte des variations recommandées", Ids.map, html.Figure([
            dcc.Loading(dcc.Graph(id=Ids.map, figure=empty_figure("Calcul du plan…"),
                                  config=scaffold.map_config("recommandations"),
                                  className="map-graph"), **loading),
            html.Figcaption(id=Ids.map_caption, className="small text-body-secondary"),
        ])),
        _section("Communes : heures actuelles et recommandées", Ids.table,
                 html.Div([components.radio_group(
                     Ids.rows, [{"label": f"les {view.TABLE_ROWS} plus fortes variations",
                                 "value": str(view.TABLE_ROWS)},
                                {"label": "toutes", "value": "toutes"}], str(view.TABLE_ROWS),
                     "Lignes des tableaux :", class_name="d-flex align-items-center",
                     legend_class_name="small d-inline me-2 float-none w-auto mb-0",
                     label_class_name="small"),
                     html.Button("Exporter le plan de patrouille (CSV)", id=Ids.export,
                                 type="button", className="btn btn-sm btn-outline-primary")],
                     className="d-flex justify-content-between align-items-center mb-2"),
                 dcc.Download(id=Ids.download),
                 dcc.Loading(html.Div(id=Ids.table), **loading)),
        _section("Plan de patrouille hebdomadaire", Ids.plan, html.Details([
            html.Summary("Visites par commune et par créneau"),
            dcc.Loading(html.Div(id=Ids.plan), **loading)])),
        _section("Décision", "reco-decision", apply,
                 html.Div(id=Ids.applied, role="status"),
                 html.Div(decisions, id=Ids.decisions, className="table-responsive")),
        _section("Audit du plan", Ids.audit, dcc.Loading(html.Div(id=Ids.audit,
                                                                  className="table-responsive"),
                                                         **loading)),
        _section("Prévision : rétro-évaluation et replis", Ids.backtest,
                 dcc.Loading(html.Div(id=Ids.backtest, className="table-responsive"),
                             **loading)),
    ]


# --- callbacks ---------------------------------------------------------------------------------

def _checked(shown_view):
    """The user (refused with a 403, audited, unless a reader), the territory (403 and audited
    when forged) and the week the browser sent (ScopeError, French, when unusable)."""
    user, scope, warehouse = scaffold.checked_scope(shown_view, needs=Capability.READ_PLANS)
    shown_view = shown_view if isinstance(shown_view, dict) else {}
    week = queries.checked_week(shown_view.get("semaine"),
                                queries.default_plan_week(warehouse))
    return user, scope, week, warehouse


def _decisions(shown_view) -> html.Div:
    """The latest decisions recorded for the territory's brigades."""
    _user, scope, _week, warehouse = _checked(shown_view)
    departement, brigades = queries.brigades_of(warehouse, scope)
    frame = queries.decisions(access.ops_engine(), brigades)
    if frame.empty:
        return components.empty_state("Aucune décision enregistrée pour ce territoire.")
    _compagnies, names = reference.units(warehouse, [departement] if departement else [])
    return components.data_table(
        view.decision_frame(frame, dict(zip(names["brigade_id"], names["nom"], strict=True))),
        view.DECISION_COLUMNS, "Dernières décisions appliquées", decimals={"total_hours": 1},
        table_id=f"{Ids.decisions}-donnees")


def _plan(shown_view, values):
    """The checked request's plan: (recommendation, scope, week, warehouse), or the list of
    French problems with the what-if values."""
    _user, scope, week, warehouse = _checked(shown_view)
    options, problems = view.parse_options(values)
    if problems:
        return problems
    rec = queries.recommendation(warehouse, access.ops_engine(), scope, week, options)
    return rec, scope, week, warehouse


RESULTS = [Output(Ids.messages, "children"), Output(Ids.status, "children"),
           Output(Ids.infeasible, "children"), Output(Ids.kpis, "children"),
           Output(Ids.map, "figure"), Output(Ids.map_caption, "children"),
           Output(Ids.table, "children"), Output(Ids.plan, "children"),
           Output(Ids.audit, "children"), Output(Ids.backtest, "children"),
           Output(Ids.shown, "data")]


@callback(*RESULTS, Input(Ids.view, "data"), Input(Ids.recompute, "n_clicks"),
          Input(Ids.rows, "value"), *[Input(i, "value") for i in FIELD_IDS])
def _update(shown_view, _clicks, rows, *values):
    if not isinstance(shown_view, dict):
        raise PreventUpdate
    entered = dict(zip([f.key for f in view.ALL_FIELDS], values, strict=True))
    try:
        result = _plan(shown_view, entered)
    except READ_ERRORS as exc:
        message = failure(exc, "recommandations")
        return (components.empty_state(message, tone="warning"), "", None, None,
                empty_figure(message), "", None, None, None, None, None)
    if isinstance(result, list):
        return (view.problems(result), "Paramètres non utilisables : plan non recalculé.",
                *[no_update] * (len(RESULTS) - 2))
    rec, scope, _week, warehouse = result
    communes = rec.communes
    departement, _brigades = queries.brigades_of(warehouse, scope)
    run = queries.national_run(warehouse, departement, tuple(communes["brigade_id"].unique()))
    url = map_shapes.url_for("commune", "departement", departement, warehouse)
    names = dict(zip(communes["code_commune"], communes["nom"], strict=True))
    return (None, figures.status_text(rec), view.infeasible(rec),
            [audit_view.headline(run, departement), components.kpi_cards(figures.key_figures(rec))],
            figures.change_map(communes, url, not str(departement).startswith("97")),
            figures.map_caption(communes),
            view.commune_table(rec, dash.get_relative_path("/"), f"{Ids.table}-donnees",
                               view.table_rows(rows)),
            view.plan_table(rec, f"{Ids.plan}-donnees", view.table_rows(rows)),
            audit_view.audit_section(rec.audit, names, run, departement),
            audit_view.backtest_section(communes, run, rec.inputs.forecast_source),
            view.shown_values(rec.options))


@callback(Output(Ids.applied, "children"), Output(Ids.decisions, "children"),
          Input({"type": Ids.apply, "index": ALL}, "n_clicks"),
          State(Ids.view, "data"), State(Ids.shown, "data"), prevent_initial_call=True)
def _apply(clicks, shown_view, shown):
    """Records the plan on screen (recomputed on the server from its checked parameters)."""
    access.require(Capability.READ_PLANS, "application d'un plan de recommandations")
    user = access.require(Capability.APPLY_PLANS, "application d'un plan de recommandations")
    if not isinstance(clicks, list) or not any(clicks):
        raise PreventUpdate
    try:
        result = _plan(shown_view, shown)
        if isinstance(result, list):
            return view.problems(result), no_update
        rec, scope, week, warehouse = result
        if not rec.plans:
            return components.empty_state("Aucune brigade n'a de plan possible : rien n'est "
                                          "appliqué.", tone="warning"), no_update
        departement, brigades = queries.brigades_of(warehouse, scope)
        run = queries.national_run(warehouse, departement, brigades)
        applied = queries.apply(access.ops_engine(), user.login, rec,
                                queries.run_id_for(run, week), access.client_address())
    except READ_ERRORS as exc:
        return components.empty_state(failure(exc, "recommandations"), tone="warning"), \
            no_update
    names = dict(zip(rec.communes["brigade_id"], rec.communes["brigade"], strict=False))
    message = view.applied_message(applied, names, rec.inputs.semaine)
    return (html.Div(message, className="alert alert-success mb-2", id="reco-applique"),
            _decisions(shown_view))


def _export(shown_view, shown):
    result = _plan(shown_view, shown)
    if isinstance(result, list):
        return None
    rec, scope, _week, warehouse = result
    synthetic = bool(reference.synthetic_sources(warehouse))
    return (view.plan_frame(rec, synthetic), view.plan_columns(synthetic),
            view.plan_filename(rec, scope.to_param()))


scaffold.register_csv_export("recommandations", Ids.download, Ids.export,
                             State(Ids.view, "data"), State(Ids.shown, "data"), build=_export)

# A new territory or week is a new address: Dash's page router renders the page for it.
clientside_callback(
    """
    function (perimetre, semaine) {
        const params = new URLSearchParams(window.location.search);
        ["departement", "compagnie", "brigade"].forEach((k) => params.delete(k));
        if (perimetre) { params.set("perimetre", perimetre); }
        if (semaine) { params.set("semaine", semaine); }
        const search = "?" + params.toString();
        return search === window.location.search ? window.dash_clientside.no_update : search;
    }
    """,
    Output(Ids.address, "search"),
    Input(Ids.territory, "value"),
    Input(Ids.week, "value"),
    prevent_initial_call=True,
)

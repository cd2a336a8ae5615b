"""Page « Suivi des attentes DCAS » (``/suivi-dcas``): the work list of the élus' open
expectations (DCAS consultations « à traiter » or « en cours ») of a territory, oldest first,
the overdue ones marked, filterable and exportable, and the follow-up of one consultation
(actions taken, status, date, satisfaction) with its history.

Roles: a brigade works on its own brigade's communes; a commandant on his département (all its
brigades, or one); an administrator anywhere (a département, compagnie, brigade or commune at a
time, never France at once). Préfets read their département's list, export it and see a
consultation's history, without the form. Analysts are refused: the list is the units'
follow-up tool (free-text actions of named units), and the analytical pages and the warehouse
give them the DCAS figures nationally. Every callback checks the role and the territory from
the session (a forged territory or record is a 403, audited); a value that was never offered is
a French 400.

The list reads the operational store directly (a form's record is there at once) and adds the
warehouse's open consultations the store does not hold (« importées »). Following an imported
consultation up adopts it: the store takes a copy of it (same id) with the follow-up, and keeps
it from then on.
"""

from __future__ import annotations

import uuid

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.core import access, components, page_state, scaffold
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.core.scope import ScopeError
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.queries import suivi_dcas as queries
from dashboard.views import saisie as saisie_view
from dashboard.views import suivi_dcas as view
from dashboard.views import suivi_dcas_form as form
from etl import clock
from etl.ops import records
from etl.roles import Capability

PATH = "/suivi-dcas"
dash.register_page(
    __name__,
    path=PATH,
    name="Suivi DCAS",
    title="Suivi des attentes DCAS — Présents pour les élus",
    description="Liste de travail des attentes ouvertes des élus (DCAS) et leur suivi.",
    nav=False,
    capability=Capability.FOLLOW_DCAS,
)

PAGE = "suivi-dcas"
#: territories a list is drawn for (France at once would be the whole country's)
LEVELS = ("departement", "compagnie", "brigade", "commune")
TITLE = "Suivi des attentes DCAS"
INTRO = (f"Attentes des élus recueillies lors des consultations DCAS et encore ouvertes (à "
         f"traiter ou en cours), de la plus ancienne à la plus récente ; au-delà de "
         f"{view.OVERDUE_DAYS} jours, une attente est signalée « {view.OVERDUE_LABEL} ».")
READ_ONLY_NOTE = "Lecture seule : le suivi est enregistré par les brigades et les commandants."
CHOOSE = "Choisissez un département, une compagnie ou une brigade pour afficher sa liste."


class Ids:
    territory = "suivi-dcas-perimetre"
    address = "suivi-dcas-adresse"
    view = "suivi-dcas-vue"  # the territory of this rendering
    status = "suivi-dcas-filtre-statut"
    priority = "suivi-dcas-filtre-priorite"
    theme = "suivi-dcas-filtre-theme"
    overdue = "suivi-dcas-filtre-retard"
    count = "suivi-dcas-compte"
    kpis = "suivi-dcas-kpis"
    table = "suivi-dcas-liste"
    export = "suivi-dcas-export"
    download = "suivi-dcas-telechargement"
    choice = "suivi-dcas-choix"
    form = "suivi-dcas-suivi"
    details = "suivi-dcas-details"
    state = "suivi-dcas-etat"  # the consultation on the form: origin, id, version, form key
    save = "suivi-dcas-enregistrer"  # pattern-matching id: absent for préfets
    message = "suivi-dcas-message"
    summary = "suivi-dcas-bilan"  # the error summary (its own id: saisie.summary_id)
    history = "suivi-dcas-historique"
    saved = "suivi-dcas-enregistrements"  # changed by each save: the list is read again
    focus = "suivi-dcas-focus"


INPUTS = form.input_ids()


# --- layout ------------------------------------------------------------------------------------

def _filters(options: list[dict], scope: str | None, single: bool) -> html.Div:
    choices = view.filter_options()

    def pick(label, id_, opts):
        return html.Div([html.Label(label, htmlFor=id_, className="form-label fw-semibold"),
                         components.dropdown(id=id_, options=opts, value=view.ALL,
                                             clearable=False)], className="col-md-3")
    return html.Div([
        html.Div([html.Label("Territoire", htmlFor=Ids.territory,
                             className="form-label fw-semibold"),
                  components.dropdown(id=Ids.territory, options=options, value=scope,
                                      clearable=False, disabled=single, maxHeight=360,
                                      placeholder="Choisir un territoire")],
                 className="col-md-12 col-lg-3"),
        pick("Statut", Ids.status, choices["statut"]),
        pick("Priorité", Ids.priority, choices["priorite"]),
        pick("Thème", Ids.theme, choices["theme"]),
        html.Div(dbc.Checklist(id=Ids.overdue, options=[
            {"label": f"{view.OVERDUE_LABEL} seulement (plus de {view.OVERDUE_DAYS} jours)",
             "value": "oui"}], value=[], switch=True), className="col-12"),
        dcc.Location(id=Ids.address, refresh="callback-nav"),
    ], className="row g-3 mb-3 filters", role="search",
        **{"aria-label": "Filtres de la liste de suivi"})


def _form(writer: bool) -> html.Section:
    """The follow-up of the chosen consultation; its inputs stay in the page for every role
    (the callbacks fill them), hidden and without the button for readers."""
    inputs = html.Div([
        *form.fields(),
        html.Button("Enregistrer le suivi", id={"type": Ids.save, "index": "suivi"},
                    type="button", className="btn btn-primary") if writer else None,
    ], hidden=not writer)
    return html.Section([
        html.H2("Suivi d'une consultation", id=f"{Ids.form}-titre", className="h5 mt-4"),
        html.Div([html.Label("Consultation à suivre", htmlFor=Ids.choice,
                             className="form-label fw-semibold"),
                  components.dropdown(id=Ids.choice, options=[], value=None, maxHeight=360,
                                      placeholder="Choisir une consultation de la liste")],
                 className="mb-3"),
        html.Div(id=Ids.summary),
        html.Div(id=Ids.message, role="status"),
        html.Div([html.Div(id=Ids.details),
                  html.P(READ_ONLY_NOTE, className="small") if not writer else None,
                  inputs,
                  html.H3("Historique", className="h6 mt-4"),
                  html.Div(id=Ids.history, className="table-responsive")],
                 id=Ids.form, hidden=True),
        dcc.Store(id=Ids.state), dcc.Store(id=Ids.saved, data=0), dcc.Store(id=Ids.focus),
    ], **{"aria-labelledby": f"{Ids.form}-titre"})


def layout(perimetre=None, **_query) -> html.Div:
    """The page for ``?perimetre=brigade:B35047`` (optional: the user's own territory)."""
    _user, refused = scaffold.gate(__name__, TITLE)
    if refused is not None:
        return html.Div([html.H1(TITLE, className="h3 mb-1"), refused,
                         dcc.Store(id=Ids.view, data=None)])
    context = scaffold.page_context(PAGE, perimetre)
    context.problems = [p for p in context.problems if p != page_state.NO_FACTS]
    user = context.user
    shown, body, bar = None, [], _filters([], None, True)
    if context.ready:
        scope = context.state.scope
        listed = scope.level in LEVELS
        try:
            options = page_state.options(user, context.warehouse, scope)
            bar = _filters(view.territory_options(options, LEVELS),
                           scope.to_param() if listed else None, user.by_brigade)
        except READ_ERRORS as exc:
            body.append(components.empty_state(failure(exc, PAGE), tone="warning"))
        if listed:
            shown = {"perimetre": scope.to_param()}
        else:
            body.append(components.empty_state(CHOOSE, tone="info"))
    return scaffold.page(
        context, TITLE, INTRO, *body,
        html.P(id=Ids.count, role="status", className="small fw-semibold"),
        html.Div(id=Ids.kpis, className="mb-3"),
        html.Div([html.Button("Exporter (CSV)", id=Ids.export, type="button",
                              className="btn btn-sm btn-outline-primary"),
                  dcc.Download(id=Ids.download)], className="d-flex justify-content-end my-2"),
        dcc.Loading(html.Div(id=Ids.table), delay_show=1000),
        _form(user is None or user.can(Capability.ENTER_RECORDS)),
        dcc.Store(id=Ids.view, data=shown), title_id=f"{PAGE}-titre",
        bar=html.Div([saisie_view.subnav(PATH, dash.get_relative_path), bar]))


# --- callbacks ---------------------------------------------------------------------------------

def _checked(shown):
    """The user (403, audited, unless a reader), the territory the browser sent (403 and
    audited when forged; a French message when it is not one a list is drawn for) and the
    warehouse."""
    user, scope, warehouse = scaffold.checked_scope(shown, needs=Capability.FOLLOW_DCAS)
    if scope.level not in LEVELS:
        raise ScopeError(CHOOSE)
    return user, scope, warehouse


def _listed(shown, statut, priorite, theme, overdue):
    """(the filtered work list, the whole list's territory) of a checked request."""
    _user, scope, warehouse = _checked(shown)
    filters = view.parse_filters(statut, priorite, theme, overdue)
    frame, communes = queries.work_list(warehouse, access.ops_engine(), scope)
    return view.filtered(view.prepared(frame, communes, clock.today()), filters), scope


@callback(Output(Ids.count, "children"), Output(Ids.kpis, "children"),
          Output(Ids.table, "children"), Output(Ids.choice, "options"),
          Input(Ids.view, "data"), Input(Ids.status, "value"), Input(Ids.priority, "value"),
          Input(Ids.theme, "value"), Input(Ids.overdue, "value"), Input(Ids.saved, "data"))
def _update(shown, statut, priorite, theme, overdue, _saved):
    if not isinstance(shown, dict):
        raise PreventUpdate
    try:
        frame, _scope = _listed(shown, statut, priorite, theme, overdue)
    except READ_ERRORS as exc:
        return "", None, components.empty_state(failure(exc, PAGE), tone="warning"), []
    table = view.work_table(frame, f"{Ids.table}-donnees") if len(frame) else \
        components.empty_state("Aucune attente ouverte ne correspond à ces filtres.")
    return view.count_text(len(frame)), components.kpi_cards(view.key_figures(frame)), table, \
        view.choice_options(frame)


def _export(shown, statut, priorite, theme, overdue):
    frame, scope = _listed(shown, statut, priorite, theme, overdue)
    return (view.export_frame(frame), view.EXPORT_COLUMNS,
            view.export_filename(scope.to_param(), clock.today()))


scaffold.register_csv_export(PAGE, Ids.download, Ids.export, State(Ids.view, "data"),
                             State(Ids.status, "value"), State(Ids.priority, "value"),
                             State(Ids.theme, "value"), State(Ids.overdue, "value"),
                             build=_export)


def _consultation(user, scope, warehouse, ident):
    """(origin, values, record) of the chosen consultation (:func:`queries.consultation`), once
    it lies in the checked territory (403, audited, otherwise); None when it is not there."""
    found = queries.consultation(access.ops_engine(), warehouse, ident)
    if found is not None and found[1]["code_commune"] not in set(
            queries.communes_of(warehouse, scope)["code"]):
        access.refuse(user, f"consultation DCAS hors périmètre : {access.shown(ident)}")
    return found


FORM = [Output(Ids.form, "hidden"), Output(Ids.details, "children"),
        *[Output(i, "value") for i in INPUTS.values()], Output(Ids.state, "data"),
        Output(Ids.history, "children"), Output(Ids.message, "children"),
        Output(Ids.summary, "children"),
        *[Output(saisie_view.error_id(form.FORM, n), "children") for n in form.NAMES],
        Output(Ids.saved, "data")]
KEEP = [dash.no_update] * (2 + len(INPUTS))  # the consultation and its inputs, as they are
NO_ERRORS = [None] * len(form.NAMES)


def _history(record_id) -> html.Div:
    rows = form.history_frame(queries.history(access.ops_engine(), record_id))
    return components.data_table(rows, form.HISTORY_COLUMNS, "Versions de l'enregistrement",
                                 table_id=f"{Ids.history}-donnees")


def _closed(message=dash.no_update) -> tuple:
    """No consultation on the form (its choice cleared, or the consultation left the list
    once followed up: the message of its saving stays)."""
    return (True, None, "", None, None, None, None, None, message, None, *NO_ERRORS,
            dash.no_update)


def _show(choice, shown):
    """The form for the chosen consultation, with its current values and its history."""
    if choice is None or choice == "":
        return _closed()
    ident = form.parse_choice(choice)
    user, scope, warehouse = _checked(shown)
    found = _consultation(user, scope, warehouse, ident)
    if found is None:
        return _closed(components.empty_state(records.NOT_FOUND.capitalize() + ".",
                                              tone="warning"))
    origin, values, record = found
    code = values["code_commune"]
    commune = queries.commune_names(warehouse, [code]).get(code, code)
    state = form.form_state(ident, record["id"] if record else None,
                            record["version"] if record else None, saisie.new_form_key())
    history = _history(record["id"]) if record else components.empty_state(
        form.IMPORTED_HISTORY)
    return (False, form.details(values, commune, origin, clock.today()),
            *form.form_values(values, clock.today()), state, history, None, None, *NO_ERRORS,
            dash.no_update)


def _save(clicks, shown, state, entered):
    """Records the follow-up through the forms' door (``_saisie.save_changes``): a correction of
    the stored record at the version the form showed, or the adoption of an imported
    consultation (the store takes a copy with the follow-up)."""
    _user, scope, warehouse = _checked(shown)
    user = saisie.require_writer()  # préfets read: 403, audited
    if not isinstance(clicks, list) or not any(clicks):
        raise PreventUpdate
    ident, record_id, version, key = form.parse_form_state(state)
    changes = form.follow_up_changes(*entered)
    found = _consultation(user, scope, warehouse, ident)
    if found is None:
        return _not_saved({"*": records.NOT_FOUND})
    _origin, values, record = found
    if not saisie.scope_check_for(user, warehouse)(values):
        access.refuse(user, f"suivi de la consultation DCAS {access.shown(ident)} hors de "
                            "votre périmètre d'écriture")
    result = saisie.save_changes(queries.SOURCE, record_id, version, changes, record,
                                 form.adopted(values, changes), key)
    return _answer(result, ident, adopted=record_id is None)


def _not_saved(reasons) -> tuple:
    summary, *errors = form.errors_out(reasons)
    return (*KEEP, dash.no_update, dash.no_update, None, summary, *errors, dash.no_update)


def _answer(result: records.Result, ident, adopted: bool):
    if not result.ok:
        return _not_saved(result.errors)
    state = form.form_state(ident, result.record_id, result.version, saisie.new_form_key())
    message = html.Div(form.saved_message(ident, result.version, adopted),
                       className="alert alert-success mb-2", id=f"{Ids.message}-ok")
    return (*KEEP, state, _history(result.record_id), message, None, *NO_ERRORS,
            uuid.uuid4().hex)


@callback(*FORM, Input(Ids.choice, "value"), Input({"type": Ids.save, "index": ALL}, "n_clicks"),
          State(Ids.view, "data"), State(Ids.state, "data"),
          *[State(i, "value") for i in INPUTS.values()], prevent_initial_call=True)
def _follow_up(choice, clicks, shown, state, *entered):
    try:
        if isinstance(ctx.triggered_id, dict):
            return _save(clicks, shown, state, entered)
        return _show(choice, shown)
    except READ_ERRORS as exc:
        return (*KEEP, dash.no_update, dash.no_update, components.empty_state(
            failure(exc, PAGE), tone="warning"), None, *NO_ERRORS, dash.no_update)


# a refused follow-up takes the keyboard focus to its error summary (RGAA)
formulaire.register_result_focus(Ids.summary, Ids.focus)

# A new territory is a new address: Dash's page router renders the page for it.
clientside_callback(
    """
    function (perimetre) {
        const params = new URLSearchParams(window.location.search);
        if (perimetre) { params.set("perimetre", perimetre); }
        const search = "?" + params.toString();
        return search === window.location.search ? window.dash_clientside.no_update : search;
    }
    """,
    Output(Ids.address, "search"),
    Input(Ids.territory, "value"),
    prevent_initial_call=True,
)

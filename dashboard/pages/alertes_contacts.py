"""Page « Contacts des élus » — the élus' contacts for SMS alerts in the user's scope: function,
commune, number (shown to the roles that send alerts, masked for the others), opt-in with its
date and channel, origin (entered here or imported from a file). Those who send alerts
(brigades, commandants, administrators, in their scope) add a contact — through the forms' one
door (``contacts`` source: the number parsed and stored in E.164, a French reason otherwise) —
and opt one out (« Désinscrire », ``etl.alerts.contacts.opt_out``: at once, the messages still
waiting for it cancelled). A contact or a commune outside the scope is a 403 (audited).

The list is paginated on the server (:data:`dashboard.views.alertes_contacts.PAGE_SIZE` a
page) with a search on the commune and the function: only the page shown, and its buttons,
reach the browser.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.core import access, components
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _alertes as rules
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.queries import alertes as queries
from dashboard.views import alertes as common
from dashboard.views import alertes_contacts as view
from dashboard.views import saisie as forms
from etl import clock

PATH = common.CONTACTS_PATH
dash.register_page(
    __name__, path=PATH, name="Contacts des élus",
    title="Contacts des élus pour les alertes SMS — Présents pour les élus",
    description="Les contacts des élus pour les alertes SMS : fonction, commune, numéro, "
                "accord ; ajouter un contact, désinscrire un élu.",
    order=23, nav=False)
TITLE = "Contacts des élus pour les alertes SMS"
PAGE = "alertes_contacts"


class Ids:
    view = "contacts-vue"
    departement = "contacts-departement"
    address = "contacts-adresse"
    count = "contacts-compte"
    search = "contacts-recherche"
    page = "contacts-page"
    previous = "contacts-page-precedente"
    next = "contacts-page-suivante"
    pages = "contacts-pages"
    table = "contacts-liste"
    message = "contacts-message"
    submit = "contact-enregistrer"
    result = "contact-resultat"
    key = "contact-cle"
    added = "contacts-ajouts"
    removed = "contacts-desinscriptions"
    focus = "contact-focus"


def _chooser(warehouse, dep) -> html.Div:
    return html.Div([
        html.Label("Département", htmlFor=Ids.departement, className="form-label fw-semibold"),
        components.dropdown(id=Ids.departement, options=rules.departement_options(warehouse)
                            if warehouse is not None else [],
                            value=dep, clearable=False, maxHeight=360,
                            placeholder="Choisir un département"),
        dcc.Location(id=Ids.address, refresh="callback-nav"),
    ], className="mb-3 filters", role="search", **{"aria-label": "Département des contacts"})


def _search() -> html.Div:
    return html.Div([
        html.Label("Rechercher un contact", htmlFor=Ids.search, className="form-label fw-semibold"),
        html.Span(" — commune (nom ou code) ou fonction", className="small text-body-secondary"),
        dbc.Input(id=Ids.search, type="search", debounce=300, maxLength=view.SEARCH_MAX,
                  autoComplete="off", placeholder="Par exemple : Javené, 35142, maire"),
    ], className="mb-2 col-lg-6", role="search", **{"aria-label": "Contacts des élus"})


def _pager(first: bool = True, last: bool = True, pages: str = "") -> html.Nav:
    return html.Nav([
        html.Button("Page précédente", id=Ids.previous, type="button", disabled=first,
                    className="btn btn-sm btn-outline-primary"),
        html.Span(pages, id=Ids.pages, className="small mx-2", **{"aria-live": "polite"}),
        html.Button("Page suivante", id=Ids.next, type="button", disabled=last,
                    className="btn btn-sm btn-outline-primary"),
    ], className="d-flex align-items-center my-2", **{"aria-label": "Pages de la liste"})


def _form(communes) -> html.Section:
    choices = forms.commune_choices(communes)
    return html.Section([
        html.H2("Ajouter un contact", id="contact-formulaire-titre", className="h5"),
        html.Div(id=Ids.result),
        *view.form_fields(choices, clock.today().isoformat()),
        html.Button("Enregistrer le contact", id=Ids.submit, type="button",
                    className="btn btn-primary"),
        dcc.Store(id=Ids.key, data=saisie.new_form_key()), dcc.Store(id=Ids.focus),
    ], className="card card-body saisie-formulaire mt-4",
        **{"aria-labelledby": "contact-formulaire-titre"})


def layout(departement=None, **_query) -> html.Div:
    user = access.current_user()
    body, dep, warehouse, communes = rules.page_start(user, departement, PAGE, _chooser)
    manage = user is None or rules.shows_numbers(user)
    intro = ("Un élu ne reçoit d'alerte SMS que s'il l'a accepté (date et canal de son "
             "accord). « Désinscrire » vaut à l'instant : les messages qui lui restaient à "
             "envoyer sont annulés." if manage else rules.NOT_SENDER)
    # the first page comes with the page itself (no round trip before the table is drawn)
    text, table, first, last, pages, _page = ("", None, True, True, "", 1)
    if user is not None and warehouse is not None and communes is not None:
        try:
            text, table, first, last, pages, _page = _listing(user, warehouse, communes, "", 1)
        except READ_ERRORS as exc:
            table = components.empty_state(failure(exc, PAGE), tone="warning")
    return html.Div([
        html.H1(TITLE, className="h3 mb-2"),
        common.subnav(PATH, dash.get_relative_path,
                      composer=rules.composes(user)),
        html.P(intro, className="text-body-secondary"),
        *body,
        _search(),
        html.P(text, id=Ids.count, role="status", className="small fw-semibold"),
        html.Div(id=Ids.message),
        dcc.Loading(html.Div(table, id=Ids.table, className="table-responsive"),
                    delay_show=1000),
        _pager(first, last, pages),
        _form(communes if communes is not None else pd.DataFrame(
            columns=rules.COMMUNE_COLUMNS)) if manage and (
            user is None or communes is not None and len(communes)) else None,
        dcc.Store(id=Ids.view, data={"departement": dep}),
        dcc.Store(id=Ids.added, data=0), dcc.Store(id=Ids.removed, data=0),
        dcc.Store(id=Ids.page, data=1),
    ])


# --- callbacks ---------------------------------------------------------------------------------

def _scope(shown):
    user = access.require_user()
    shown = shown if isinstance(shown, dict) else {}
    warehouse = data.get_warehouse()
    dep = rules.departement_for(user, warehouse, shown.get("departement"))
    return user, warehouse, rules.target_communes(user, warehouse, dep)


def _listing(user, warehouse, communes, search: str, page: int) -> tuple:
    """(the count's text, the table of page ``page`` of the contacts matching ``search``,
    « précédente » disabled, « suivante » disabled, the pager's text, the page shown)."""
    found = queries.contacts_of(warehouse, rules.engine(), communes["code"].tolist())
    names = dict(zip(communes["code"], communes["nom"], strict=True))
    matched = view.matching(found, names, search)
    rows, page = view.page_rows(matched, page)
    pages = view.pages_of(len(matched))
    text = view.count_text(found, matched, search, page)
    table = None if rows.empty else view.contacts_table(
        rules.masked(rows, user), names, rules.shows_numbers(user),
        f"Contacts des élus pour les alertes SMS — page {page} sur {pages}")
    return (text, table, *view.pager(page, pages), page)


@callback(Output(Ids.count, "children"), Output(Ids.table, "children"),
          Output(Ids.previous, "disabled"), Output(Ids.next, "disabled"),
          Output(Ids.pages, "children"), Output(Ids.page, "data"),
          Input(Ids.view, "data"), Input(Ids.added, "data"), Input(Ids.removed, "data"),
          Input(Ids.search, "value"), Input(Ids.previous, "n_clicks"),
          Input(Ids.next, "n_clicks"), State(Ids.page, "data"), prevent_initial_call=True)
def _list(shown, _added, _removed, search, _previous, _next, page):
    """The list again after a search, a page turned, a contact added or opted out (the first
    page is drawn with the page, :func:`layout`)."""
    if access.current_user() is None:
        raise PreventUpdate
    search, page = view.search_param(search), view.page_param(page)
    fired = set(ctx.triggered_prop_ids.values())
    page = (1 if Ids.search in fired else page - 1 if Ids.previous in fired
            else page + 1 if Ids.next in fired else page)
    try:
        user, warehouse, communes = _scope(shown)
        return _listing(user, warehouse, communes, search, page)
    except READ_ERRORS as exc:
        return ("", components.empty_state(failure(exc, PAGE), tone="warning"), True, True,
                "", 1)


@callback(Output(Ids.result, "children"),
          *[Output(forms.error_id(view.FORM, n), "children") for n in view.NAMES],
          Output(Ids.key, "data"), Output(Ids.added, "data"),
          Input(Ids.submit, "n_clicks"),
          State(forms.field_id(view.FORM, ALL), "value"), State(Ids.key, "data"),
          State(Ids.added, "data"), prevent_initial_call=True,
          running=[(Output(Ids.submit, "disabled"), True, False)])
def _add(_clicks, _values, key, added):
    saisie.require_writer()  # préfets and analysts: 403, audited
    entered = forms.values_from(ctx.states_list[0])
    values = {n: entered.get(n) for n in view.NAMES}
    try:
        result = saisie.submit_form("contacts", values, key)
    except READ_ERRORS as exc:
        return (components.empty_state(failure(exc, PAGE), tone="warning"),
                *[None] * len(view.NAMES), dash.no_update, dash.no_update)
    if not result.ok:
        return (view.error_summary(result.errors), *view.field_errors(result.errors),
                dash.no_update, dash.no_update)
    what = "Contact déjà enregistré" if result.replayed else "Contact enregistré"
    return (forms.confirmation(result.ident, result.record_id, what),
            *[None] * len(view.NAMES), saisie.new_form_key(),
            (added if isinstance(added, int) else 0) + 1)


@callback(Output(Ids.message, "children"), Output(Ids.removed, "data"),
          Input({"type": view.OPT_OUT, "index": ALL}, "n_clicks"),
          State(Ids.view, "data"), State(Ids.removed, "data"), prevent_initial_call=True)
def _opt_out(clicks, shown, removed):
    if not isinstance(clicks, list) or not any(clicks):
        raise PreventUpdate
    trigger = ctx.triggered_id
    ident = rules.contact_param(trigger.get("index") if isinstance(trigger, dict) else None)
    user, warehouse, communes = _scope(shown)
    result = rules.opt_out(user, warehouse, set(communes["code"]), ident)
    if not result.ok:
        return components.empty_state("Désinscription impossible : " + "; ".join(
            result.errors.values()) + ".", tone="warning"), dash.no_update
    return view.opted_out_message(ident), (removed if isinstance(removed, int) else 0) + 1


formulaire.register_result_focus(Ids.result, Ids.focus)

rules.register_departement_address(Ids.address, Ids.departement)

"""Page « Nouvelle alerte » — an SMS alert to the élus of an area, composed with what it will
cost shown live: the recipients (élus with opt-in in the area, by function, numbers masked), the
encoding (GSM-7 or UCS-2, ``etl.alerts.encoding``), the characters, the SMS parts per recipient
and in total, and the characters forcing UCS-2 with one button to replace them. « Soumettre à
validation » writes the alert ``a_valider`` (``etl.alerts.workflow.create``: once per form
display, rate-limited, audited); a commandant of the département validates it on its page.

The area is one list of communes (the user's: a brigade's own, a département's for the others),
filled from the list itself, from a click on the map (a commune toggles), from a brigade's
communes, or from every commune within N km of one. Each callback checks what the browser sent
against the session: a commune, a brigade or a département outside the user's scope is a 403
(audited). Préfets and analysts read a French refusal; their callbacks are 403s.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.core import access, components, map_shapes, scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _alertes as rules
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.views import alertes as common
from dashboard.views import alertes_nouvelle as view
from etl.alerts import area, encoding, workflow

PATH = common.NEW_PATH
dash.register_page(
    __name__, path=PATH, name="Nouvelle alerte",
    title="Nouvelle alerte SMS — Présents pour les élus",
    description="Rédiger une alerte SMS aux élus d'un secteur : destinataires, codage et nombre "
                "de SMS calculés pendant la saisie, puis validation par un commandant.",
    order=21, nav=False)
TITLE = "Nouvelle alerte SMS"
PAGE = "alertes_nouvelle"
#: characters a forged message may have at most (the textarea stops far below)
MAX_INPUT = 4 * workflow.MAX_MESSAGE


class Ids:
    communes = view.FOCUS["communes"]
    selection = "alerte-selection"
    brigade = "alerte-brigade"
    add_brigade = "alerte-ajouter-brigade"
    centre = "alerte-centre"
    km = "alerte-rayon"
    add_radius = "alerte-ajouter-rayon"
    area_message = "alerte-zone-message"
    map = "alerte-carte"
    recipients = "alerte-destinataires"
    count = "alerte-nombre-destinataires"
    category = view.FOCUS["categorie"]
    facts = view.FOCUS["faits_le"]
    message = view.FOCUS["message"]
    counts = "alerte-comptes"
    offending = "alerte-caracteres-speciaux"
    replace = "alerte-remplacer"
    submit = "alerte-soumettre"
    result = "alerte-resultat"
    key = "alerte-cle"
    departement = "alerte-departement"
    choose = "alerte-choix-departement"
    address = "alerte-adresse"
    focus = "alerte-focus"


def _label(name: str, target: str) -> html.Label:
    return html.Label([view.FIELDS[name], html.Span(id=view.error_id(name),
                                                    className="saisie-erreur d-block "
                                                              "text-danger small")],
                      htmlFor=target, className="form-label fw-semibold")


def _area(user, communes, departement, warehouse) -> html.Section:
    options = [{"label": f"{n} ({c})", "value": c}
               for c, n in zip(communes["code"], communes["nom"], strict=True)]
    if user is not None and user.by_brigade:
        # its own brigade: a hidden input, so that the callback reads the same property
        brigade = html.Div([html.Button("Ajouter les communes de la brigade", id=Ids.add_brigade,
                                        type="button", className="btn btn-outline-primary"),
                            dcc.Input(id=Ids.brigade, type="hidden", value=user.brigade_id)],
                           className="col-md-5 d-flex align-items-end")
    else:
        brigades = rules.brigades(warehouse, departement) if departement and warehouse else None
        brigade = html.Div([
            html.Label("Brigade", htmlFor=Ids.brigade, className="form-label fw-semibold"),
            components.dropdown(id=Ids.brigade, options=[] if brigades is None else [
                {"label": f"{n} ({b})", "value": b}
                for b, n in zip(brigades["brigade_id"], brigades["nom"], strict=True)],
                placeholder="Choisir une brigade…"),
            html.Button("Ajouter les communes de cette brigade", id=Ids.add_brigade,
                        type="button", className="btn btn-outline-primary mt-2"),
        ], className="col-md-5")
    figure = None
    if departement and len(communes):
        url = map_shapes.url_for("commune", "departement", departement, warehouse)
        figure = view.area_figure(communes, [], url, not departement.startswith("97"))
    return html.Section([
        html.H2("Zone ciblée", id="alerte-zone-titre", className="h5"),
        _label("communes", Ids.communes),
        # no « N sélectionnés » in the button (said below it): the button's visible text is
        # then its name's end (axe-core: label-content-name-mismatch, WCAG 2.5.3)
        components.dropdown(id=Ids.communes, options=options, value=[], multi=True,
                            searchable=True, placeholder="Choisir des communes…",
                            maxHeight=320, labels={"selected_count": ""}),
        html.P(view.selection_text([]), id=Ids.selection, className="small mt-1"),
        html.Div([
            brigade,
            html.Div([
                html.Label("Autour de la commune", htmlFor=Ids.centre,
                           className="form-label fw-semibold"),
                components.dropdown(id=Ids.centre, options=options, placeholder="Choisir…"),
                # the label above its input, as every field of the form
                html.Label("Rayon (km, de 1 à 50)", htmlFor=Ids.km,
                           className="form-label fw-semibold mt-2"),
                dbc.Input(id=Ids.km, type="number", min=1, max=area.MAX_KM, step=1,
                          value=10, style={"maxWidth": "7rem"}),
                html.Button("Ajouter les communes du rayon", id=Ids.add_radius, type="button",
                            className="btn btn-outline-primary mt-2"),
            ], className="col-md-7"),
        ], className="row g-3 mt-1"),
        html.Div(id=Ids.area_message, role="status", className="small mt-2"),
        html.Figure([
            dcc.Graph(id=Ids.map, figure=figure or {"data": [], "layout": {}},
                      config=scaffold.map_config("alerte-zone"), className="map-graph"),
            html.Figcaption("Carte de vos communes : cliquez sur une commune pour l'ajouter à "
                            "la sélection ou l'en retirer (en bleu : sélectionnées). La liste "
                            "ci-dessus dit la même sélection.",
                            className="small text-body-secondary"),
        ], className="mt-3 mb-0", hidden=figure is None),
    ], className="card card-body mb-3", **{"aria-labelledby": "alerte-zone-titre"})


def _message_section() -> html.Section:
    return html.Section([
        html.H2("Texte de l'alerte", id="alerte-message-titre", className="h5"),
        html.Div([
            html.Div([_label("categorie", Ids.category),
                      components.dropdown(id=Ids.category, options=common.category_options(),
                                          placeholder="Choisir une catégorie…")],
                     className="col-md-6"),
            html.Div([_label("faits_le", Ids.facts),
                      dbc.Input(id=Ids.facts, type="datetime-local",
                                value=workflow.local_now().strftime("%Y-%m-%dT%H:%M"))],
                     className="col-md-6"),
        ], className="row g-3 mb-3"),
        _label("message", Ids.message),
        html.P("Choisir une catégorie propose son modèle, modifiable. Les caractères comptés et "
               "le nombre de SMS se mettent à jour pendant la frappe.",
               className="small text-body-secondary mb-1"),
        dbc.Textarea(id=Ids.message, value="", rows=5, maxLength=workflow.MAX_MESSAGE,
                     debounce=False),
        html.Div(id=Ids.counts, className="mt-2", **{"aria-live": "polite"}),
        html.Div([html.P(id=Ids.offending, className="mb-2"),
                  html.Button("Remplacer les caractères spéciaux", id=Ids.replace,
                              type="button", className="btn btn-outline-primary btn-sm")],
                 id=f"{Ids.offending}-bloc", hidden=True, className="alert alert-warning mt-2"),
    ], className="card card-body mb-3", **{"aria-labelledby": "alerte-message-titre"})


def _chooser(warehouse, chosen) -> html.Div:
    return html.Div([
        html.Label("Département", htmlFor=Ids.choose, className="form-label fw-semibold"),
        components.dropdown(id=Ids.choose, options=rules.departement_options(warehouse)
                            if warehouse is not None else [],
                            value=chosen, clearable=False, placeholder="Choisir un département"),
        dcc.Location(id=Ids.address, refresh="callback-nav"),
    ], className="mb-3", role="search", **{"aria-label": "Département de l'alerte"})


def layout(departement=None, **_query) -> html.Div:
    user = access.current_user()
    head = [html.H1(TITLE, className="h3 mb-2"),
            common.subnav(PATH, dash.get_relative_path,
                          composer=rules.composes(user))]
    if not rules.composes(user):
        return html.Div([*head, components.empty_state(rules.NOT_COMPOSER, tone="info")])
    body, dep, warehouse, communes = rules.page_start(user, departement, PAGE, _chooser)
    if communes is None:
        communes = pd.DataFrame(columns=rules.COMMUNE_COLUMNS)
    return html.Div([
        *head,
        html.P("Une alerte part vers les élus qui ont accepté les alertes SMS dans les "
               "communes choisies, après validation par un commandant du département (jamais "
               "son auteur).", className="text-body-secondary"),
        *body,
        html.Div(id=Ids.result),
        _area(user, communes, dep, warehouse),
        html.Section([html.H2("Destinataires", id="alerte-destinataires-titre", className="h5"),
                      html.Div(view.recipients_block(pd.DataFrame(), 0, {}),
                               id=Ids.recipients, **{"aria-live": "polite"})],
                     className="card card-body mb-3",
                     **{"aria-labelledby": "alerte-destinataires-titre"}),
        _message_section(),
        html.Button("Soumettre à validation", id=Ids.submit, type="button",
                    className="btn btn-primary"),
        dcc.Store(id=Ids.key, data=saisie.new_form_key()),
        dcc.Store(id=Ids.departement, data=dep), dcc.Store(id=Ids.count, data=0),
        dcc.Store(id=Ids.focus),
    ])


# --- callbacks ---------------------------------------------------------------------------------

def _scope(departement):
    """The composer, the warehouse, the département (checked) and its communes."""
    user = rules.require_composer()
    warehouse = data.get_warehouse()
    dep = rules.departement_for(user, warehouse, departement)
    return user, warehouse, dep, rules.target_communes(user, warehouse, dep)


@callback(Output(Ids.communes, "value"), Output(Ids.area_message, "children"),
          Input(Ids.add_brigade, "n_clicks"), Input(Ids.add_radius, "n_clicks"),
          Input(Ids.map, "clickData"),
          State(Ids.communes, "value"), State(Ids.brigade, "value"),
          State(Ids.centre, "value"), State(Ids.km, "value"), State(Ids.departement, "data"),
          prevent_initial_call=True)
def _fill(_brigade_clicks, _radius_clicks, click, selected, brigade, centre, km, departement):
    user, warehouse, dep, communes = _scope(departement)
    allowed = set(communes["code"])
    selected = rules.checked_codes(user, allowed, rules.codes_param(selected), "commune ciblée")
    trigger = ctx.triggered_id
    if trigger == Ids.map:
        code = view.clicked_commune(click)
        if code is None:
            raise PreventUpdate
        rules.checked_codes(user, allowed, [code], "commune cliquée")
        return view.toggled(selected, code), None
    if trigger == Ids.add_brigade:
        brigade = rules.checked_brigade(user, warehouse, dep, brigade)
        with warehouse.connection() as con:
            found = area.brigade_communes(con, brigade)
        what = "Communes de la brigade"
    elif trigger == Ids.add_radius:
        if centre in (None, ""):
            return no_update, "Choisissez la commune autour de laquelle chercher."
        if not isinstance(centre, str):
            raise ValueError("centre: a commune code expected")
        rules.checked_codes(user, allowed, rules.codes_param(centre), "commune centre")
        try:
            with warehouse.connection() as con:
                found = area.within_km(con, centre, km)
        except ValueError as exc:
            return no_update, str(exc)[:1].upper() + str(exc)[1:] + "."
        what = f"Communes à moins de {km:g} km"
    else:
        raise PreventUpdate
    kept = [c for c in found if c in allowed]
    return view.added(selected, kept), view.area_message(
        len(set(kept) - set(selected)), len(found) - len(kept), what)


@callback(Output(Ids.recipients, "children"), Output(Ids.count, "data"),
          Output(Ids.map, "figure"), Output(Ids.selection, "children"),
          Input(Ids.communes, "value"), State(Ids.departement, "data"),
          prevent_initial_call=True)
def _recipients(selected, departement):
    user, warehouse, dep, communes = _scope(departement)
    codes = rules.checked_codes(user, set(communes["code"]), rules.codes_param(selected),
                                "commune ciblée")
    try:
        found = rules.always_masked(rules.recipients_now(warehouse, codes))
        names = dict(zip(communes["code"], communes["nom"], strict=True))
        figure = no_update
        if dep and len(communes):
            url = map_shapes.url_for("commune", "departement", dep, warehouse)
            figure = view.area_figure(communes, codes, url, not dep.startswith("97"))
    except READ_ERRORS as exc:
        return components.empty_state(failure(exc, PAGE), tone="warning"), 0, no_update, \
            view.selection_text(codes)
    return (view.recipients_block(found, len(codes), names), len(found), figure,
            view.selection_text(codes))


@callback(Output(Ids.counts, "children"), Output(Ids.offending, "children"),
          Output(f"{Ids.offending}-bloc", "hidden"),
          Input(Ids.message, "value"), Input(Ids.count, "data"))
def _counts(message, recipients):
    if access.current_user() is None:
        raise PreventUpdate
    rules.require_composer()
    if message is None:
        message = ""
    if not isinstance(message, str) or len(message) > MAX_INPUT:
        raise ValueError("message: a text expected")
    if isinstance(recipients, bool) or not isinstance(recipients, int) or recipients < 0:
        raise ValueError("recipients: a count expected")
    counts = view.counts(encoding.analyse(message), recipients, encoding.MAX_PARTS)
    return view.counts_block(counts), counts.offending, counts.offending is None


@callback(Output(Ids.message, "value"),
          Input(Ids.category, "value"), Input(Ids.replace, "n_clicks"),
          State(Ids.message, "value"), prevent_initial_call=True)
def _message(category, _clicks, message):
    rules.require_composer()
    if message is not None and (not isinstance(message, str) or len(message) > MAX_INPUT):
        raise ValueError("message: a text expected")
    if ctx.triggered_id == Ids.replace:
        return encoding.replace_ucs2(message or "")
    if category in (None, ""):
        raise PreventUpdate
    if not isinstance(category, str) or category not in workflow.TEMPLATES:
        raise ValueError("unknown category")
    # a template fills an empty message, or replaces another template left as it was
    if (message or "").strip() and message not in workflow.TEMPLATES.values():
        raise PreventUpdate
    return workflow.TEMPLATES[category]


@callback(Output(Ids.result, "children"),
          *[Output(view.error_id(n), "children") for n in view.FIELDS],
          Output(Ids.key, "data"),
          Input(Ids.submit, "n_clicks"),
          State(Ids.communes, "value"), State(Ids.category, "value"), State(Ids.facts, "value"),
          State(Ids.message, "value"), State(Ids.key, "data"), State(Ids.departement, "data"),
          prevent_initial_call=True, running=[(Output(Ids.submit, "disabled"), True, False)])
def _submit(_clicks, selected, category, facts, message, key, departement):
    user, warehouse, dep, communes = _scope(departement)
    codes = rules.codes_param(selected)
    for value in (category, facts, message):
        if value is not None and (not isinstance(value, str) or len(value) > MAX_INPUT):
            raise ValueError("alert form: texts expected")
    if dep is None:
        return (components.empty_state(rules.CHOOSE_DEPARTEMENT, tone="warning"),
                *[None] * len(view.FIELDS), no_update)
    try:
        with warehouse.connection() as con:
            result = workflow.create(
                rules.engine(), login=user.login, role=user.role, departement=dep,
                unite=rules.author_unit(user, dep), categorie=category, message=message,
                communes=codes, faits_le=facts, allowed_communes=set(communes["code"]),
                idempotency_key=key, address=access.client_address(), limits=rules.limits(),
                con=con)
    except PermissionError as exc:  # audited by the workflow
        raise rules.forbidden(exc) from exc
    except READ_ERRORS as exc:
        return (components.empty_state(failure(exc, PAGE), tone="warning"),
                *[None] * len(view.FIELDS), no_update)
    if not result.ok:
        return view.error_summary(result.errors), *view.field_errors(result.errors), no_update
    return (view.confirmation(result.id_alerte, common.alert_href(
        result.id_alerte, dash.get_relative_path), result.replayed),
        *[None] * len(view.FIELDS), saisie.new_form_key())


formulaire.register_result_focus(Ids.result, Ids.focus)

# a national administrator's département is in the address: the page is drawn again for it
rules.register_departement_address(Ids.address, Ids.choose)

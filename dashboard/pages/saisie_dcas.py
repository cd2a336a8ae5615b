"""Page « Saisie » — a DCAS consultation: what an élu expects from the gendarmerie (themes,
priority, preferred time slots) and the follow-up decided, recorded through the forms' one door
(``dashboard.pages._saisie``). The form is built from the source's declaration
(``etl/sources/dcas.py``); its brigade is the user's (a brigade) or the commune's (a
commandant), never a value from the browser.

Roles: brigades (their communes), commandants (their département) and administrators; préfets
and analysts read the page's message only, and their callbacks are refused (403, audited).
"""

from __future__ import annotations

from datetime import date

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.core import scaffold
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from etl.roles import Capability
from etl.sources.dcas import DCAS

PATH = "/saisie/dcas"
dash.register_page(
    __name__,
    path=PATH,
    name="Saisie",
    title="Saisie d'une consultation DCAS — Présents pour les élus",
    description="Enregistrer une consultation d'élu (DCAS) : attentes par thème, priorité, "
                "créneaux souhaités et suivi ; les autres formulaires de saisie.",
    order=7,
    capability=Capability.ENTER_RECORDS,
)

FORM = "dcas"
#: the fields the form shows: all the source's, in its order, but the brigade (the session's)
NAMES = [n for n in view.shown_fields(DCAS) if n != "brigade_id"]
DEFAULTS = {"statut": "a_traiter"}
TITLE = "Saisie d'une consultation DCAS"


class Ids:
    submit = "dcas-enregistrer"
    result = "dcas-resultat"
    key = "dcas-cle"
    focus = "dcas-focus"


def _choices(user) -> tuple[list, list[str]]:
    """The communes offered (those of the user's that a brigade serves), and any problem."""
    if user is None:
        return [], []
    try:
        communes = saisie.writable_communes(user, data.get_warehouse())
    except READ_ERRORS as exc:
        return [], [failure(exc, "saisie_dcas")]
    return view.commune_choices(communes[communes["brigade_id"].notna()]), []


def layout(**_query) -> html.Div:
    user, refused = scaffold.gate(__name__, TITLE)
    head = [html.H1(TITLE, className="h3 mb-2"), view.subnav(PATH, dash.get_relative_path)]
    if refused is not None:
        return html.Div([*head, refused])
    choices, problems = _choices(user)
    values = DEFAULTS | {"date_consultation": date.today().isoformat()}
    return html.Div([
        *head,
        html.P("Une consultation par élu rencontré. Les champs marqués « obligatoire » sont "
               "à remplir ; l'identifiant de la consultation est attribué à l'enregistrement.",
               className="text-body-secondary"),
        *[view.read_only(p) for p in problems],
        html.Div(id=Ids.result),
        html.Section([
            html.H2("Consultation", id="dcas-formulaire-titre", className="h5"),
            *view.form_fields(FORM, DCAS, NAMES, {"code_commune": choices}, values),
            html.Button("Enregistrer", id=Ids.submit, type="button",
                        className="btn btn-primary"),
        ], className="card card-body saisie-formulaire",
            **{"aria-labelledby": "dcas-formulaire-titre"}),
        dcc.Store(id=Ids.key, data=saisie.new_form_key()),
        dcc.Store(id=Ids.focus),
    ])


@callback(Output(Ids.result, "children"),
          *[Output(view.error_id(FORM, n), "children") for n in NAMES],
          Output(Ids.key, "data"),
          Input(Ids.submit, "n_clicks"),
          State(view.field_id(FORM, ALL), "value"), State(Ids.key, "data"),
          prevent_initial_call=True, running=[(Output(Ids.submit, "disabled"), True, False)])
def _submit(_clicks, _values, key):
    """Records the consultation (once per form display); its errors next to their inputs."""
    user = saisie.require_writer()
    entered = view.values_from(ctx.states_list[0])
    values = {n: entered.get(n) for n in NAMES}
    try:
        warehouse = data.get_warehouse()
        values["brigade_id"] = saisie.brigade_for(user, warehouse, values["code_commune"])
        result = saisie.submit_form("dcas", values, key)
    except READ_ERRORS as exc:
        return view.read_only(failure(exc, "saisie_dcas")), *[None] * len(NAMES), no_update
    if not result.ok:
        return (view.error_summary(FORM, result.errors, DCAS, NAMES),
                *view.field_errors(FORM, result.errors, NAMES), no_update)
    what = "Consultation déjà enregistrée" if result.replayed else "Consultation enregistrée"
    return (view.confirmation(result.ident, result.record_id, what), *[None] * len(NAMES),
            saisie.new_form_key())


saisie.register_result_focus(Ids.result, Ids.focus)

"""Page « Diagnostic cyber » — a commune's cyber self-diagnostic (IMMUNITÉ): the 9 questions,
an immediate score with its colour (said in words) and one piece of advice per weak answer,
and the commune's history (the forms' records and the files' ones, newest first). The rest is
every form page's (``_formulaire.FormPage``: roles, ids, submission).
"""

from __future__ import annotations

from dash import Input, Output, callback, html
from dash.exceptions import PreventUpdate

from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _formulaire as formulaire
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from dashboard.views import saisie_diagnostic as diagnostic_view
from etl import clock
from etl.sources.diagnostics import DIAGNOSTICS, QUESTIONS

SOURCE = DIAGNOSTICS.name
HISTORY = "diagnostic-historique"


def _history(user, warehouse, commune: str):
    """The commune's diagnostics table (the commune checked by the caller)."""
    stored = saisie.stored_records(SOURCE, user, warehouse, limit=50, commune=commune)
    imported = saisie.imported_records(warehouse, SOURCE, commune)
    names = saisie.writable_communes(user, warehouse).set_index("code")["nom"]
    label = f"{names.get(commune, commune)} ({commune})"
    return diagnostic_view.history(diagnostic_view.history_rows(stored, imported), label)


def _sections(_user, _warehouse) -> list:
    return [html.Section([
        html.H2("Historique de la commune", id=f"{HISTORY}-titre", className="h5"),
        html.Div(view.read_only("Choisissez une commune pour voir ses diagnostics."),
                 id=HISTORY, **{"aria-live": "polite"}),
    ], **{"aria-labelledby": f"{HISTORY}-titre"})]


def _scored(user, warehouse, result) -> tuple[list, tuple]:
    """The diagnostic's score and advice, under its confirmation; its commune's history."""
    record = saisie.stored(SOURCE, result.record_id) or {}
    shown = diagnostic_view.scored({q: record.get(q) for q in QUESTIONS})
    return [diagnostic_view.result(shown)], (_history(user, warehouse,
                                                      record.get("code_commune")),)


PAGE = formulaire.register_page(
    __name__, "diagnostic", DIAGNOSTICS, path="/saisie/diagnostic", name="Diagnostic cyber",
    order=11, title="Autodiagnostic cyber d'une commune", heading="Commune et questions",
    description="Les 9 questions de l'autodiagnostic cyber (IMMUNITÉ) d'une commune, son score "
                "immédiat, des conseils et l'historique de la commune.",
    intro="Répondez aux 9 questions avec l'élu ou l'agent chargé de l'informatique de la "
          "mairie : le score (sur 100) et les conseils s'affichent à l'enregistrement.",
    defaults=lambda _user: {"date_diagnostic": clock.today().isoformat()},
    sections=_sections, outputs=[(HISTORY, "children")], after=_scored,
    said=formulaire.saying("Diagnostic enregistré", "Diagnostic déjà enregistré"))
layout = PAGE.layout


@callback(Output(HISTORY, "children"),
          Input(view.field_id(PAGE.form, "code_commune"), "value"), prevent_initial_call=True)
def _commune_history(commune):
    """The chosen commune's history (one of the user's communes: else 403, audited)."""
    if commune is None:
        raise PreventUpdate
    user, warehouse = saisie.check_commune(commune)
    try:
        return _history(user, warehouse, commune)
    except READ_ERRORS as exc:
        return view.read_only(failure(exc, PAGE.page))

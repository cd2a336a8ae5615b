"""The input forms' one builder: every form's inputs come from its source's declaration
(``etl/sources/<source>.py``), so a field added to a source appears in its form and its file
format together.

Pure: no Flask, no store, no warehouse (the pages and ``dashboard.pages._saisie`` do that).

Ids. Each input carries the pattern-matching id :func:`field_id` (``{"type": "<form>-champ",
"name": <field>}``): a page reads all its values with one ``State(field_id(form, ALL),
"value")`` and :func:`values_from`. Dash writes a dict id into the page as its JSON text, keys
sorted, without spaces (:func:`dom_id`): that is the ``id`` of the ``<input>``, ``<textarea>``
or dropdown button, which its ``<label for>`` names (:func:`input_dom_id`). A field answered by
radio buttons or check boxes is a ``<fieldset>`` named by its ``<legend>``; its buttons have
plain ids (:func:`option_dom_id`). The error summary links each error to the input (or the
first button) with ``href="#<id>"``: the browser moves the focus there.

Errors. Dash's input components take no ``aria-describedby``: each field's error slot
(:func:`error_id`) is inside its ``<label>`` (or ``<legend>``), so that the message is read
with the field's name (RGAA 11.10), and shown next to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.core import components
from dashboard.core.formatting import format_number
from etl import clock
from etl.ops.limits import MAX_CODE, MAX_TEXT
from etl.sources.base import Field, Source

#: the longest number typed
MAX_NUMBER = 32
#: an enum of at most this many values is answered with radio buttons, else a dropdown
RADIO_MAX = 5
REQUIRED = "obligatoire"
#: a dropdown whose choices come as one types (a national list of communes)
SEARCH_PLACEHOLDER = "Tapez le nom ou le code de la commune…"
SEARCH_HINT = "Tapez au moins 2 lettres du nom ou 2 chiffres du code"
ERROR_PREFIX = "Erreur : "

#: French labels of enum values a humanised value would say badly; the others are humanised
#: (:func:`value_label`)
VALUE_LABELS: dict[str, str] = {
    # élus
    "adjoint": "Adjoint au maire", "conseiller_municipal": "Conseiller municipal",
    "autre_elu": "Autre élu",
    # DCAS: channels, themes, time slots, statuses
    "entretien_mairie": "Entretien en mairie", "telephone": "Téléphone",
    "visioconference": "Visioconférence", "reunion_publique": "Réunion publique",
    "application_gendelus": "Application GendElus",
    "vitesse_securite_routiere": "Vitesse et sécurité routière",
    "incivilites_tranquillite": "Incivilités et tranquillité publique",
    "stupefiants": "Stupéfiants",
    "depots_sauvages_environnement": "Dépôts sauvages et environnement",
    "violences_intrafamiliales": "Violences intrafamiliales", "cyber": "Cybersécurité",
    "presence_heures_sensibles": "Présence aux heures sensibles",
    "rodeos": "Rodéos motorisés", "contact_elus": "Contact avec les élus",
    "apres_midi": "Après-midi", "soiree": "Soirée", "week_end": "Week-end",
    "a_traiter": "À traiter", "realisee": "Réalisée",
    # complaints
    "mairie": "En mairie", "domicile": "Au domicile de l'élu",
    "injures_diffamation_en_ligne": "Injures ou diffamation en ligne",
    "degradations": "Dégradations", "harcelement": "Harcèlement",
    "enregistree": "Enregistrée", "transmise_parquet": "Transmise au parquet",
    "classee_sans_suite": "Classée sans suite", "poursuites": "Poursuites engagées",
    "jugee": "Jugée",
    # trainings and immersions
    "incivilites": "Incivilités", "cyber_immunite": "Cybersécurité (IMMUNITÉ)",
    "vif": "Violences intrafamiliales", "atteintes_elus": "Atteintes aux élus",
    "gestion_crise": "Gestion de crise", "secretaire_mairie": "Secrétaire de mairie",
    "corg": "Centre d'opérations (CORG)", "psig": "PSIG",
    "brigade_numerique": "Brigade numérique", "peloton_autoroute": "Peloton autoroutier",
    "planifiee": "Planifiée",
    # cyber self-diagnostic
    "partiel": "Partiellement", "ne_sait_pas": "Je ne sais pas",
}

#: the form pages, for their sub-navigation: (label, path)
FORM_PAGES = (("DCAS", "/saisie/dcas"), ("Plainte", "/saisie/plainte"),
              ("Formation", "/saisie/formation"), ("Immersion", "/saisie/immersion"),
              ("Diagnostic cyber", "/saisie/diagnostic"), ("Suivi DCAS", "/suivi-dcas"),
              ("Mes saisies", "/saisie/mes-saisies"))


def humanised(value: str) -> str:
    """``a_traiter`` → ``A traiter``: underscores as spaces, first letter capitalised."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def value_label(value: str) -> str:
    return VALUE_LABELS.get(value) or humanised(value)


def field_label(f: Field) -> str:
    return f.label or humanised(f.name)


# --- ids -----------------------------------------------------------------------------------------

def field_id(form: str, name: str) -> dict:
    """The pattern-matching id of a field's input."""
    return {"type": f"{form}-champ", "name": name}


def dom_id(component_id: dict | str) -> str:
    """The ``id`` attribute Dash gives a component in the page: a dict id as JSON text with
    its keys sorted and no spaces (as Dash's front end stringifies it)."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def input_dom_id(form: str, name: str) -> str:
    """The HTML id of the element holding the field's value (what its ``<label for>`` names);
    for radio buttons and check boxes, their group (see :func:`option_dom_id`)."""
    return dom_id(field_id(form, name))


def option_dom_id(form: str, name: str, index: int) -> str:
    """The HTML id of the ``index``-th radio button or check box of a field."""
    return f"{form}-{name}-choix-{index}"


def error_id(form: str, name: str) -> str:
    return f"{form}-erreur-{name}"


def summary_id(form: str) -> str:
    return f"{form}-erreurs"


def grouped(f: Field, choices=None) -> bool:
    """Whether the field is answered with radio buttons or check boxes."""
    return choices is None and (f.kind in ("list", "bool") or (
        f.kind == "enum" and len(f.enum or ()) <= RADIO_MAX))


def focus_dom_id(form: str, f: Field) -> str:
    """Where the error summary's link for ``f`` leads: its input, or its first button."""
    return option_dom_id(form, f.name, 0) if grouped(f) else input_dom_id(form, f.name)


# --- inputs --------------------------------------------------------------------------------------

def _heading(f: Field) -> list:
    mark = f" ({REQUIRED})" if f.required else " (facultatif)"
    hint = []
    if f.kind in ("int", "float") and (f.min is not None or f.max is not None):
        bounds = [f"{format_number(b, 0 if float(b).is_integer() else 2)}" for b in (f.min, f.max)
                  if b is not None]
        hint = [f" — entre {bounds[0]} et {bounds[1]}" if len(bounds) == 2 else
                f" — {'au moins' if f.min is not None else 'au plus'} {bounds[0]}"]
    elif f.kind == "list":
        hint = [" — plusieurs choix possibles"]
    elif f.kind == "text":
        hint = [f" — {format_number(MAX_TEXT)} caractères au plus"]
    return [field_label(f),
            html.Span(mark + "".join(hint), className="fw-normal small text-body-secondary")]


def _error_slot(form: str, name: str) -> html.Span:
    return html.Span(id=error_id(form, name), className="saisie-erreur d-block text-danger small")


def _options(f: Field, choices) -> list[tuple[str, str]]:
    if choices is not None:
        return [(str(v), str(label)) for v, label in choices]
    if f.kind == "bool":
        return [("oui", "Oui"), ("non", "Non")]
    return [(v, value_label(v)) for v in (f.enum or ())]


def _group(form: str, f: Field, value, choices) -> html.Fieldset:
    options = [{"label": label, "value": v, "input_id": option_dom_id(form, f.name, i)}
               for i, (v, label) in enumerate(_options(f, choices))]
    if f.kind == "list":
        selected = value.split("|") if isinstance(value, str) else list(value or [])
        control = dbc.Checklist(id=field_id(form, f.name), options=options, value=selected,
                                inline=True)
    else:
        control = dbc.RadioItems(id=field_id(form, f.name), options=options, value=value,
                                 name=f"{form}-{f.name}", inline=True)
    return html.Fieldset([
        html.Legend([*_heading(f), _error_slot(form, f.name)],
                    className="form-label fw-semibold fs-6 mb-1"),
        control,
    ], className="mb-3 saisie-champ")


def choice_dropdown(ident, choices: list[tuple[str, str]], value, *, clearable: bool,
                    searched: bool = False):
    """A dropdown of (value, label) ``choices``; ``searched``: its options come as one types
    (the server's search), so it starts with the chosen one only and says so."""
    extra = {"placeholder": SEARCH_PLACEHOLDER, "labels": {"no_options_found": SEARCH_HINT}} \
        if searched else {"placeholder": "Choisir…"}
    return components.dropdown(
        id=ident, options=[{"label": label, "value": v} for v, label in choices],
        value=value, clearable=clearable, searchable=True, **extra)


def _control(form: str, f: Field, value, choices, searched: bool = False):
    ident = field_id(form, f.name)
    if f.kind in ("enum", "insee", "brigade") or choices is not None:
        return choice_dropdown(ident, _options(f, choices), value, clearable=not f.required,
                               searched=searched)
    today = clock.today().isoformat()
    if f.kind == "date":
        return dbc.Input(id=ident, type="date", value=value, required=f.required,
                         max=today if f.not_future else None)
    if f.kind == "datetime":
        return dbc.Input(id=ident, type="datetime-local", value=value, required=f.required,
                         max=f"{today}T23:59" if f.not_future else None)
    if f.kind in ("int", "float"):
        # a text input with a numeric keyboard: an ``<input type=number>`` outside its min/max
        # or step is sent as no value at all, silently; the server says what is wrong (bounds
        # in the label)
        return dbc.Input(id=ident, type="text", value=value, required=f.required,
                         inputMode="numeric" if f.kind == "int" else "decimal",
                         maxLength=MAX_NUMBER)
    if f.kind == "text":
        return dbc.Textarea(id=ident, value=value, required=f.required, maxLength=MAX_TEXT,
                            rows=3)
    return dbc.Input(id=ident, type="text", value=value, required=f.required,
                     maxLength=MAX_CODE)


def label_id(form: str, name: str) -> str:
    """The id of a field's visible label (what names its dropdown and the dropdown's search box
    and list: ``assets/dropdowns.js``)."""
    return f"{form}-libelle-{name}"


def field_input(form: str, source: Source, name: str, value=None,
                choices: list[tuple[str, str]] | None = None, searched: bool = False
                ) -> html.Div:
    """The field ``name`` of ``source`` on the form ``form``: its visible label (with
    « obligatoire » or « facultatif »), its input chosen by its kind and its error slot.
    ``choices``: (value, label) pairs offered instead of the declared values (a commune or
    brigade field: the user's communes); ``searched``: offered as one types
    (:func:`choice_dropdown`)."""
    f = source.field(name)
    if grouped(f, choices):
        return html.Div(_group(form, f, value, choices))
    return html.Div([
        html.Label([*_heading(f), _error_slot(form, name)], htmlFor=input_dom_id(form, name),
                   id=label_id(form, name), className="form-label fw-semibold"),
        _control(form, f, value, choices, searched),
    ], className="mb-3 saisie-champ")


def shown_fields(source: Source) -> list[str]:
    """The fields a form shows by default: all but the source's id (the store makes it)."""
    return [f.name for f in source.fields if f.name != source.key[0]]


def form_fields(form: str, source: Source, names: list[str] | None = None,
                choices: dict[str, list[tuple[str, str]]] | None = None,
                values: dict | None = None, searched=()) -> list:
    """The inputs of ``names`` (default: every field in declaration order, but the id);
    ``searched``: the fields whose choices come as one types."""
    names = shown_fields(source) if names is None else [
        n for n in names if n != source.key[0]]
    choices, values = choices or {}, values or {}
    return [field_input(form, source, n, values.get(n), choices.get(n), n in searched)
            for n in names]


# --- after a submission ----------------------------------------------------------------------

def _position(source: Source, name: str) -> int:
    order = [f.name for f in source.fields]
    return order.index(name) if name in order else (-1 if name == "*" else len(order))


def field_errors(form: str, errors: dict[str, str], names: list[str]) -> list:
    """The error slot contents of ``names``, in that order (None: no error)."""
    return [ERROR_PREFIX + errors[n] if n in errors else None for n in names]


def error_summary(form: str, errors: dict[str, str], source: Source,
                  names: list[str] | None = None) -> html.Div | None:
    """The RGAA error summary above the form: its heading counts the errors, each error is a
    link to its input, named by the field's label. ``names``: the fields the form shows (an
    error on another field, or on the whole form, is said without a link)."""
    if not errors:
        return None
    shown = set(shown_fields(source) if names is None else names)
    declared = {f.name: f for f in source.fields}
    items = []
    for name in sorted(errors, key=lambda n: _position(source, n)):
        reason = errors[name]
        f = declared.get(name)
        if f is None:
            items.append(html.Li(reason if name == "*" else f"{name} : {reason}"))
        elif name in shown:
            items.append(html.Li(html.A(f"{field_label(f)} : {reason}",
                                        href="#" + focus_dom_id(form, f))))
        else:
            items.append(html.Li(f"{field_label(f)} : {reason}"))
    n = len(errors)
    return html.Div([
        html.H2(f"Le formulaire contient {n} erreur{'s' if n > 1 else ''}",
                id=f"{summary_id(form)}-titre", className="h5"),
        html.Ul(items, className="mb-0"),
    ], id=summary_id(form), role="alert", tabIndex="-1", className="alert alert-danger",
        **{"aria-labelledby": f"{summary_id(form)}-titre"})


def confirmation(ident: str, record_id: int, what: str) -> html.Div:
    """The success block: what was recorded and the record's id."""
    return html.Div([
        html.P([html.Strong(what), " — identifiant ",
                html.Strong(str(ident), className="saisie-id"),
                f" (enregistrement n° {record_id})."], className="mb-0"),
    ], id="saisie-confirmation", role="status", tabIndex="-1", className="alert alert-success")


def initial_value(source: Source, name: str, value=None):
    """A field's input value on a new display of the form (check boxes: a list)."""
    if source.field(name).kind == "list":
        return value.split("|") if isinstance(value, str) else list(value or [])
    return value


def values_from(states: list[dict]) -> dict:
    """The form's values from Dash's pattern states (``callback_context.states_list`` entry):
    ``{name: value}``, an empty text or list read as no value. A state of another shape (a
    forged request) raises ValueError: a 400."""
    if not isinstance(states, list):
        raise ValueError("form states: a list expected")
    values: dict = {}
    for state in states:
        ident = state.get("id") if isinstance(state, dict) else None
        name = ident.get("name") if isinstance(ident, dict) else None
        if not isinstance(name, str) or name in values:
            raise ValueError("form states: a field name expected, once")
        value = state.get("value")
        empty = (isinstance(value, str) and not value.strip()) or (
            isinstance(value, list) and not value)
        values[name] = None if empty else value
    return values


def commune_choices(communes: pd.DataFrame) -> list[tuple[str, str]]:
    """(code, « Nom (code) ») of a frame of communes [code, nom]."""
    return [(c, f"{n} ({c})") for c, n in zip(communes["code"], communes["nom"], strict=True)]


def commune_options(choices: list[tuple[str, str]], typed) -> list[dict]:
    """A searched dropdown's options, each once: the dropdown filters its options again by
    the typed text, with no regard for accents (« fougeres » would hide « Fougères »): each
    option's search text carries the typed text."""
    typed = typed if isinstance(typed, str) else ""
    seen: set[str] = set()
    out = []
    for value, label in choices:
        if value not in seen:
            seen.add(value)
            out.append({"label": label, "value": value, "search": f"{label} {typed}"})
    return out


def subnav(current: str, relative: Callable[[str], str] = str) -> html.Nav:
    """The form pages' own navigation; ``relative`` makes a path the app's address
    (``dash.get_relative_path``)."""
    links = [html.Li(html.Span(label, className="nav-link active", **{"aria-current": "page"})
                     if path == current else dcc.Link(label, href=relative(path),
                                                      className="nav-link"),
                     className="nav-item") for label, path in FORM_PAGES]
    return html.Nav(html.Ul(links, className="nav nav-tabs mb-3"),
                    **{"aria-label": "Formulaires de saisie"})


def read_only(message: str) -> html.Div:
    return components.empty_state(message, tone="info")


def recent_caption(count: int, noun: str, nouns: str, *, feminine: bool, where: str = "") -> str:
    """The caption of a list of the latest records, agreed in number and gender: « La plainte
    la plus récente de vos communes », « Les 3 plaintes les plus récentes de vos communes »
    (never « Les 1 plaintes »)."""
    if count == 1:
        article, latest = ("La", "la plus récente") if feminine else ("Le", "le plus récent")
        return f"{article} {noun} {latest}{where}"
    return f"Les {count} {nouns} les plus récent{'es' if feminine else 's'}{where}"

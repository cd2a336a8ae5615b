"""« Saisie d'une formation »: a training session and its attendees as the rows of the
``trainings`` source (one row per attendee, the session's columns repeated), the checks of the
attendee list, and where each French reason goes (the session's fields or one attendee's row).

Pure: no Flask, no store. The page (``dashboard/pages/saisie_formation.py``) submits each row
through the records door with :func:`attendee_key` as its idempotency key. The session's inputs
come from the forms' builder (``views/saisie.py``); an attendee's row repeats two of its fields
with ids indexed by the row (:func:`attendee_id`), laid out as the builder lays out a field
(visible label naming the input, error slot inside the label).

**The session id.** A session has no row of its own: its id is shared by its attendance rows
and must be known before the first one is stored. It is made from the form display's key
(:func:`session_id`: ``FS-<year of the session>-S<10 digits of a hash of the key>``), so that
one form display gives one session id, a resubmitted page the same one (its rows are then
replays, nothing is stored twice), and two displays two ids (10 digits: a collision is a chance
in 10¹⁰ per pair of sessions of the same year). The attendance ids (``FP-…``) are made by the
store from each record's number.
"""

from __future__ import annotations

import hashlib
from datetime import date

from dash import html

from dashboard.views import saisie as form_view
from etl import clock
from etl.ops.limits import IDEMPOTENCY_KEY_MAX
from etl.sources.trainings import TRAININGS

#: the session's fields (one value for every attendee) and each attendee's
SESSION_FIELDS = ("theme", "date_session", "code_commune_session", "unite")
ATTENDEE_FIELDS = ("fonction_participant", "code_commune_participant")
#: attendees of one session, at most (a bigger event is several sessions)
MAX_ATTENDEES = 200

NO_ATTENDEE = "Ajoutez au moins un participant à la session."
TOO_MANY = (f"{MAX_ATTENDEES} participants au plus par session : enregistrez les suivants dans "
            "une autre session.")
MISSING = {"fonction_participant": "fonction du participant manquante",
           "code_commune_participant": "commune du participant manquante"}


def session_id(form_key: str, year: int) -> str:
    """The session's id for one form display (see the module's note)."""
    digest = int(hashlib.sha256(str(form_key).encode("utf-8")).hexdigest()[:15], 16)
    return f"FS-{int(year):04d}-S{digest % 10**10:010d}"


def session_year(value, today: date | None = None) -> int:
    """The year of the session's date as the form holds it (AAAA-MM-JJ or JJ/MM/AAAA); this
    year when it cannot be read (the date's own error is then shown)."""
    text = str(value or "").strip()
    for year in (text[:4], text[-4:]):
        if len(year) == 4 and year.isdigit() and 1900 <= int(year) <= 2999:
            return int(year)
    return (today or clock.today()).year


def attendee_key(form_key: str, index: int) -> str:
    """The idempotency key of attendee ``index`` (0-based) of a form display: the form's key and
    the index (a long key is shortened by its hash, to fit the store's bound)."""
    suffix = f"~p{int(index)}"
    key, room = str(form_key), IDEMPOTENCY_KEY_MAX - len(suffix)
    if len(key) > room:
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()[:room]
    return key + suffix


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
    return None if value in ("", None) else value


def attendees_of(entries) -> list[dict]:
    """The attendee rows as the form sent them (a list of {field: value}), each with exactly
    the attendee fields; anything else the browser sent is dropped."""
    if not isinstance(entries, list | tuple):
        return []
    return [{name: _clean(e.get(name)) if isinstance(e, dict) else None
             for name in ATTENDEE_FIELDS} for e in entries]


def attendee_problems(attendees: list[dict]) -> tuple[str | None, dict[int, dict[str, str]]]:
    """(a French problem of the whole list, or None; {attendee index: {field: French reason}})
    before anything is checked against the source: at least one attendee, at most
    :data:`MAX_ATTENDEES`, each with a function and a commune."""
    if not attendees:
        return NO_ATTENDEE, {}
    if len(attendees) > MAX_ATTENDEES:
        return TOO_MANY, {}
    rows = {}
    for i, attendee in enumerate(attendees):
        missing = {name: reason for name, reason in MISSING.items()
                   if _clean(attendee.get(name)) is None}
        if missing:
            rows[i] = missing
    return None, rows


def attendee_rows(session: dict, attendees: list[dict], ident: str) -> list[dict]:
    """The ``trainings`` rows of the session: one per attendee, the session's fields repeated,
    ``id_session`` = ``ident``, ``id_participation`` left out (the store makes it)."""
    common = {name: _clean(session.get(name)) for name in SESSION_FIELDS}
    return [{"id_session": ident, **common,
             **{name: _clean(a.get(name)) for name in ATTENDEE_FIELDS}} for a in attendees]


def split_errors(per_row: dict[int, dict[str, str]]) -> tuple[dict[str, str],
                                                                dict[int, dict[str, str]]]:
    """The French reasons of the rows checked by the source ({row index: {field: reason}}) as
    (the session's: shown once, by the session's inputs; each attendee's: by its row). A reason
    on a session field is the same for every row: the first one found is kept."""
    session: dict[str, str] = {}
    attendees: dict[int, dict[str, str]] = {}
    for i in sorted(per_row):
        for name, reason in per_row[i].items():
            if name in ATTENDEE_FIELDS:
                attendees.setdefault(i, {})[name] = reason
            else:
                session.setdefault(name, reason)
    return session, attendees


def attendee_label(index: int, name: str) -> str:
    """How an attendee's field is named in the error summary (« Participant 2 : Commune du
    participant »)."""
    return f"Participant {index + 1} : {form_view.field_label(TRAININGS.field(name))}"


# --- components ----------------------------------------------------------------------------------

FORM = "formation"
#: the pattern-matching ids of the attendee rows' inputs, error slots and « Retirer » buttons
ROW_TYPE, ERROR_TYPE, REMOVE_TYPE = ("formation-participant-champ", "formation-participant-erreur",
                                     "formation-retirer")
ROWS_ID = "formation-participants"
CONFIRMATION_ID = "saisie-confirmation"


def attendee_id(index: int, name: str) -> dict:
    return {"type": ROW_TYPE, "index": int(index), "name": name}


def attendee_error_id(index: int, name: str) -> dict:
    return {"type": ERROR_TYPE, "index": int(index), "name": name}


def remove_id(index: int) -> dict:
    return {"type": REMOVE_TYPE, "index": int(index)}


def function_choices() -> list[tuple[str, str]]:
    return [(v, form_view.value_label(v)) for v in TRAININGS.field("fonction_participant").enum]


def attendee_label_id(index: int, name: str) -> str:
    """The id of an attendee field's visible label (it names the dropdown, its search box and
    its list: ``assets/dropdowns.js``)."""
    return f"formation-participant-libelle-{int(index)}-{name}"


def _attendee_input(index: int, name: str, value, choices, error: str | None,
                    searched: bool = False) -> html.Div:
    f = TRAININGS.field(name)
    return html.Div([
        html.Label([
            form_view.field_label(f),
            html.Span(f" ({form_view.REQUIRED})", className="fw-normal small "
                                                            "text-body-secondary"),
            html.Span(form_view.ERROR_PREFIX + error if error else None,
                      id=attendee_error_id(index, name),
                      className="saisie-erreur d-block text-danger small"),
        ], htmlFor=form_view.dom_id(attendee_id(index, name)),
            id=attendee_label_id(index, name), className="form-label fw-semibold"),
        form_view.choice_dropdown(attendee_id(index, name), choices, value, clearable=False,
                                  searched=searched),
    ], className="col-md-5 saisie-champ")


def attendee_row(index: int, values: dict, communes: list[tuple[str, str]],
                 errors: dict[str, str] | None = None, searched: bool = False
                 ) -> html.Fieldset:
    """Attendee ``index`` (0-based): its function and commune (``searched``: offered as one
    types), and its « Retirer » button."""
    errors = errors or {}
    return html.Fieldset([
        html.Legend(f"Participant {index + 1}", className="fs-6 fw-semibold mb-1"),
        html.Div([
            _attendee_input(index, "fonction_participant", values.get("fonction_participant"),
                            function_choices(), errors.get("fonction_participant")),
            _attendee_input(index, "code_commune_participant",
                            values.get("code_commune_participant"), communes,
                            errors.get("code_commune_participant"), searched),
            html.Div(html.Button("Retirer", id=remove_id(index), type="button",
                                 className="btn btn-outline-danger btn-sm mb-3",
                                 **{"aria-label": f"Retirer le participant {index + 1}"}),
                     className="col-md-2 d-flex align-items-end"),
        ], className="row g-2"),
    ], className="border rounded p-2 mb-2 formation-participant")


def attendee_list(attendees: list[dict], communes: list[tuple[str, str]],
                  errors: dict[int, dict[str, str]] | None = None,
                  searched: bool = False) -> list:
    """The attendee rows (none: a message saying one is needed)."""
    errors = errors or {}
    if not attendees:
        return [html.P("Aucun participant : ajoutez-en au moins un.",
                       className="small text-body-secondary")]
    return [attendee_row(i, a, communes, errors.get(i), searched)
            for i, a in enumerate(attendees)]


def summary(whole: str | None, session: dict[str, str],
            attendees: dict[int, dict[str, str]]) -> html.Div | None:
    """The RGAA error summary of the training form, as the builder's (``views/saisie.py``):
    its heading counts the errors, each one links to its input (the session's fields, then
    the attendees' rows in order)."""
    items: list = [html.Li(whole)] if whole else []
    order = [f.name for f in TRAININGS.fields]
    for name in sorted(session, key=lambda n: order.index(n) if n in order else -1):
        reason = session[name]
        if name in SESSION_FIELDS:
            f = TRAININGS.field(name)
            items.append(html.Li(html.A(f"{form_view.field_label(f)} : {reason}",
                                        href="#" + form_view.focus_dom_id(FORM, f))))
        elif name in order:
            items.append(html.Li(f"{form_view.field_label(TRAININGS.field(name))} : {reason}"))
        else:
            items.append(html.Li(reason if name == "*" else f"{name} : {reason}"))
    for index in sorted(attendees):
        for name in ATTENDEE_FIELDS:
            if name in attendees[index]:
                items.append(html.Li(html.A(
                    f"{attendee_label(index, name)} : {attendees[index][name]}",
                    href="#" + form_view.dom_id(attendee_id(index, name)))))
    if not items:
        return None
    n = len(items)
    ident = form_view.summary_id(FORM)
    return html.Div([
        html.H2(f"Le formulaire contient {n} erreur{'s' if n > 1 else ''}", id=f"{ident}-titre",
                className="h5"),
        html.P("Rien n'est enregistré tant que la session et tous ses participants ne sont pas "
               "valides.", className="small mb-1"),
        html.Ul(items, className="mb-0"),
    ], id=ident, role="alert", tabIndex="-1", className="alert alert-danger",
        **{"aria-labelledby": f"{ident}-titre"})


def confirmation(ident: str, stored: list[tuple[str, int]], replayed: bool) -> html.Div:
    """The success block: the session's id and each attendance's id (and record number)."""
    n = len(stored)
    what = "Session déjà enregistrée" if replayed else "Session enregistrée"
    return html.Div([
        html.P([html.Strong(what), " — identifiant de la session ",
                html.Strong(ident, className="saisie-id"),
                f", {n} participation{'s' if n > 1 else ''} :"], className="mb-1"),
        html.Ul([html.Li([html.Span(pid, className="saisie-id"),
                          f" (enregistrement n° {rid})"]) for pid, rid in stored],
                className="mb-0"),
    ], id=CONFIRMATION_ID, role="status", tabIndex="-1", className="alert alert-success")

"""The follow-up of one DCAS consultation on the « Suivi des attentes DCAS » page: what the élu
asked for, the follow-up inputs (built from the ``dcas`` declaration by the forms' one builder,
:mod:`dashboard.views.saisie`), the values the browser sends back, and the record's history in
French (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd
from dash import html

from dashboard.core.formatting import LABELS, MISSING, format_number
from dashboard.views import saisie
from dashboard.views.suivi_dcas import (
    OVERDUE_DAYS,
    OVERDUE_LABEL,
    PRIORITY_LABELS,
    STATUS_LABELS,
    as_date,
    date_text,
    label,
    missing,
    slots_text,
    themes_text,
)
from etl.sources.dcas import DCAS

#: the form's name (its inputs' ids: ``saisie.field_id(FORM, name)``)
FORM = "suivi-dcas"
#: the follow-up's fields, in the form's order
NAMES = ("actions_suivi", "statut", "date_suivi", "satisfaction")
KEY = DCAS.key[0]
ORIGIN_LABELS = {"saisie": "saisie", "importee": "importée d'un fichier"}
#: short French names of the fields, for the history
FIELD_LABELS = {
    "id_consultation": "Identifiant", "date_consultation": "Date de consultation",
    "code_commune": "Commune", "brigade_id": "Brigade", "fonction_elu": "Fonction de l'élu",
    "canal": "Canal", "attentes": "Attentes", "creneaux": "Créneaux souhaités",
    "priorite": "Priorité", "actions_suivi": "Actions de suivi", "statut": "Statut",
    "date_suivi": "Date du suivi", "satisfaction": "Satisfaction (1 à 5)",
}
ACTION_LABELS = {"creation": "Création", "correction": "Suivi (correction)",
                 "suppression": "Suppression"}
HISTORY_COLUMNS = {"version": "Version", "quand": "Date (heure de Paris)", "par": "Par",
                   "action": "Action", "changements": "Changements"}
IMPORTED_HISTORY = ("Consultation importée d'un fichier : pas encore d'historique de saisie. "
                    "Son premier suivi l'enregistre dans les saisies.")


def input_ids() -> dict[str, dict]:
    """Each follow-up field's input id."""
    return {n: saisie.field_id(FORM, n) for n in NAMES}


def fields(values: Mapping | None = None) -> list:
    """The follow-up inputs (labels, « obligatoire » or « facultatif », error slots)."""
    return saisie.form_fields(FORM, DCAS, list(NAMES), values=dict(values or {}))


def form_values(values: Mapping, today: date) -> list:
    """The inputs' values for a consultation: its follow-up so far, the date of today."""
    satisfaction = values.get("satisfaction")
    return [values.get("actions_suivi") or "", values.get("statut"), today.isoformat(),
            None if missing(satisfaction) else int(satisfaction)]


def details(values: Mapping, commune: str, origin: str, today: date) -> html.Dl:
    """What the élu asked for, as a definition list."""
    d = as_date(values.get("date_consultation"))
    age = (today - d).days if d else None
    late = f" — {OVERDUE_LABEL.lower()}" if age is not None and age > OVERDUE_DAYS else ""
    items = [
        ("Consultation", f"{values.get(KEY)} ({ORIGIN_LABELS.get(origin, origin)})"),
        ("Date", date_text(d) + ("" if age is None else f" — il y a {format_number(age)} "
                                 f"jour{'s' if age > 1 else ''}") + late),
        ("Commune", commune),
        ("Élu", label(LABELS["fonction"], values.get("fonction_elu"))),
        ("Canal", label(LABELS["canal"], values.get("canal"))),
        ("Attentes", themes_text(values.get("attentes"))),
        ("Créneaux souhaités", slots_text(values.get("creneaux")) or MISSING),
        ("Priorité", label(PRIORITY_LABELS, values.get("priorite"))),
    ]
    return html.Dl([part for term, desc in items
                    for part in (html.Dt(term, className="col-sm-4"),
                                 html.Dd(desc, className="col-sm-8 mb-1"))],
                   className="row small mb-2")


# --- what the browser sends back ---------------------------------------------------------------

def _text(value, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name}: not a text")  # a forged value: a French 400
    return value.strip() or None


def follow_up_changes(actions, statut, date_suivi, satisfaction) -> dict:
    """The follow-up the form sends, as the records door takes it (read and checked there as
    the cells of a file are); ValueError for a value no input gives."""
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, str | int | float | None):
        raise ValueError("satisfaction: not a number")
    if isinstance(satisfaction, str):
        satisfaction = _text(satisfaction, "satisfaction")
    return {"actions_suivi": _text(actions, "actions_suivi"), "statut": _text(statut, "statut"),
            "date_suivi": _text(date_suivi, "date_suivi"), "satisfaction": satisfaction}


def adopted(imported: Mapping, changes: Mapping) -> dict:
    """The values the store takes when an imported consultation is followed up: a copy of the
    warehouse's row (same id) with the follow-up applied."""
    values = {f.name: imported.get(f.name) for f in DCAS.fields} | dict(changes)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def parse_choice(value) -> str:
    """The id of a chosen consultation; ValueError when the browser sent something the list
    never offers (a French 400)."""
    if not isinstance(value, str) or not 0 < len(value) <= 64 or not value.isprintable():
        raise ValueError("choice: not a consultation id")
    return value


def form_state(ident: str, record_id: int | None, version: int | None, key: str) -> dict:
    """What the page keeps of the consultation on the form (in the browser: checked again):
    its id, its record and version in the store (None: imported), the form display's key."""
    return {"consultation": ident, "id": record_id, "version": version, "cle": key}


def parse_form_state(state) -> tuple[str, int | None, int | None, str]:
    """(consultation id, record id, version, form key) as the browser sent them back;
    ValueError (a 400) for a shape the page never gives."""
    if not isinstance(state, dict):
        raise ValueError("form state: not a mapping")
    ident, record_id, version, key = (state.get(k) for k in ("consultation", "id", "version",
                                                              "cle"))
    if not isinstance(key, str) or not 0 < len(key) <= 64:
        raise ValueError("form state: key")
    ident = parse_choice(ident)
    if (record_id, version) == (None, None) or (type(record_id) is int
                                                and type(version) is int):
        return ident, record_id, version, key
    raise ValueError("form state: record and version")


# --- history -----------------------------------------------------------------------------------

def _value_text(name: str, value) -> str:
    if missing(value) or value == "":
        return MISSING
    texts = {"statut": lambda v: label(STATUS_LABELS, v),
             "priorite": lambda v: label(PRIORITY_LABELS, v),
             "date_consultation": date_text, "date_suivi": date_text, "attentes": themes_text,
             "creneaux": slots_text, "fonction_elu": lambda v: label(LABELS["fonction"], v),
             "canal": lambda v: label(LABELS["canal"], v), "actions_suivi": lambda v: f"« {v} »"}
    return texts.get(name, str)(value)


def changes_text(before: Mapping | None, after: Mapping | None) -> str:
    """What a version changed, in French: « Statut : À traiter → En cours ; … »."""
    if before is None and after is not None:
        shown = [n for n in NAMES if not missing(after.get(n))]
        return "Enregistrement créé" + ("" if not shown else " : " + " ; ".join(
            f"{FIELD_LABELS[n]} : {_value_text(n, after[n])}" for n in shown))
    if after is None:
        return "Enregistrement supprimé"
    parts = [f"{FIELD_LABELS[n]} : {_value_text(n, before.get(n))} → "
             f"{_value_text(n, after.get(n))}"
             for n in FIELD_LABELS if json.dumps(before.get(n), default=str)
             != json.dumps(after.get(n), default=str)]
    return " ; ".join(parts) or "Aucun changement"


def _when(value) -> str:
    """A store time (UTC, naive) in Paris time."""
    if missing(value):
        return MISSING
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    return moment.tz_convert("Europe/Paris").strftime("%d/%m/%Y %H:%M")


def history_frame(history: Sequence[Mapping]) -> pd.DataFrame:
    """One row per version, oldest first: version, when (Paris time), who, what, changes."""
    return pd.DataFrame(
        [{"version": int(h["version"]), "quand": _when(h["at"]), "par": str(h["login"]),
          "action": ACTION_LABELS.get(h["action"], h["action"]),
          "changements": changes_text(h.get("before"), h.get("after"))} for h in history],
        columns=list(HISTORY_COLUMNS))


def saved_message(ident: str, version: int, adopted: bool) -> str:
    if adopted:
        return (f"Suivi enregistré : la consultation {ident} est reprise dans les saisies "
                f"(version {version}). Elle sera publiée dans les analyses à la prochaine "
                "actualisation.")
    return f"Suivi enregistré : consultation {ident}, version {version}."


def errors_out(errors: Mapping[str, str]) -> list:
    """The error summary (linked to the inputs) and each field's error slot."""
    return [saisie.error_summary(FORM, dict(errors), DCAS, list(NAMES)),
            *saisie.field_errors(FORM, dict(errors), list(NAMES))]

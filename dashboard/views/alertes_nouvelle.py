"""The alert composer (« Nouvelle alerte »): what the page shows live as one types — the
recipients of the area (by function, numbers masked), the encoding, the characters, the SMS
parts per recipient and in total, the characters that force UCS-2 — the area's map, the form's
errors (RGAA error summary) and the confirmation.

Pure: the page computes the counts (``etl.alerts.encoding.analyse``) and the recipients
(``etl.alerts.contacts.recipients``, numbers already masked) and hands them here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from dash import html

from dashboard.core.components import data_table
from dashboard.core.formatting import format_number
from dashboard.views.alertes import FUNCTION_LABELS, function_count, label, plural

FORM = "alerte"
#: the composer's fields, in the page's order: (name, label); the labels are the visible ones
FIELDS = {"communes": "Communes ciblées", "categorie": "Catégorie", "faits_le":
          "Date et heure des faits", "message": "Message"}
#: where the error summary's link for a field leads (the HTML id of its input)
FOCUS = {"communes": "alerte-communes", "categorie": "alerte-categorie",
         "faits_le": "alerte-faits-le", "message": "alerte-message"}
#: rows of the recipients table on the page (the count covers them all)
MAX_RECIPIENT_ROWS = 200
SELECTED, OTHER = "#1d3b6e", "#d9dee7"


def error_id(name: str) -> str:
    return f"{FORM}-erreur-{name}"


# --- encoding and parts ------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """The live texts of the message's counts."""

    encoding: str
    characters: str
    parts: str
    total: str
    offending: str | None  # the characters forcing UCS-2, said; None when there are none
    too_long: str | None


def counts(count, recipients: int, max_parts: int) -> Counts:
    """The texts of an ``SmsCount`` (``etl.alerts.encoding.analyse``) for ``recipients``."""
    per = count.per_part
    if count.parts <= 1:
        per_text = f"un seul SMS jusqu'à {format_number(per)} caractères"
    else:
        per_text = f"{format_number(per)} caractères par partie"
    units = ""
    if count.encoding == "GSM-7" and count.units != count.characters:
        units = (f" ({format_number(count.units)} unités GSM-7 : certains caractères comptent "
                 "double)")
    total = count.parts * recipients
    offending = None
    if count.offending:
        shown = " ".join(f"« {c} »" if c.strip() else repr(c) for c in count.offending)
        offending = (f"Caractères hors de l'alphabet GSM-7 (ils imposent l'UCS-2, 70 caractères "
                     f"par SMS au lieu de 160) : {shown}")
    too_long = None
    if count.parts > max_parts:
        too_long = (f"Message trop long : {format_number(count.parts)} parties, "
                    f"{format_number(max_parts)} au plus.")
    return Counts(
        encoding=count.encoding,
        characters=format_number(count.characters) + units,
        parts=f"{format_number(count.parts)} ({per_text})",
        total=(f"{format_number(total)} SMS ({format_number(count.parts)} × "
               f"{format_number(recipients)} destinataire{plural(recipients)})"),
        offending=offending, too_long=too_long)


def counts_block(c: Counts) -> list:
    """The counts as a definition list (each value has its own id, for the tests and the
    reader)."""
    def pair(term, value, ident):
        return [html.Dt(term, className="col-sm-5"),
                html.Dd(value, id=ident, className="col-sm-7 mb-1")]
    return [html.Dl([*pair("Codage", c.encoding, "alerte-codage"),
                     *pair("Caractères", c.characters, "alerte-caracteres"),
                     *pair("SMS par destinataire", c.parts, "alerte-parties"),
                     *pair("SMS au total", c.total, "alerte-total")],
                    className="row mb-2"),
            html.P(c.too_long, className="text-danger fw-semibold mb-1") if c.too_long else None]


# --- recipients --------------------------------------------------------------------------------

RECIPIENT_COLUMNS = {"commune": "Commune", "fonction_texte": "Fonction", "numero": "Numéro"}


def recipients_text(recipients: pd.DataFrame, communes: int) -> str:
    n = len(recipients)
    if communes == 0:
        return "Choisissez au moins une commune : les destinataires s'affichent ici."
    if n == 0:
        where = "cette commune" if communes == 1 else f"ces {format_number(communes)} communes"
        return (f"Aucun destinataire : aucun élu n'a accepté les alertes SMS avec un numéro de "
                f"mobile dans {where}. L'alerte ne peut pas être soumise : ajoutez une commune "
                "dont un élu les a acceptées.")
    counted = recipients["fonction"].value_counts()
    detail = ", ".join(function_count(f, int(k)) for f, k in sorted(
        counted.items(), key=lambda fk: (-fk[1], label(FUNCTION_LABELS, fk[0]))))
    return (f"{format_number(n)} destinataire{plural(n)} (élus ayant accepté les alertes) dans "
            f"{format_number(communes)} commune{plural(communes)} : {detail}.")


def recipients_block(recipients: pd.DataFrame, communes: int, names: Mapping[str, str]
                     ) -> list:
    """The recipients said and listed; none in the communes chosen is a warning, said before
    the submission (which the server would refuse)."""
    nobody = communes > 0 and recipients.empty
    return [html.P(recipients_text(recipients, communes), id="alerte-destinataires-texte",
                   className="alert alert-warning mb-2" if nobody else "mb-2"),
            recipients_table(recipients, names)]


def recipients_table(recipients: pd.DataFrame, names: Mapping[str, str]) -> html.Table | None:
    """The recipients (numbers as given: masked by the page), by commune."""
    if recipients.empty:
        return None
    frame = recipients.assign(
        commune=[f"{names.get(c, c)} ({c})" for c in recipients["code_commune"]],
        fonction_texte=[label(FUNCTION_LABELS, f) for f in recipients["fonction"]],
        numero=recipients["telephone"].astype(str))
    frame = frame.sort_values(["commune", "fonction_texte"]).head(MAX_RECIPIENT_ROWS)
    caption = "Destinataires (numéros masqués)"
    if len(recipients) > MAX_RECIPIENT_ROWS:
        caption += f" — les {format_number(MAX_RECIPIENT_ROWS)} premiers"
    return data_table(frame, RECIPIENT_COLUMNS, caption, table_id="alerte-destinataires-table")


# --- the area ------------------------------------------------------------------------------------

def area_figure(communes: pd.DataFrame, selected: Sequence[str], geojson_url: str,
                metropolitan: bool = True, clickable: bool = True) -> dict:
    """The user's communes [code, nom] on a geo map (its shapes by URL, drawn offline), the
    selected ones in blue: a click on a commune toggles it (``clickable``)."""
    chosen = set(selected or ())
    codes = communes["code"].tolist()
    names = communes["nom"].tolist()
    z = [1 if c in chosen else 0 for c in codes]
    states = ["sélectionnée" if c in chosen else "non sélectionnée" for c in codes]
    projection = ({"type": "conic conformal", "parallels": [44, 49]} if metropolitan
                  else {"type": "mercator"})
    return {
        "data": [{
            "type": "choropleth", "geojson": geojson_url, "locations": codes, "z": z,
            "customdata": [[n, s] for n, s in zip(names, states, strict=True)],
            "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}" + (
                "<br>Cliquez pour l'ajouter ou la retirer" if clickable else "")
            + "<extra></extra>",
            "colorscale": [[0, OTHER], [0.5, OTHER], [0.5, SELECTED], [1, SELECTED]],
            "zmin": 0, "zmax": 1, "zauto": False, "showscale": False,
            "marker": {"line": {"color": "white", "width": 0.8}},
        }],
        "layout": {
            "geo": {"fitbounds": "locations", "visible": False, "projection": projection,
                    "bgcolor": "rgba(0,0,0,0)"},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 420,
            "paper_bgcolor": "rgba(0,0,0,0)", "showlegend": False,
            "hoverlabel": {"bgcolor": "white"}, "uirevision": geojson_url,
        },
    }


def clicked_commune(click) -> str | None:
    """The commune code of a map click (``clickData``), or None; a click of another shape (a
    forged request) raises ValueError: a 400."""
    if click is None:
        return None
    if not isinstance(click, dict) or not isinstance(click.get("points"), list):
        raise ValueError("clickData: a dict with points expected")
    if not click["points"]:
        return None
    point = click["points"][0]
    code = point.get("location") if isinstance(point, dict) else None
    if not isinstance(code, str):
        raise ValueError("clickData: a commune code expected")
    return code


def toggled(selected: Sequence[str] | None, code: str) -> list[str]:
    """The selection with ``code`` added, or removed when it was there."""
    current = list(selected or [])
    return [c for c in current if c != code] if code in current else [*current, code]


def added(selected: Sequence[str] | None, codes: Sequence[str]) -> list[str]:
    """The selection with ``codes`` added (once each, in order)."""
    return list(dict.fromkeys([*(selected or []), *codes]))


def area_message(kept: int, left_out: int, what: str) -> str:
    """What a « brigade » or « rayon » choice added to the selection."""
    text = f"{what} : {format_number(kept)} commune{plural(kept)} ajoutée{plural(kept)} à la " \
           "sélection."
    if left_out:
        text += (f" {format_number(left_out)} commune{plural(left_out)} hors de votre "
                 f"périmètre {'n’est pas retenue' if left_out == 1 else 'ne sont pas retenues'}.")
    return text


def selection_text(selected: Sequence[str] | None) -> str:
    n = len(selected or [])
    return (f"{format_number(n)} commune{plural(n)} sélectionnée{plural(n)}" if n
            else "Aucune commune sélectionnée")


# --- after a submission --------------------------------------------------------------------------

def _position(name: str) -> int:
    order = list(FIELDS)
    return order.index(name) if name in order else len(order)


def error_summary(errors: Mapping[str, str]) -> html.Div | None:
    """The RGAA error summary: its heading counts the errors, each links to its field."""
    if not errors:
        return None
    items = []
    for name in sorted(errors, key=_position):
        reason = errors[name]
        if name in FIELDS:
            items.append(html.Li(html.A(f"{FIELDS[name]} : {reason}", href="#" + FOCUS[name])))
        else:
            items.append(html.Li(reason))
    n = len(errors)
    return html.Div([
        html.H2(f"Le formulaire contient {n} erreur{plural(n)}", id=f"{FORM}-erreurs-titre",
                className="h5"),
        html.Ul(items, className="mb-0"),
    ], id=f"{FORM}-erreurs", role="alert", tabIndex="-1", className="alert alert-danger",
        **{"aria-labelledby": f"{FORM}-erreurs-titre"})


def field_errors(errors: Mapping[str, str]) -> list:
    """Each field's error slot, in :data:`FIELDS` order (None: no error)."""
    return [f"Erreur : {errors[n]}" if n in errors else None for n in FIELDS]


def confirmation(ident: str, href: str, replayed: bool) -> html.Div:
    what = "Alerte déjà soumise" if replayed else "Alerte soumise à validation"
    return html.Div([
        html.P([html.Strong(what), " — identifiant ",
                html.Strong(ident, className="alerte-id"), "."], className="mb-1"),
        html.P(["Un commandant du département doit la valider avant l'envoi. ",
                html.A("Ouvrir la page de l'alerte", href=href, id="alerte-lien")],
               className="mb-0"),
    ], id="alerte-confirmation", role="status", tabIndex="-1", className="alert alert-success")

"""The cyber self-diagnostic form's result and history (pure): the score and colour come from
the loader's own function (``etl.sources.diagnostics.score``), never computed again here, and
the colour is always said in words (RGAA: never colour alone)."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.core import components
from dashboard.core.formatting import format_number
from dashboard.views.saisie import value_label
from etl.sources.diagnostics import ADVICE, QUESTIONS, score

#: colour → (French level, swatch colour)
COLOURS = {"vert": ("vert : bon niveau", "#1e7b34"),
           "jaune": ("jaune : à consolider", "#f2c200"),
           "orange": ("orange : fragile", "#e0701a"),
           "rouge": ("rouge : à risque", "#c0262d")}
ROW_COLUMNS = ["id_diagnostic", "date_diagnostic", "origine", "score", "couleur"]
HISTORY_COLUMNS = {"id_diagnostic": "Diagnostic", "date": "Date", "origine": "Origine",
                   "score": "Score (sur 100)", "niveau": "Niveau"}


def colour_text(colour: str) -> str:
    return COLOURS.get(colour, (str(colour), ""))[0]


def scored(answers: dict) -> dict:
    """The answers of one diagnostic with its ``score``, ``couleur``, ``reponses_rouges`` and
    ``contact_specialiste`` (the loader's scoring, on a one-row frame)."""
    frame = score(pd.DataFrame([{q: answers.get(q) for q in QUESTIONS}]))
    row = frame.iloc[0].to_dict()
    return {**answers, **{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}}


def weak_answers(row: dict) -> list[str]:
    """The questions answered otherwise than « oui », in their order."""
    return [q for q in QUESTIONS if row.get(q) != "oui"]


def result(row: dict) -> html.Section:
    """A scored diagnostic (:func:`scored`): its score and level in words next to a swatch,
    the specialists' offer after a « non », and one piece of advice per weak answer."""
    colour = str(row.get("couleur"))
    weak = weak_answers(row)
    advice = [html.Li([html.Strong(QUESTIONS[q][0]),
                       f" Réponse : {value_label(str(row.get(q)))}. ", ADVICE[q]],
                      className="mb-1") for q in weak]
    swatch = html.Span(className=f"saisie-pastille saisie-{colour}",
                       style={"display": "inline-block", "width": "1em", "height": "1em",
                              "borderRadius": "50%", "marginRight": ".4em",
                              "verticalAlign": "-0.15em",
                              "background": COLOURS.get(colour, ("", "#888888"))[1]},
                       **{"aria-hidden": "true"})
    return html.Section([
        html.H2("Résultat du diagnostic", id="diagnostic-bilan-titre", className="h5"),
        html.P([swatch, f"Score : {format_number(row.get('score'), 1)} sur 100 — niveau "
                        f"{colour_text(colour)}."], className="fs-5 mb-2", id="diagnostic-score"),
        html.P("Au moins une réponse « Non » : la commune peut demander l'appui des référents "
               "cybersécurité de la gendarmerie.", className="mb-2")
        if row.get("contact_specialiste") else None,
        html.H3(f"Conseils ({len(advice)})", className="h6") if advice else html.P(
            "Aucune faiblesse déclarée : maintenez ces bonnes pratiques.", className="mb-0"),
        html.Ul(advice, className="mb-0") if advice else None,
    ], className="card card-body mb-3", id="diagnostic-bilan",
        **{"aria-labelledby": "diagnostic-bilan-titre"})


def history_rows(stored: pd.DataFrame, imported: pd.DataFrame) -> pd.DataFrame:
    """One commune's diagnostics, newest first [id_diagnostic, date_diagnostic, origine,
    score, couleur]: those entered on the form (``stored``: answers, scored here with the
    loader's function) and those in the warehouse (``imported``: scored by the loader; a form
    record already published there is shown once)."""
    parts = []
    if not stored.empty:
        marks = score(stored[list(QUESTIONS)].copy())
        parts.append(pd.DataFrame({
            "id_diagnostic": stored["id_diagnostic"].astype(str),
            "date_diagnostic": pd.to_datetime(stored["date_diagnostic"]),
            "origine": "Saisie", "score": marks["score"].astype(float),
            "couleur": marks["couleur"].astype(str)}))
    if not imported.empty:
        known = set(stored["id_diagnostic"]) if not stored.empty else set()
        rest = imported[~imported["id_diagnostic"].isin(known)]
        parts.append(pd.DataFrame({
            "id_diagnostic": rest["id_diagnostic"].astype(str),
            "date_diagnostic": pd.to_datetime(rest["date_diagnostic"]),
            "origine": "Fichier", "score": rest["score"].astype(float),
            "couleur": rest["couleur"].astype(str)}))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=ROW_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(
        ["date_diagnostic", "id_diagnostic"], ascending=False, ignore_index=True)


def history(rows: pd.DataFrame, commune: str) -> html.Div | html.Table:
    """The table of :func:`history_rows` (the level in words), or a message without any."""
    if rows.empty:
        return components.empty_state(f"Aucun diagnostic enregistré pour {commune}.")
    shown = rows.assign(date=pd.to_datetime(rows["date_diagnostic"]).dt.strftime("%d/%m/%Y"),
                        niveau=rows["couleur"].map(colour_text))
    return components.data_table(shown, HISTORY_COLUMNS, f"Diagnostics de {commune}, du plus "
                                 "récent au plus ancien", decimals={"score": 1},
                                 table_id="diagnostic-historique-donnees")

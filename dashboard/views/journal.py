"""Views of the audit page (« Journal d'audit »), pure: a page of audit records as a table
(times in France's time, actions by their French name, an unknown action as written), the
pager's text, the filters' choices, the anonymous refusals' line and the CSV export's frame."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from dash import html

from dashboard.core.components import empty_state
from dashboard.core.formatting import format_number
from etl import clock

#: the table's and the export's columns: frame column → header
HEADERS = {"moment": "Date et heure (Paris)", "login": "Identifiant",
           "departement": "Département", "libelle": "Action", "action": "Code de l'action",
           "detail": "Détail", "address": "Adresse"}
#: the detail shown in the table is cut (the export has it whole)
DETAIL_SHOWN = 300
NONE = "Aucune ligne du journal ne correspond à ces filtres."
CAPTION = "Journal d'audit, du plus récent au plus ancien"


def moment(at) -> str:
    """A store time (UTC, naive) in France's time, « 07/12/2026 00:31:05 »."""
    if at is None or pd.isna(at):
        return ""
    return clock.local(pd.Timestamp(at).to_pydatetime()).strftime("%d/%m/%Y %H:%M:%S")


def shaped(frame: pd.DataFrame, label: Callable[[str], str]) -> pd.DataFrame:
    """The records with their French time and the French name of their action."""
    out = frame.copy()
    out["moment"] = [moment(at) for at in out["at"]]
    out["libelle"] = [label(str(a)) for a in out["action"]]
    for name in ("login", "departement", "detail", "address"):
        out[name] = out[name].astype(object).where(out[name].notna(), "")
    return out[list(HEADERS)]


def table(frame: pd.DataFrame, label: Callable[[str], str], table_id: str):
    """One page of records as an accessible table (or a message when there is none)."""
    if frame.empty:
        return empty_state(NONE)
    rows = shaped(frame, label)
    body = []
    for row in rows.itertuples(index=False):
        detail = str(row.detail)
        action = [row.libelle] if row.libelle == row.action else [
            row.libelle, html.Br(), html.Code(row.action, className="small")]
        body.append(html.Tr([
            html.Td(row.moment, className="text-nowrap"), html.Td(row.login),
            html.Td(row.departement), html.Td(action),
            html.Td(detail if len(detail) <= DETAIL_SHOWN else detail[:DETAIL_SHOWN] + "…",
                    className="text-break"),
            html.Td(row.address)]))
    heads = [HEADERS[c] for c in ("moment", "login", "departement", "libelle", "detail",
                                  "address")]
    return html.Div(html.Table([
        html.Caption(CAPTION, className="visually-hidden"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in heads])),
        html.Tbody(body),
    ], id=table_id, className="table table-sm table-striped align-top"),
        className="table-responsive")


def pages(total: int, size: int) -> int:
    """How many pages ``total`` rows fill (at least one)."""
    return max(1, -(-total // size))


def pager_text(page: int, total: int, size: int) -> str:
    """« Page 2 sur 7 (312 lignes) »."""
    lines = "ligne" if total <= 1 else "lignes"
    return f"Page {page} sur {pages(total, size)} ({format_number(total)} {lines})"


def action_options(actions: Sequence[str], label: Callable[[str], str]) -> list[dict]:
    """The action filter's choices: the French name, and the code when it differs."""
    return [{"label": label(a) if label(a) == a else f"{label(a)} ({a})", "value": a}
            for a in actions]


def departement_options(codes: Sequence[str]) -> list[dict]:
    return [{"label": code, "value": code} for code in codes]


def anonymous_text(last_hour: int, last_day: int) -> str:
    """« Refus anonymes : 12 (dernière heure), 340 (24 heures) »."""
    hour, day = format_number(last_hour), format_number(last_day)
    return (f"Refus anonymes : {hour} (dernière heure), {day} (24 heures) — requêtes "
            "sans session refusées (jeton absent, formulaire de "
            "connexion trop long, connexion verrouillée), comptées par minute et par adresse.")


def export_frame(frame: pd.DataFrame, label: Callable[[str], str]
                 ) -> tuple[pd.DataFrame, dict[str, str]]:
    """The export's rows and columns (header names in French)."""
    return shaped(frame, label), dict(HEADERS)

"""The DCAS work list (« Suivi des attentes DCAS »): open expectations oldest first with their
age, the overdue ones marked in words (not by colour alone), filters, key figures, the CSV
export and the choice of a consultation to follow up (pure: frames in, components and French
texts out; the follow-up form and the history: :mod:`dashboard.views.suivi_dcas_form`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from dash import html

from dashboard.core.components import wire
from dashboard.core.formatting import LABELS, MISSING, format_number, format_percent, safe_ratio
from dashboard.core.kpi import Kpi
from dashboard.views.map_indicators import THEME_LABELS, theme_label

#: an open expectation older than this (days since the consultation) is overdue
OVERDUE_DAYS = 30
OVERDUE_LABEL = "En retard"
#: rows of the on-page table (the CSV export has every row)
MAX_ROWS = 500
ALL = "toutes"
OPEN_STATUSES = ("a_traiter", "en_cours")
STATUS_LABELS = LABELS["statut_dcas"]
PRIORITY_LABELS = LABELS["priorite"]
ORIGIN_LABELS = {"saisie": "Saisie", "importee": "Importée"}
SLOT_LABELS = {"matin": "Matin", "apres_midi": "Après-midi", "soiree": "Soirée", "nuit": "Nuit",
               "week_end": "Week-end"}
TABLE_COLUMNS = {
    "id_consultation": "Consultation", "date_texte": "Date", "age_jours": "Âge (jours)",
    "retard": "Retard", "priorite_texte": "Priorité", "themes": "Attentes (thèmes)",
    "commune": "Commune", "statut_texte": "Statut", "origine_texte": "Origine",
}
EXPORT_COLUMNS = {
    "id_consultation": "Consultation", "date_consultation": "Date de consultation",
    "age_jours": "Âge (jours)", "retard": "En retard", "priorite_texte": "Priorité",
    "themes": "Attentes (thèmes)", "creneaux_texte": "Créneaux souhaités",
    "code_commune": "Code commune", "commune": "Commune", "brigade_id": "Brigade",
    "fonction_texte": "Fonction de l'élu", "canal_texte": "Canal", "statut_texte": "Statut",
    "actions_suivi": "Actions de suivi", "date_suivi": "Date du suivi",
    "satisfaction": "Satisfaction", "origine_texte": "Origine",
}


def missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def label(labels: Mapping[str, str], value) -> str:
    return "" if missing(value) else labels.get(str(value), str(value).replace("_", " "))


def as_date(value) -> date | None:
    return None if missing(value) else pd.Timestamp(value).date()


def date_text(value) -> str:
    d = as_date(value)
    return MISSING if d is None else d.strftime("%d/%m/%Y")


def themes_text(attentes) -> str:
    """``cambriolages|rodeos`` → « Cambriolages, Rodéos »."""
    if missing(attentes):
        return ""
    return ", ".join(theme_label(t) for t in str(attentes).split("|") if t)


def slots_text(creneaux) -> str:
    if missing(creneaux):
        return ""
    return ", ".join(SLOT_LABELS.get(s, s) for s in str(creneaux).split("|") if s)


# --- the work list -----------------------------------------------------------------------------

def prepared(frame: pd.DataFrame, communes: pd.DataFrame, today: date) -> pd.DataFrame:
    """The work list: oldest consultation first, with its age in days, its overdue flag, its
    French labels and its commune's name."""
    out = frame.copy()
    names = dict(zip(communes["code"], communes["nom"], strict=True)) if len(communes) else {}
    dates = [as_date(v) for v in out["date_consultation"]]
    out["date_consultation"] = dates
    out["age_jours"] = pd.array([(today - d).days if d else None for d in dates], dtype="Int64")
    out["en_retard"] = [bool(a is not pd.NA and a > OVERDUE_DAYS) for a in out["age_jours"]]
    out["retard"] = [OVERDUE_LABEL if late else "" for late in out["en_retard"]]
    out["date_texte"] = [date_text(d) for d in dates]
    out["date_suivi"] = [as_date(v) for v in out["date_suivi"]]
    out["themes"] = [themes_text(v) for v in out["attentes"]]
    out["creneaux_texte"] = [slots_text(v) for v in out["creneaux"]]
    out["commune"] = [names.get(c, c) for c in out["code_commune"]]
    out["statut_texte"] = [label(STATUS_LABELS, v) for v in out["statut"]]
    out["priorite_texte"] = [label(PRIORITY_LABELS, v) for v in out["priorite"]]
    out["fonction_texte"] = [label(LABELS["fonction"], v) for v in out["fonction_elu"]]
    out["canal_texte"] = [label(LABELS["canal"], v) for v in out["canal"]]
    out["origine_texte"] = [label(ORIGIN_LABELS, v) for v in out["origine"]]
    out["_sort"] = [d or date.max for d in dates]
    return out.sort_values(["_sort", "id_consultation"], kind="stable").drop(
        columns="_sort").reset_index(drop=True)


@dataclass(frozen=True)
class Filters:
    statut: str = ALL
    priorite: str = ALL
    theme: str = ALL
    overdue_only: bool = False


def _choice(value, allowed: Sequence[str], name: str) -> str:
    if value is None or value == "":
        return ALL
    if not isinstance(value, str) or (value != ALL and value not in allowed):
        raise ValueError(f"{name}: value not offered")  # a forged value: a French 400
    return value


def parse_filters(statut, priorite, theme, overdue) -> Filters:
    """The filters the browser sent; a value that was not offered raises ValueError (the app
    answers a French 400)."""
    if overdue is None:
        overdue = []
    if not isinstance(overdue, list) or any(v != "oui" for v in overdue):
        raise ValueError("overdue: value not offered")
    return Filters(_choice(statut, OPEN_STATUSES, "statut"),
                   _choice(priorite, tuple(PRIORITY_LABELS), "priorite"),
                   _choice(theme, tuple(THEME_LABELS), "theme"), bool(overdue))


def filtered(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if filters.statut != ALL:
        keep &= frame["statut"] == filters.statut
    if filters.priorite != ALL:
        keep &= frame["priorite"] == filters.priorite
    if filters.theme != ALL:
        keep &= frame["attentes"].map(lambda v: not missing(v)
                                      and filters.theme in str(v).split("|")).astype(bool)
    if filters.overdue_only:
        keep &= frame["en_retard"].astype(bool)
    return frame[keep].reset_index(drop=True)


def filter_options() -> dict[str, list[dict[str, str]]]:
    """The choices of each filter (the first: « all »)."""
    return {
        "statut": [{"label": "Tous les statuts ouverts", "value": ALL}]
        + [{"label": STATUS_LABELS[s], "value": s} for s in OPEN_STATUSES],
        "priorite": [{"label": "Toutes les priorités", "value": ALL}]
        + [{"label": v, "value": k} for k, v in PRIORITY_LABELS.items()],
        "theme": [{"label": "Tous les thèmes", "value": ALL}]
        + [{"label": v, "value": k} for k, v in THEME_LABELS.items()],
    }


def key_figures(frame: pd.DataFrame) -> list[Kpi]:
    """Open expectations, overdue ones (with their share) and the median age."""
    n = len(frame)
    late = int(frame["en_retard"].sum()) if n else 0
    ages = frame["age_jours"].dropna().astype(float) if n else pd.Series(dtype=float)
    median = float(ages.median()) if len(ages) else None
    median_text = MISSING if median is None else \
        f"{format_number(median, 0 if median.is_integer() else 1)} jours"
    return [
        Kpi("dcas-ouvertes", "Attentes ouvertes", format_number(n), "à traiter ou en cours"),
        Kpi("dcas-en-retard", "En retard", format_number(late),
            f"plus de {OVERDUE_DAYS} jours ; {format_percent(safe_ratio(late, n))} des "
            "attentes ouvertes"),
        Kpi("dcas-age-median", "Âge médian", median_text, "depuis la consultation"),
    ]


def work_table(frame: pd.DataFrame, table_id: str, max_rows: int = MAX_ROWS) -> html.Div:
    """The work list as a plain table (caption, header cells with scope); an overdue row says
    « En retard » in a badge (text, not colour alone: RGAA 3.1)."""
    shown = frame.head(max_rows)
    header = html.Thead(html.Tr([
        html.Th(label, scope="col", className="text-end" if c == "age_jours" else None)
        for c, label in TABLE_COLUMNS.items()]))
    rows = []
    for record in shown.to_dict("records"):
        cells = []
        for column in TABLE_COLUMNS:
            value = record[column]
            if column == "id_consultation":
                cells.append(wire("Th", str(value), scope="row"))
            elif column == "age_jours":
                cells.append(wire("Td", format_number(None if value is pd.NA else value),
                                  className="text-end"))
            elif column == "retard":
                cells.append(wire("Td", wire("Span", OVERDUE_LABEL,
                                             className="badge text-bg-danger dcas-retard")
                                  if value else ""))
            else:
                cells.append(wire("Td", "" if missing(value) else str(value)))
        rows.append(wire("Tr", cells, className="dcas-ligne-retard" if record["en_retard"]
                         else None))
    note = None
    if len(frame) > max_rows:
        note = html.P(f"Les {format_number(max_rows)} plus anciennes attentes sur "
                      f"{format_number(len(frame))} sont affichées ; l'export CSV les contient "
                      "toutes.", className="small text-body-secondary")
    caption = (f"Attentes ouvertes, de la plus ancienne à la plus récente "
               f"({format_number(len(frame))})")
    return html.Div([
        html.Table([html.Caption(caption), header, html.Tbody(rows)], id=table_id,
                   className="table table-sm table-striped table-hover align-middle "
                             "data-table"),
        note,
    ], className="table-responsive")


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["retard"] = ["oui" if late else "non" for late in out["en_retard"]]
    out["date_consultation"] = [d.isoformat() if d else "" for d in out["date_consultation"]]
    out["date_suivi"] = [d.isoformat() if d else "" for d in out["date_suivi"]]
    out["satisfaction"] = pd.array([None if missing(v) else int(v)
                                    for v in out["satisfaction"]], dtype="Int64")
    out["actions_suivi"] = ["" if missing(v) else str(v) for v in out["actions_suivi"]]
    return out


def export_filename(scope_param: str, today: date) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in scope_param)
    return f"suivi-dcas-{safe}-{today.isoformat()}.csv"


def choice_options(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The consultations one may follow up, as the dropdown shows them; the value is the
    consultation's id, whatever its origin (it stays the same when the store adopts an
    imported consultation)."""
    return [{"label": f"{r['id_consultation']} — {r['commune']} — {r['date_texte']}"
                      + (f" ({OVERDUE_LABEL.lower()})" if r["en_retard"] else ""),
             "value": r["id_consultation"]}
            for r in frame[["id_consultation", "commune", "date_texte", "en_retard"]]
            .to_dict("records")]


def count_text(n: int) -> str:
    s = "s" if n > 1 else ""
    return f"{format_number(n)} attente{s} ouverte{s} affichée{s}"


def territory_options(options: Sequence[dict], levels: Sequence[str]) -> list[dict[str, str]]:
    """The territories a list is drawn for, among those the user may see; a département is
    « all its brigades »."""
    return [{"label": o["label"] + (" — toutes les brigades" if level == "departement" else ""),
             "value": o["value"]} for o in options
            if (level := o["value"].split(":")[0]) in levels]

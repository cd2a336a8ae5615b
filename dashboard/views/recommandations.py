"""What the « Recommandations » page shows of a plan (pure): the what-if panel's fields and
their checks, the key figures, the table of communes, the weekly patrol plan and its CSV
export, the brigades without a possible plan, the decisions already applied."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from dash import html

from dashboard.core import report
from dashboard.core.formatting import MISSING, THOUSANDS, format_number, paris_time_text
from etl.analytics.allocation import AllocationParameters
from etl.analytics.need import CATEGORY_NAMES, SEVERITY, NeedWeights
from etl.analytics.recommend import CAPACITY_PCT_RANGE, Options, Recommendation
from etl.analytics.slots import SLOT_LABELS, SLOTS

# --- the what-if panel -----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One number of the what-if panel, with its bounds (checked on the server)."""

    key: str
    label: str
    low: float
    high: float
    step: float
    default: float
    integer: bool = False


_DEFAULTS = Options()
FIELDS: tuple[Field, ...] = (
    Field("capacite", "Capacité (% de la capacité modélisée)", *CAPACITY_PCT_RANGE, 5,
          _DEFAULTS.capacity_pct),
    Field("alpha", "Poids α des attentes des élus (0 : prévision seule ; 1 : une attente "
          "prioritaire ancienne ajoute 15 % du besoin prévu de la brigade)",
          0, 1, 0.05, _DEFAULTS.weights.alpha),
    Field("variation", "Variation maximale d'une commune (% de ses heures actuelles)", 0, 100, 5,
          _DEFAULTS.allocation.max_change * 100),
    Field("visites", "Visites minimales par commune et par semaine", 0, 20, 1,
          _DEFAULTS.allocation.min_visits, integer=True),
)
#: severity weights shown first; the others are in a « more » block
MAIN_CATEGORIES = ("cambriolages_logement", "violences_hors_famille",
                   "violences_intrafamiliales", "vols_sans_violence", "destructions_degradations")
OTHER_CATEGORIES = tuple(c for c in SEVERITY if c not in MAIN_CATEGORIES)
SEVERITY_FIELDS: dict[str, Field] = {
    c: Field(f"gravite_{c}", f"Gravité : {CATEGORY_NAMES[c]}", 0, 100, 0.5, SEVERITY[c])
    for c in (*MAIN_CATEGORIES, *OTHER_CATEGORIES)}
ALL_FIELDS: tuple[Field, ...] = (*FIELDS, *SEVERITY_FIELDS.values())
DEFAULT_VALUES: dict[str, float] = {f.key: f.default for f in ALL_FIELDS}


def _number(value) -> float | None:
    """A finite number from what the browser sent (a number, or a short French or English
    decimal text); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) <= 20:
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    return None


def _bound(x: float) -> str:
    return format_number(x, 0 if float(x).is_integer() else 2)


def parse_options(values: Mapping | None) -> tuple[Options | None, list[str]]:
    """The engine's options from the panel's values, or the French reasons they cannot be
    used (a value missing, not a number, out of bounds)."""
    values = values if isinstance(values, Mapping) else {}
    problems, parsed = [], {}
    for f in ALL_FIELDS:
        value = _number(values.get(f.key))
        bounds = f"entre {_bound(f.low)} et {_bound(f.high)}"
        if value is None:
            problems.append(f"{f.label} : indiquez un nombre {bounds}.")
        elif not f.low <= value <= f.high:
            problems.append(f"{f.label} : {_bound(value)} n'est pas {bounds}.")
        elif f.integer and not value.is_integer():
            problems.append(f"{f.label} : indiquez un nombre entier.")
        else:
            parsed[f.key] = value
    if problems:
        return None, problems
    severity = dict(SEVERITY) | {c: parsed[f.key] for c, f in SEVERITY_FIELDS.items()}
    options = Options(
        weights=NeedWeights(alpha=parsed["alpha"], severity=severity),
        allocation=AllocationParameters(max_change=parsed["variation"] / 100,
                                        min_visits=int(parsed["visites"])),
        capacity_pct=parsed["capacite"])
    try:
        options.validate()
    except ValueError as exc:
        return None, [str(exc)]
    return options, []


def problems(messages: list[str]) -> html.Div:
    """Why the panel's values cannot be used (the plan on screen stays)."""
    return html.Div([html.P("Paramètres non utilisables : le plan n'est pas recalculé.",
                            className="mb-1 fw-semibold"),
                     html.Ul([html.Li(m) for m in messages], className="mb-0")],
                    role="alert", className="alert alert-danger", id="reco-erreurs")


def week_label(week: date) -> str:
    """« Semaine 44 de 2026 (du 26/10 au 01/11/2026) »."""
    y, w, _ = week.isocalendar()
    end = week + timedelta(days=6)
    return f"Semaine {w} de {y} (du {week.strftime('%d/%m')} au {end.strftime('%d/%m/%Y')})"


def shown_values(options: Options) -> dict[str, float]:
    """The panel's values of ``options`` (what the page keeps of the plan on screen)."""
    d = options.as_dict()
    return {"capacite": d["capacite_pct"], "alpha": d["alpha"],
            "variation": d["variation_max"] * 100, "visites": d["visites_minimales"],
            **{f.key: d["gravite"].get(c, 0.0) for c, f in SEVERITY_FIELDS.items()}}


# --- texts -----------------------------------------------------------------------------------

METHOD_LABELS = {
    "modele": "modèle (gradient boosting de Poisson)",
    "derniers_4": "moyenne des 4 derniers mois",
    "annee_precedente": "même mois un an plus tôt",
    "moyenne_12": "moyenne des 12 derniers mois",
    "moyenne_12_bayes": "moyenne des 12 mois rétrécie (bayésien empirique) × saisonnalité",
    "offset_bayes": "décalage bayésien du modèle, sans les arbres",
    "oracle": "oracle (vérité de la démonstration, pour mesurer la marge)",
}


def method_label(method: object) -> str:
    return METHOD_LABELS.get(str(method), str(method))


def hours(value: object, decimals: int = 1) -> str:
    return MISSING if value is None else f"{format_number(value, decimals)}{THOUSANDS}h"


def signed_hours(value: float) -> str:
    rounded = round(float(value), 1)
    sign = "+" if rounded > 0 else ""
    return f"{sign}{format_number(rounded, 1)}{THOUSANDS}h"


def infeasible(rec: Recommendation) -> html.Div | None:
    """The brigades whose constraints cannot all be met, with the engine's reason, and those
    whose change cap had to give way."""
    if not rec.errors and not rec.notices:
        return None
    parts = []
    if rec.errors:
        parts += [
            html.H2("Brigades sans plan possible", className="h6 mb-1"),
            html.P("Leur présence actuelle est conservée dans le tableau ; ajustez la capacité, "
                   "la variation maximale ou les visites minimales.", className="mb-1 small"),
            html.Ul([html.Li(m) for _b, m in sorted(rec.errors.items())], className="mb-1")]
    if rec.notices:
        parts += [
            html.H2("Limite de variation levée", className="h6 mb-1"),
            html.Ul([html.Li(m) for _b, m in sorted(rec.notices.items())], className="mb-0")]
    return html.Div(parts, id="reco-infaisables", role="alert",
                    className="alert alert-warning")


# --- the table of communes -------------------------------------------------------------------

COMMUNE_COLUMNS = {
    "nom": "Commune", "brigade": "Brigade", "actuel": "Présence enregistrée (h)",
    "actuel_ramene": "Heures actuelles à capacité", "recommande": "Heures recommandées",
    "variation": "Variation (h)", "cible": "Cible (h)", "visites": "Visites",
    "prevision": "Faits prévus le mois prochain (intervalle à 80 %)",
    "valeur_marginale": "Besoin par heure (indice)", "explication": "Explication",
    "a_verifier": "À vérifier",
}
COMMUNE_DECIMALS = {"actuel": 1, "actuel_ramene": 1, "recommande": 1, "variation": 1,
                    "cible": 1, "valeur_marginale": 2}
OVERDUE_DAYS = 14


def flags(rec: Recommendation) -> pd.Series:
    """What to check by hand for each commune: no possible plan, a drift flag of the audit, no
    recorded presence for a while, the forecast falling back to a baseline."""
    c = rec.communes
    drift = set(rec.audit.get("alertes_derive") or [])
    days = rec.inputs.days_since
    out = []
    for row in c.itertuples(index=False):
        items = []
        if not row.plan_resolu:
            items.append("plan impossible (présence actuelle conservée)")
        if row.code_commune in drift:
            items.append("dérive : présence en hausse 4 semaines sans hausse des faits")
        d = days.get(row.code_commune, float("nan"))
        if d is None or pd.isna(d):
            items.append("aucune présence enregistrée récemment")
        elif d >= OVERDUE_DAYS:
            items.append(f"sans présence depuis {int(d)} j")
        if row.methode != "modele":
            items.append(f"prévision de repli : {method_label(row.methode)}")
        out.append("⚠ " + " ; ".join(items) if items else "")
    return pd.Series(out, index=c.index, dtype="object")


#: rows of the page's tables by default (largest changes first); the CSV export has them all
TABLE_ROWS = 50


def _by_change(frame: pd.DataFrame, change: pd.Series) -> pd.DataFrame:
    """Largest changes (up or down) first, then by name."""
    order = frame.assign(_abs=change.abs().round(6)).sort_values(
        ["_abs", "nom"], ascending=[False, True], kind="stable")
    return order.drop(columns="_abs")


def commune_frame(rec: Recommendation, prefix: str = "/") -> pd.DataFrame:
    """One row per commune, largest changes first, with its profile's link."""
    frame = rec.communes.assign(a_verifier=flags(rec), prevision=forecast_texts(rec.communes))
    frame["lien"] = prefix + "commune?code=" + frame["code_commune"].astype(str)
    return _by_change(frame, frame["variation"])


MARGINAL_NOTE = ("Heures actuelles à capacité : la présence enregistrée de la commune ramenée à "
                 "la capacité de sa brigade (sa part des heures actuelles) ; la variation et la "
                 "limite de variation s'y appliquent. Cible : les heures proportionnelles au "
                 "besoin vers lesquelles le plan avance chaque semaine. Besoin par heure "
                 "(indice) : besoin prévu de la commune par heure recommandée, rapporté à celui "
                 "de sa brigade (1 : servie comme la moyenne de la brigade ; 2 : deux fois plus "
                 "de besoin par heure, elle gagnerait le plus à une heure de plus ; 0,5 : "
                 "servie au-delà de son besoin, par la présence minimale ou la limite de "
                 "variation). ⚠ : commune à vérifier.")


def forecast_texts(communes: pd.DataFrame) -> pd.Series:
    """« 4 (2 à 7) »: next month's forecast facts and their 80 % interval, per commune."""
    return pd.Series([
        f"{format_number(m, 1)} ({format_number(lo, 0)} à {format_number(hi, 0)})"
        for m, lo, hi in zip(communes["faits_prevus_mois"], communes["faits_prevus_bas"],
                             communes["faits_prevus_haut"], strict=True)],
        index=communes.index, dtype="object")


def commune_table(rec: Recommendation, prefix: str, table_id: str,
                  rows: int = TABLE_ROWS) -> html.Div:
    """The communes' table, names linked to their profiles (``prefix``: the app's path)."""
    return html.Div([report.linked_table(
        commune_frame(rec, prefix), COMMUNE_COLUMNS,
        f"Heures de présence par semaine — {rec.inputs.semaine}", decimals=COMMUNE_DECIMALS,
        links={"nom": "lien"}, table_id=table_id, max_rows=rows),
        html.P(MARGINAL_NOTE, className="small text-body-secondary")])


# --- the weekly patrol plan ------------------------------------------------------------------

PLAN_COLUMNS = {
    "semaine": "Semaine", "brigade_id": "Code brigade", "brigade": "Brigade",
    "code_commune": "Code commune", "nom": "Commune", "creneau_libelle": "Créneau",
    "visites": "Visites", "heures_recommandees": "Heures recommandées",
    "heures_cibles": "Heures cibles", "heures_actuelles": "Heures actuelles",
    "capacite_brigade": "Capacité de la brigade (h)",
}


def plan_frame(rec: Recommendation, synthetic: bool) -> pd.DataFrame:
    """The weekly plan, one row per commune × slot (the CSV export)."""
    names = rec.communes.drop_duplicates("brigade_id").set_index("brigade_id")["brigade"]
    frame = rec.slots.assign(
        semaine=rec.inputs.semaine, brigade=rec.slots["brigade_id"].map(names),
        creneau_libelle=rec.slots["creneau"].map(SLOT_LABELS))
    for column in ("heures_recommandees", "heures_cibles", "heures_actuelles",
                   "capacite_brigade"):
        frame[column] = frame[column].astype(float).round(2)
    if synthetic:
        frame["donnees"] = "synthétiques (démonstration)"
    return frame


def plan_columns(synthetic: bool) -> dict[str, str]:
    return PLAN_COLUMNS | ({"donnees": "Données"} if synthetic else {})


def plan_filename(rec: Recommendation, scope_param: str) -> str:
    return f"plan_patrouilles_{scope_param.replace(':', '_')}_{rec.inputs.semaine}.csv"


def plan_pivot(rec: Recommendation) -> tuple[pd.DataFrame, dict[str, str]]:
    """Visits per commune (rows) and slot (columns), with the commune's hours: the plan on
    the page."""
    s = rec.slots
    table = s.pivot_table(index=["brigade_id", "code_commune", "nom"], columns="creneau",
                          values="visites", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(SLOTS), fill_value=0).reset_index()
    total = s.groupby("code_commune")["heures_recommandees"].sum()
    table["heures"] = table["code_commune"].map(total).astype(float)
    names = rec.communes.drop_duplicates("brigade_id").set_index("brigade_id")["brigade"]
    table["brigade"] = table["brigade_id"].map(names)
    change = rec.communes.set_index("code_commune")["variation"]
    table = _by_change(table, table["code_commune"].map(change))
    columns = {"nom": "Commune", "brigade": "Brigade",
               **{slot: SLOT_LABELS[slot] for slot in SLOTS}, "heures": "Heures"}
    return table, columns


def plan_table(rec: Recommendation, table_id: str, rows: int = TABLE_ROWS) -> html.Div:
    pivot, columns = plan_pivot(rec)
    return report.linked_table(pivot, columns,
                               f"Visites recommandées par créneau — {rec.inputs.semaine}",
                               decimals={"heures": 1}, table_id=table_id, max_rows=rows)


def table_rows(choice) -> int:
    """The rows the tables show: ``"toutes"`` or the default."""
    return 100_000 if choice == "toutes" else TABLE_ROWS


# --- decisions -------------------------------------------------------------------------------

DECISION_COLUMNS = {"id": "N°", "quand": "Décidé le (heure de Paris)", "login": "Par",
                    "brigade": "Brigade", "semaine_planifiee": "Semaine planifiée",
                    "origine": "Plan", "total_hours": "Heures par semaine"}
#: where an applied plan came from (a decision keeps the run it refers to, or « calcul-… »
#: when it was computed on the page without a national run)
ON_THE_SPOT = "calcul-"


def iso_week_label(text: str) -> str:
    """« 2026-W44 » as « Semaine 44 de 2026 (du 26/10 au 01/11/2026) » (as it is: unreadable)."""
    try:
        year, week = str(text).split("-W")
        return week_label(date.fromisocalendar(int(year), int(week), 1))
    except ValueError:
        return str(text)


def decision_frame(decisions: pd.DataFrame, brigade_names: Mapping[str, str]) -> pd.DataFrame:
    """The decisions as the page lists them: when in France's time, who, which brigade (its
    name), which week, and whether the plan came from the national run or was computed on the
    page (never the run's internal id)."""
    frame = decisions.copy()
    frame["quand"] = [paris_time_text(t) or MISSING for t in frame["decided_at"]]
    frame["id"] = frame["id"].astype(str)
    frame["brigade"] = [f"{brigade_names[b]} ({b})" if b in brigade_names else str(b)
                        for b in frame["brigade_id"]]
    frame["semaine_planifiee"] = frame["semaine"].map(iso_week_label)
    frame["origine"] = ["calculé sur la page" if str(r).startswith(ON_THE_SPOT)
                        else "calcul national de la semaine" for r in frame["run_id"]]
    return frame


def applied_message(applied: list[tuple[str, int]], names: Mapping[str, str],
                    semaine: str) -> str:
    parts = [f"décision n° {d} ({names.get(b, b)})" for b, d in applied]
    n = len(applied)
    return (f"Plan appliqué pour {n} brigade{'s' if n > 1 else ''}, semaine {semaine} : "
            + ", ".join(parts) + ". Le plan de la semaine suivante partira de celui-ci.")

"""The overview's figures: period sums, changes, ratios, medians and their French cards (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import pandas as pd

from dashboard.core import categories
from dashboard.core.formatting import format_number, format_percent
from dashboard.core.kpi import Kpi
from dashboard.core.scope import Period, Scope
from dashboard.views.measures import (
    difference,
    format_change,
    format_duration,
    is_missing,
    per_1000,
    plural,
    relative_change,
    share,
)
from etl.alerts.labels import DLR_LABELS, SENT_DETAIL, SENT_LABEL

#: the three periods every figure is computed for
CURRENT, PREVIOUS, YEAR_BEFORE = "courante", "precedente", "annee_precedente"
PERIOD_KEYS = (CURRENT, PREVIOUS, YEAR_BEFORE)
MINUS = "\u2212"  # a real minus sign, read as « moins » by screen readers


def periods_of(period: Period) -> dict[str, Period]:
    """The period shown, the one just before (same length) and the same one a year earlier."""
    return {CURRENT: period, PREVIOUS: period.previous(), YEAR_BEFORE: period.year_before()}


@dataclass(frozen=True)
class Comparison:
    """One period the figures are compared with, and how the page names it."""

    key: str  # PREVIOUS or YEAR_BEFORE
    period: Period
    column: str  # the table's column of its values
    change: str  # the table's column of the change
    note: str  # a card's line: « <note> : +5,0 % »
    sentence: str  # in the page's note: « Comparée <sentence> (<its months>) »


def _months_before(months: int) -> str:
    return "Mois précédent" if months == 1 else f"{months} mois précédents"


def comparisons(period: Period) -> tuple[Comparison, ...]:
    """What the figures are compared with: the months just before (as many as the period's)
    and the same months a year earlier. For 12 months they are the same period: compared
    once, as a year earlier (each card and column would otherwise show it twice)."""
    year_before = period.year_before()
    year = Comparison(YEAR_BEFORE, year_before, "Même période un an plus tôt",
                      "Évolution sur un an", "Un an plus tôt",
                      "à la même période un an plus tôt")
    previous = period.previous()
    if previous == year_before:
        return (replace(year, sentence="aux 12 mois précédents, la même période un an plus "
                                       "tôt"),)
    before = _months_before(period.months)
    return (Comparison(PREVIOUS, previous, before, f"Évolution / {before.lower()}", before,
                       "au mois précédent" if period.months == 1
                       else f"aux {period.months} mois précédents"), year)


def comparison_note(period: Period) -> str:
    """« Période : … Comparée aux 3 mois précédents (…) et à la même période un an plus tôt
    (…). »"""
    said = [f"{c.sentence} ({c.period.label()})" for c in comparisons(period)]
    return f"Période : {period.label()}. Comparée " + " et ".join(said) + "."


# --- cards -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    """One figure of the overview: how to read it from the period's figures, how to show it."""

    key: str
    label: str
    section: str
    kind: str  # "count", "share", "minutes" or "hours"
    value: Callable[[Mapping[str, object]], object]
    detail: Callable[[Mapping[str, object], Mapping[str, object]], str] = lambda f, s: ""
    link: str = ""  # "tendances:<category>" or "carte:<indicator>"


SECTION_FACTS = "Délinquance enregistrée"
SECTION_ELUS = "Atteintes aux élus et alertes"
SECTION_RELATION = "Relation avec les élus"
SECTION_FIELD = "Cybersécurité et présence"
SECTIONS = (SECTION_FACTS, SECTION_ELUS, SECTION_RELATION, SECTION_FIELD)

CHANGE_KIND = {"count": "percent", "hours": "percent", "share": "points", "minutes": "minutes"}


def _get(name: str) -> Callable[[Mapping[str, object]], object]:
    return lambda f: f.get(name)


def _fact_rate(key: str) -> Callable[[Mapping[str, object], Mapping[str, object]], str]:
    def detail(figures: Mapping[str, object], scope: Mapping[str, object]) -> str:
        rate = per_1000(figures.get(f"faits_{key}"), scope.get("population"))
        return f"{format_number(rate, 2)} pour 1 000 habitants sur la période"
    return detail


def _measures() -> tuple[Measure, ...]:
    facts = tuple(
        Measure(f"faits_{c.key}", c.label, SECTION_FACTS, "count", _get(f"faits_{c.key}"),
                _fact_rate(c.key), f"tendances:{c.key}")
        for c in (*categories.MAIN, categories.ENSEMBLE)
    )
    return facts + (
        Measure("plaintes", "Atteintes aux élus (plaintes)", SECTION_ELUS, "count",
                _get("plaintes"), lambda f, s: "plaintes d'élus, par date des faits",
                f"tendances:{categories.COMPLAINTS}"),
        # the one definition of the « Alertes » page too (etl.alerts.labels.SENT_LABEL)
        Measure("alertes", SENT_LABEL, SECTION_ELUS, "count", _get("alertes"),
                lambda f, s: (f"{SENT_DETAIL}, par date de création ; "
                              + plural(f.get("messages"), "SMS adressé", "SMS adressés")),
                "carte:alertes"),
        Measure("taux_remise", "SMS d'alerte remis", SECTION_ELUS, "share",
                lambda f: share(f.get("messages_remis"), f.get("messages")),
                lambda f, s: (f"{format_number(f.get('messages_remis'))} "
                              f"{DLR_LABELS['DELIVRD'].lower()} sur "
                              f"{format_number(f.get('messages'))} adressés aux élus"),
                "carte:taux_remise"),
        Measure("delai_alerte", "Délai médian des faits à l'alerte", SECTION_ELUS, "minutes",
                _get("delai_median_min"),
                lambda f, s: "médiane sur " + plural(f.get("alertes_datees"), "alerte datée",
                                                     "alertes datées"),
                "carte:delai_alerte"),
        Measure("dcas", "Consultations DCAS", SECTION_RELATION, "count", _get("dcas"),
                lambda f, s: "consultations d'élus menées", "carte:dcas"),
        Measure("satisfaction", "Élus satisfaits (DCAS)", SECTION_RELATION, "share",
                lambda f: share(f.get("dcas_satisfaits"), f.get("dcas_notees")),
                lambda f, s: "note 4 ou 5 sur 5, " + plural(
                    f.get("dcas_notees"), "consultation notée", "consultations notées"),
                "carte:satisfaction"),
        Measure("elus_formes", "Élus formés", SECTION_RELATION, "count", _get("elus_formes"),
                lambda f, s: "participations d'élus à une formation", "carte:formations"),
        Measure("couverture_formation", "Communes touchées par une formation", SECTION_RELATION,
                "share",
                lambda f: share(f.get("communes_formees"), f.get("communes_zgn")),
                lambda f, s: (f"{format_number(f.get('communes_formees'))} communes sur "
                              f"{format_number(f.get('communes_zgn'))} en zone gendarmerie"),
                "carte:couverture_formation"),
        Measure("diagnostics", "Diagnostics cyber", SECTION_FIELD, "count", _get("diagnostics"),
                lambda f, s: "autodiagnostics de communes", "carte:diagnostics"),
        Measure("diagnostics_rouges", "Diagnostics cyber au rouge", SECTION_FIELD, "share",
                lambda f: share(f.get("diagnostics_rouges"), f.get("diagnostics")),
                lambda f, s: plural(f.get("diagnostics_rouges"), "diagnostic rouge",
                                    "diagnostics rouges"),
                "carte:cyber_rouge"),
        Measure("heures_presence", "Heures de présence", SECTION_FIELD, "hours",
                _get("heures_presence"),
                lambda f, s: "heures-gendarme de présence sur la voie publique",
                "carte:heures_presence"),
    )


MEASURES: tuple[Measure, ...] = _measures()


def format_value(value: object, kind: str) -> str:
    if kind == "share":
        return format_percent(value)
    if kind == "minutes":
        return format_duration(value)
    return format_number(value)


def change_of(kind: str, current: object, reference: object) -> float | None:
    """Counts and hours change in percent, shares in points, durations in minutes."""
    return relative_change(current, reference) if CHANGE_KIND[kind] == "percent" \
        else difference(current, reference)


def link(measure: Measure, scope: Scope, period: Period) -> str:
    """Where a card leads: the trends of its category or the map of its indicator, with the same
    territory and period in the address."""
    page, _, key = measure.link.partition(":")
    params = {"perimetre": scope.to_param(), **period.params()}
    params["categorie" if page == "tendances" else "indicateur"] = key
    return f"/{page}?{urlencode(params)}"


def overview_frame(figures: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """One row per measure: its values in the three periods and the two changes (raw numbers:
    shares as fractions, changes as fractions or minutes), for the table and the CSV export."""
    rows = []
    for m in MEASURES:
        values = {k: m.value(figures.get(k, {})) for k in PERIOD_KEYS}
        values = {k: None if is_missing(v) else float(v) for k, v in values.items()}
        rows.append({
            "section": m.section, "cle": m.key, "indicateur": m.label, "type": m.kind,
            **values,
            "evolution_precedente": change_of(m.kind, values[CURRENT], values[PREVIOUS]),
            "evolution_annee": change_of(m.kind, values[CURRENT], values[YEAR_BEFORE]),
        })
    return pd.DataFrame(rows)


def overview_kpis(figures: Mapping[str, Mapping[str, object]], scope_figures: Mapping[str, object],
                  scope: Scope, period: Period) -> dict[str, list[Kpi]]:
    """The cards of each section: value of the period, its detail, its two changes, its link.

    ``figures`` maps each of PERIOD_KEYS to the period's figures (query names);
    ``scope_figures`` holds the territory's ``population``.
    """
    frame = overview_frame(figures).set_index("cle")
    current = figures.get(CURRENT, {})
    out: dict[str, list[Kpi]] = {s: [] for s in SECTIONS}
    for m in MEASURES:
        row = frame.loc[m.key]
        kind = CHANGE_KIND[m.kind]
        notes = tuple(f"{c.note} : {format_change(row[CHANGE_OF[c.key]], kind)}"
                      for c in comparisons(period))
        out[m.section].append(Kpi(m.key, m.label, format_value(row[CURRENT], m.kind),
                                  m.detail(current, scope_figures), notes,
                                  link(m, scope, period)))
    return out


def has_data(figures: Mapping[str, Mapping[str, object]]) -> bool:
    """Whether the territory has any figure at all in the three periods."""
    for values in figures.values():
        for name, value in values.items():
            if name != "communes_zgn" and not is_missing(value) and float(value) != 0:
                return True
    return False


def export_frame(figures: Mapping[str, Mapping[str, object]],
                 period: Period) -> tuple[pd.DataFrame, dict]:
    """The overview table in the units shown (percentages, minutes) and its French headers,
    with the comparisons of ``period`` (:func:`comparisons`)."""
    frame = overview_frame(figures)
    shares = frame["type"] == "share"
    for col in (*PERIOD_KEYS, "evolution_precedente", "evolution_annee"):
        frame[col] = frame[col].astype("float64")
    for col in PERIOD_KEYS:
        frame.loc[shares, col] = frame.loc[shares, col] * 100
    pct = frame["type"].isin(["count", "hours"]) | shares
    for col in ("evolution_precedente", "evolution_annee"):
        frame.loc[pct, col] = frame.loc[pct, col] * 100
    frame["unite"] = frame["type"].map({"count": "nombre", "hours": "heures", "share": "%",
                                        "minutes": "minutes"})
    frame["unite_evolution"] = frame["type"].map({"count": "%", "hours": "%", "share": "points",
                                                  "minutes": "minutes"})
    for col in (*PERIOD_KEYS, "evolution_precedente", "evolution_annee"):
        frame[col] = frame[col].round(2)
    columns = {"section": "Rubrique", "indicateur": "Indicateur", "unite": "Unité",
               CURRENT: "Période", **_compared_columns(period),
               "unite_evolution": "Unité de l'évolution"}
    return frame, columns


#: the frame's column of the change against each comparison
CHANGE_OF = {PREVIOUS: "evolution_precedente", YEAR_BEFORE: "evolution_annee"}


def _compared_columns(period: Period) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in comparisons(period):
        out |= {c.key: c.column, CHANGE_OF[c.key]: c.change}
    return out


def display_frame(figures: Mapping[str, Mapping[str, object]],
                  period: Period) -> tuple[pd.DataFrame, dict]:
    """The overview table as French text, for the page (the CSV keeps the numbers)."""
    frame = overview_frame(figures)
    out = pd.DataFrame({"indicateur": frame["indicateur"]})
    for col in PERIOD_KEYS:
        out[col] = [format_value(v, k) for v, k in zip(frame[col], frame["type"], strict=True)]
    for col in ("evolution_precedente", "evolution_annee"):
        out[col] = [format_change(v, CHANGE_KIND[k])
                    for v, k in zip(frame[col], frame["type"], strict=True)]
    columns = {"indicateur": "Indicateur", CURRENT: "Période", **_compared_columns(period)}
    return out, columns

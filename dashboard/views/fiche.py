"""The préfet's brief (« Fiche préfet »): one territory's figures shaped for a page that prints and
a PDF (pure: frames in, a :class:`Brief` of French texts and tables out).

The figures are those of the other pages, computed by their own rules: the overview's key
figures (passed in as its French table), the Carte page's per-commune indicators
(:func:`dashboard.views.map_values.values_of`, every indicator side by side), the DCAS work
list's open and overdue expectations (passed in as the work list prepared by its view), the
profiles' alerts, trainings and immersions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from dashboard.core.formatting import (
    MISSING,
    format_number,
    format_percent,
    label,
    month_label,
)
from dashboard.core.provenance import provenance_label
from dashboard.core.scope import MONTHS_FR, Period
from dashboard.views.map_indicators import BY_KEY, Choices, format_value, theme_label
from dashboard.views.map_values import values_of
from dashboard.views.measures import format_change, format_duration, relative_change
from dashboard.views.saisie import value_label

TITLE = "Fiche préfet"
SYNTHETIC = ("Données de démonstration : les faits, plaintes, alertes, consultations, formations "
             "et présences de cette fiche sont synthétiques (générés et calibrés sur des chiffres "
             "publics), pas des données réelles.")
NOT_A_BRIEF_LEVEL = ("La fiche se prépare pour un département, une compagnie, une brigade ou une "
                     "commune : choisissez-en un dans « Territoire ».")
RULES = ("Faits enregistrés : toutes les communes du territoire (police et gendarmerie), par "
         "mois d'enregistrement ; ils ne mesurent pas la délinquance réelle. Indicateurs de "
         "l'opération (alertes, DCAS, formations, présence) : communes de la zone gendarmerie. "
         "Plaintes d'élus par date des faits. Attente DCAS en retard : ouverte depuis plus de "
         "30 jours.")
#: the brief's per-commune table: indicator of the Carte page → short header
COMMUNE_INDICATORS: dict[str, str] = {
    "faits_nombre": "Faits", "faits_taux": "Faits / 1\u202f000 hab.",
    "faits_evolution": "Évol. faits sur un an", "plaintes": "Plaintes d'élus",
    "alertes": "Alertes", "taux_remise": "SMS remis", "dcas": "Consult. DCAS",
    "satisfaction": "Élus satisfaits", "formations": "Particip. formation",
    "score_cyber": "Score cyber", "heures_presence": "Heures de présence",
    "ecart_presence": "Écart présence / attendu",
}
COMMUNE_COLUMNS = {"nom": "Commune", "population": "Population", "zone_texte": "Zone",
                   **COMMUNE_INDICATORS, "attentes_ouvertes": "Attentes DCAS ouvertes",
                   "attentes_en_retard": "dont en retard"}
CSV_COLUMNS = {"code": "Code commune", **COMMUNE_COLUMNS}
ZONES = {"ZGN": "gend.", "ZPN": "police"}
MAP_INDICATOR = "faits_taux"
SOURCE_LABELS = {
    "facts": "faits enregistrés", "crime": "base communale SSMSI", "crime_dep":
    "base départementale SSMSI", "complaints": "plaintes d'élus", "alerts": "alertes SMS",
    "dlr": "accusés de réception SMS", "contacts": "contacts d'alerte", "dcas":
    "consultations DCAS", "trainings": "formations", "immersions": "immersions",
    "diagnostics": "diagnostics cyber", "presence": "heures de présence",
}
ROWS_SHOWN = 8


@dataclass
class Brief:
    """A territory's brief, every text in French (tables as frames of texts)."""

    title: str
    label: str
    level: str
    period_text: str
    generated: str
    synthetic: str | None
    territory: list[tuple[str, str]]
    key_figures: pd.DataFrame
    trend: pd.DataFrame
    communes: pd.DataFrame
    communes_csv: pd.DataFrame
    map_values: pd.DataFrame
    map_title: str
    dcas: list[tuple[str, str]]
    dcas_overdue: pd.DataFrame
    alerts: list[tuple[str, str]]
    alerts_list: pd.DataFrame
    engagement: list[tuple[str, str]]
    sources: list[str] = field(default_factory=list)

    @property
    def file_stem(self) -> str:
        """« fiche_prefet_35_ille_et_vilaine »."""
        words = re.split(r"[^0-9a-z]+", ascii_text(self.label).lower())
        return "_".join(["fiche_prefet", *[w for w in words if w]])


def ascii_text(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def sort_key(name: str) -> str:
    """French alphabetical order (accents ignored)."""
    return ascii_text(str(name)).lower()


def generated_text(at: datetime) -> str:
    """« Générée le 7 décembre 2026 à 23 h 41 (heure de Paris) »."""
    return (f"Générée le {at.day} {MONTHS_FR[at.month - 1]} {at.year} à {at.hour} h "
            f"{at.minute:02d} (heure de Paris)")


# --- key figures and trend -------------------------------------------------------------------

def key_figures(overview: pd.DataFrame) -> pd.DataFrame:
    """The overview's French table (``display_frame`` with the ``section`` of each measure):
    the period, a year earlier and the change, by section."""
    return overview[["section", "indicateur", "courante", "annee_precedente",
                     "evolution_annee"]].reset_index(drop=True)


def trend(monthly: pd.DataFrame, period: Period, year_before: Period) -> pd.DataFrame:
    """Recorded facts per month of the period beside the same month a year earlier (every
    category): ``mois`` (« nov. »), ``courante``, ``annee_precedente``, ``evolution``."""
    sums = (monthly.assign(mois=pd.to_datetime(monthly["mois"])).groupby("mois")["nombre"].sum()
            if len(monthly) else pd.Series(dtype="float64"))
    rows = []
    for k in range(period.months):
        month = pd.Timestamp(period.start) + pd.DateOffset(months=k)
        before = pd.Timestamp(year_before.start) + pd.DateOffset(months=k)
        now_, then = float(sums.get(month, 0)), float(sums.get(before, 0))
        rows.append({"mois": month_label(month),
                     "courante": now_, "annee_precedente": then,
                     "evolution": format_change(relative_change(now_, then), "percent")})
    return pd.DataFrame(rows, columns=["mois", "courante", "annee_precedente", "evolution"])


def territory_lines(scope_figures: Mapping[str, object], brigades: int) -> list[tuple[str, str]]:
    return [("Population", f"{format_number(scope_figures.get('population'))} habitants"),
            ("Communes", f"{format_number(scope_figures.get('communes'))}, dont "
                         f"{format_number(scope_figures.get('communes_zgn'))} en zone "
                         "gendarmerie"),
            ("Brigades", format_number(brigades))]


# --- communes --------------------------------------------------------------------------------

def commune_values(units: pd.DataFrame, raw: Mapping[str, pd.DataFrame], period: Period
                   ) -> pd.DataFrame:
    """Every indicator of :data:`COMMUNE_INDICATORS` per commune (raw numbers), computed as
    the Carte page computes its map: one row per commune of ``units``."""
    out = units[["code", "nom", "population", "zone"]].copy()
    choices = Choices()
    for key in COMMUNE_INDICATORS:
        indicator = BY_KEY[key]
        frame = raw.get(indicator.source)
        if frame is None:
            out[key] = float("nan")
            continue
        values = values_of(indicator, {"raw": frame}, choices, period, "commune").frame
        out[key] = out["code"].map(values.set_index("code")["value"]).astype("float64")
    return out


def open_expectations(work: pd.DataFrame) -> pd.DataFrame:
    """Open and overdue expectations per commune, from the prepared work list."""
    if work.empty:
        return pd.DataFrame({"code": [], "attentes_ouvertes": [], "attentes_en_retard": []})
    return (work.assign(en_retard=work["en_retard"].astype(int))
            .groupby("code_commune", as_index=False)
            .agg(attentes_ouvertes=("id_consultation", "count"),
                 attentes_en_retard=("en_retard", "sum"))
            .rename(columns={"code_commune": "code"}))


def commune_tables(values: pd.DataFrame, work: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the table as French texts, the same with raw numbers for the CSV), alphabetical."""
    frame = values.merge(open_expectations(work), on="code", how="left")
    gendarmerie = frame["zone"] == "ZGN"
    for column in ("attentes_ouvertes", "attentes_en_retard"):
        frame[column] = frame[column].fillna(0).where(gendarmerie).astype("Float64")
    frame["zone_texte"] = frame["zone"].map(ZONES).fillna("")
    frame = frame.iloc[sorted(range(len(frame)), key=lambda i: sort_key(frame["nom"].iloc[i]))]
    frame = frame.reset_index(drop=True)
    text = pd.DataFrame({"nom": frame["nom"], "zone_texte": frame["zone_texte"],
                         "population": [format_number(v) for v in frame["population"]]})
    for key in COMMUNE_INDICATORS:
        text[key] = [format_value(v, BY_KEY[key]) for v in frame[key]]
    for column in ("attentes_ouvertes", "attentes_en_retard"):
        text[column] = [MISSING if pd.isna(v) else format_number(float(v))
                        for v in frame[column]]
    csv = frame[list(CSV_COLUMNS)].copy()
    for column in COMMUNE_INDICATORS:
        csv[column] = csv[column].round(2)
    return text[list(COMMUNE_COLUMNS)], csv


# --- DCAS, alerts, trainings and immersions --------------------------------------------------

def counted(counts: Mapping[str, int]) -> str:
    """« Vitesse (19), Cambriolages (8) », the most frequent first."""
    if not counts:
        return MISSING
    return ", ".join(f"{name} ({format_number(n)})"
                     for name, n in sorted(counts.items(), key=lambda c: (-c[1], c[0])))


def dcas_summary(work: pd.DataFrame) -> tuple[list[tuple[str, str]], pd.DataFrame]:
    """(key lines, the oldest overdue expectations) from the work list prepared by the DCAS
    follow-up's view (``en_retard``, ``age_jours``, ``themes``…)."""
    n = len(work)
    late = int(work["en_retard"].sum()) if n else 0
    ages = work["age_jours"].dropna().astype(float) if n else pd.Series(dtype="float64")
    lines = [("Attentes ouvertes", f"{format_number(n)} (à traiter ou en cours)"),
             ("En retard", f"{format_number(late)} ouvertes depuis plus de 30 jours"
                           + (f" ({format_percent(late / n)})" if n else "")),
             ("Âge médian", MISSING if ages.empty else
              f"{format_number(float(ages.median()), 0)} jours depuis la consultation")]
    overdue = work[work["en_retard"].astype(bool)] if n else work
    overdue = pd.DataFrame({
        "commune": overdue.get("commune", pd.Series(dtype=object)),
        "date": overdue.get("date_texte", pd.Series(dtype=object)),
        "age": [format_number(v) for v in overdue.get("age_jours", [])],
        "priorite": overdue.get("priorite_texte", pd.Series(dtype=object)),
        "themes": overdue.get("themes", pd.Series(dtype=object)),
    }).head(ROWS_SHOWN).reset_index(drop=True)
    themes: dict[str, int] = {}
    for value in (work["attentes"] if n else []):
        for theme in str(value).split("|") if isinstance(value, str) else []:
            themes[theme_label(theme)] = themes.get(theme_label(theme), 0) + 1
    lines.append(("Thèmes des attentes ouvertes", counted(themes)))
    return lines, overdue


def alerts_summary(alerts: pd.DataFrame) -> tuple[list[tuple[str, str]], pd.DataFrame]:
    """(key lines, the latest alerts) of the alerts sent in the period."""
    sent = alerts[alerts["statut"] == "envoyee"] if len(alerts) else alerts
    n = len(sent)
    messages = int(sent["messages"].sum()) if n else 0
    delivered = int(sent["remis"].sum()) if n else 0
    delays = pd.to_numeric(sent["delai_min"], errors="coerce").dropna() if n else pd.Series()
    delays = delays[delays >= 0]
    lines = [("Alertes envoyées", format_number(n)),
             ("SMS remis", f"{format_number(delivered)} sur {format_number(messages)}"
                           + (f" ({format_percent(delivered / messages)})" if messages else "")),
             ("Délai médian des faits à l'alerte",
              format_duration(float(delays.median())) if len(delays) else MISSING)]
    latest = pd.DataFrame({
        "date": [pd.Timestamp(t).strftime("%d/%m/%Y") for t in sent.get("cree_le", [])],
        "categorie": [label("alerte", c) for c in sent.get("categorie", [])],
        "communes": [format_number(len(str(c).split("|"))) if isinstance(c, str) else MISSING
                     for c in sent.get("communes_ciblees", [])],
        "sms": [f"{format_number(r)} / {format_number(m)}"
                for r, m in zip(sent.get("remis", []), sent.get("messages", []), strict=True)],
    }).head(ROWS_SHOWN)
    return lines, latest


def engagement_summary(trainings: pd.DataFrame, immersions: pd.DataFrame,
                       elu_functions: Sequence[str]) -> list[tuple[str, str]]:
    """Key lines of the period's trainings (with their themes) and immersions."""
    n = len(trainings)
    elus = int(trainings["fonction_participant"].isin(list(elu_functions)).sum()) if n else 0
    sessions = trainings["id_session"].nunique() if n else 0
    communes = trainings["code_commune"].nunique() if n else 0
    notes = pd.to_numeric(immersions["note"], errors="coerce").dropna() if len(immersions) \
        else pd.Series(dtype="float64")
    kinds = immersions["type_unite"].value_counts() if len(immersions) else pd.Series()
    lines = [("Formations", f"{format_number(sessions)} sessions, {format_number(n)} "
                            f"participations dont {format_number(elus)} d'élus"),
             ("Communes touchées", format_number(communes)),
             ("Immersions d'élus", format_number(len(immersions)) + (
                 " (" + ", ".join(f"{value_label(str(k))} : {format_number(v)}"
                                  for k, v in kinds.items()) + ")" if len(kinds) else "")),
             ("Note des immersions", MISSING if notes.empty else
              f"{format_number(float(notes.mean()), 1)} sur 5")]
    themes = trainings.groupby("theme").size() if n else pd.Series(dtype="int64")
    lines.insert(1, ("Thèmes de formation", counted(
        {label("formation", t): int(v) for t, v in themes.items()})))
    return lines


def source_lines(loads: pd.DataFrame, organisation: Mapping[str, int],
                 parametres: Mapping[str, str]) -> list[str]:
    """Where the figures come from: each loaded source's last load, the reference data, the
    counting rules."""
    loaded = []
    for row in loads.itertuples(index=False):
        if row.source in SOURCE_LABELS and not pd.isna(row.dernier_chargement):
            nature = " (synthétiques)" if bool(row.synthetique) else ""
            loaded.append(f"{SOURCE_LABELS[row.source]}{nature}, chargement du "
                          f"{pd.Timestamp(row.dernier_chargement).strftime('%d/%m/%Y')}")
    return [("Sources : " + " ; ".join(loaded) + ".") if loaded else
            "Sources : aucun chargement enregistré.",
            provenance_label(organisation, parametres) + ".", RULES]


# --- the brief -------------------------------------------------------------------------------

def brief(*, label_: str, level: str, period: Period, year_before: Period, generated_at: datetime,
          synthetic: bool, scope_figures: Mapping[str, object], brigades: int,
          overview: pd.DataFrame, monthly: pd.DataFrame, units: pd.DataFrame,
          communes: Mapping[str, pd.DataFrame], work: pd.DataFrame, alerts: pd.DataFrame,
          trainings: pd.DataFrame, immersions: pd.DataFrame, elu_functions: Sequence[str],
          loads: pd.DataFrame, organisation: Mapping[str, int],
          parametres: Mapping[str, str]) -> Brief:
    """The brief of one territory (``label_``: « 35 — Ille-et-Vilaine »)."""
    values = commune_values(units, communes, period)
    text, csv = commune_tables(values, work)
    dcas_lines, overdue = dcas_summary(work)
    alert_lines, latest = alerts_summary(alerts)
    engagement = engagement_summary(trainings, immersions, elu_functions)
    return Brief(
        title=f"{TITLE} — {label_}", label=label_, level=level,
        period_text=(f"Période : {period.label()}, comparée à la même période un an plus tôt "
                     f"({year_before.label()})."),
        generated=generated_text(generated_at), synthetic=SYNTHETIC if synthetic else None,
        territory=territory_lines(scope_figures, brigades), key_figures=key_figures(overview),
        trend=trend(monthly, period, year_before), communes=text, communes_csv=csv,
        map_values=values[["code", "nom", "zone", "population", MAP_INDICATOR]].rename(
            columns={MAP_INDICATOR: "value"}),
        map_title=f"{BY_KEY[MAP_INDICATOR].label} — {period.label()}",
        dcas=dcas_lines, dcas_overdue=overdue, alerts=alert_lines, alerts_list=latest,
        engagement=engagement,
        sources=source_lines(loads, organisation, parametres))


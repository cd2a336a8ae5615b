"""One indicator's value per map unit, computed from the per-unit query results of
:mod:`dashboard.queries.carte` (pure: frames in, :class:`Values` out)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.core.formatting import format_number
from dashboard.core.scope import Period
from dashboard.views.map_indicators import (
    ALL_CATEGORIES,
    CATEGORY_LABELS,
    COMMUNE,
    COMPARISONS,
    DEPARTEMENT,
    RATE_MODES,
    Choices,
    MapIndicator,
    theme_label,
)
from dashboard.views.measures import per_thousand, percent_change, share_percent
from etl.analytics.presence import (
    PRESENCE_PARAMETERS,
    PresenceParameters,
    expected_presence,
    presence_gap,
)
from etl.analytics.small_area import RATE_COLUMNS, family_of, smooth_rates, uncertain_text
from etl.sources.categories import CATEGORIES, PER_DWELLING


def ssmsi_commune_values(rows: pd.DataFrame) -> pd.DataFrame:
    """One commune per row (columns ``est_diffuse``, ``taux_pour_mille``): its value, or no
    value and the status 'non_diffuse' for an 'ndiff' commune — never the département average
    the SSMSI publishes in its place — or 'sans_donnee' without a row."""
    diffused = rows["est_diffuse"] == "diff"
    value = pd.to_numeric(rows["taux_pour_mille"], errors="coerce").where(diffused)
    status = pd.Series([None] * len(rows), index=rows.index, dtype="object")
    status[rows["est_diffuse"] == "ndiff"] = "non_diffuse"
    status[rows["est_diffuse"].isna()] = "sans_donnee"
    status[diffused & value.isna()] = "sans_donnee"
    return pd.DataFrame({"value": value.astype("float64"), "status": status})


def per_dwelling_known(rows: pd.DataFrame, per_dwelling: bool) -> bool:
    """Whether a rate per dwelling can be computed: every diffused commune has its dwellings."""
    diffused = rows["est_diffuse"] == "diff"
    return per_dwelling and bool(rows.loc[diffused, "insee_log"].notna().all())


def ssmsi_aggregate(rows: pd.DataFrame, per_dwelling: bool) -> pd.DataFrame:
    """Brigades or départements from their communes' SSMSI rows (columns ``code``,
    ``est_diffuse``, ``nombre``, ``insee_pop``, ``insee_log``): the rate over the diffused
    communes only, with the number of 'ndiff' communes left out. A unit whose communes are all
    'ndiff' is « non diffusé »."""
    rows = rows[rows["code"].notna()]
    diffused = rows["est_diffuse"] == "diff"
    base_column = "insee_log" if per_dwelling_known(rows, per_dwelling) else "insee_pop"
    work = pd.DataFrame({
        "code": rows["code"],
        "nombre": pd.to_numeric(rows["nombre"], errors="coerce").where(diffused, 0),
        "base": pd.to_numeric(rows[base_column], errors="coerce").where(diffused, 0),
        "diffusees": diffused.astype(int),
        "non_diffusees": (rows["est_diffuse"] == "ndiff").astype(int),
    })
    out = work.groupby("code", as_index=False).sum(numeric_only=True)
    out["value"] = per_thousand(out["nombre"], out["base"]).where(out["diffusees"] > 0)
    out["status"] = None
    out.loc[(out["diffusees"] == 0) & (out["non_diffusees"] > 0), "status"] = "non_diffuse"
    out.loc[(out["diffusees"] == 0) & (out["non_diffusees"] == 0), "status"] = "sans_donnee"
    return out


# --- indicator values from the query results -------------------------------------------------

@dataclass
class Values:
    """One indicator's values per unit code (``frame``: code, value, status and detail
    columns), with the detail columns' headers and notes for the caption."""

    frame: pd.DataFrame
    details: dict[str, str] = field(default_factory=dict)
    detail_decimals: dict[str, int] = field(default_factory=dict)
    label: str = ""  # overrides the indicator's label (e.g. per 1,000 dwellings)
    notes: list[str] = field(default_factory=list)
    empty_message: str | None = None  # nothing recorded for the territory


def _status(value: pd.Series, reason: str) -> pd.Series:
    return pd.Series(np.where(value.isna(), reason, None), index=value.index, dtype="object")


#: the smoothed rates' columns in the map's table and export
RATE_HEADERS = {"taux_brut": "Taux brut", "taux_lisse": "Taux lissé",
                "taux_bas": "Taux bas (90 %)", "taux_haut": "Taux haut (90 %)",
                "incertitude": "Incertitude"}
SMOOTHING_NOTE = (
    "Taux lissé (bayésien empirique) : le taux de chaque unité est rapproché d'un taux "
    "attendu, estimé sur les unités affichées d'après leurs faits des 24 mois précédents et "
    "leurs autres faits de la même famille, d'autant plus qu'elle a peu de faits (modèle de "
    "Poisson-gamma) ; « taux bas » et « taux haut » bornent l'intervalle de crédibilité à 90 %. "
    "Contour noir : estimation incertaine, l'intervalle est plus large que le taux lissé "
    "lui-même. Le taux brut (faits / population) reste dans le tableau et d'un clic au-dessus "
    "de la carte.")
ALL_FACTS_NOTE = ("Ensemble des faits : taux brut ; le taux lissé se lit catégorie par "
                  "catégorie.")
RAW_NOTE = ("Taux brut : faits / population (ou logements), sans lissage ; sur une petite "
            "commune, quelques faits suffisent à la placer en tête. Le taux lissé et son "
            "intervalle restent dans le tableau ; contour noir : estimation incertaine.")


def smoothed_rates(raw: pd.DataFrame, base: pd.Series, categorie: str) -> pd.DataFrame:
    """The units' smoothed rates (:func:`etl.analytics.small_area.smooth_rates`, default prior)
    from the facts query's columns; a unit without its history or family columns is smoothed
    toward the territory's rate only."""
    history = raw["faits_historique"] if "faits_historique" in raw else None
    family = raw["faits_famille"] if "faits_famille" in raw and family_of(categorie) else None
    rates, _prior = smooth_rates(pd.to_numeric(raw["faits"]).to_numpy(float),
                                 pd.to_numeric(base, errors="coerce").to_numpy(float),
                                 historique=None if history is None
                                 else pd.to_numeric(history).to_numpy(float),
                                 famille=None if family is None
                                 else pd.to_numeric(family).to_numpy(float))
    return rates


def facts_values(indicator: MapIndicator, raw: pd.DataFrame, choices: Choices,
                 comparison_label: str = "") -> Values:
    """faits_taux, faits_nombre, faits_evolution from :func:`queries.carte.facts`."""
    label = CATEGORY_LABELS[choices.categorie]
    frame = raw[["code"]].copy()
    details = {"faits": "Faits sur la période"}
    decimals: dict[str, int] = {}
    notes = [f"Catégorie : {label}."]
    out_label = ""
    frame["faits"] = raw["faits"]
    if indicator.key == "faits_taux":
        burglary = CATEGORIES.get(choices.categorie or "", ("",))[0] in PER_DWELLING
        dwellings = pd.to_numeric(raw["logements"], errors="coerce")
        unit = "habitants"
        if burglary and len(raw) and dwellings.notna().all():
            frame["base"] = dwellings
            details["base"] = "Logements"
            unit = "logements"
            out_label = "Cambriolages de logement pour 1 000 logements"
        else:
            frame["base"] = raw["population"]
            details["base"] = "Population"
            if burglary:
                out_label = "Cambriolages de logement pour 1 000 habitants"
                notes.append("Le nombre de logements n'est pas connu pour toutes les communes : "
                             "taux pour 1 000 habitants, et non pour 1 000 logements.")
        frame["value"] = per_thousand(raw["faits"], frame["base"])
        if choices.categorie != ALL_CATEGORIES:
            smoothed = smoothed_rates(raw, frame["base"], choices.categorie)
            for column in (*RATE_COLUMNS, "incertain"):
                frame[column] = smoothed[column].to_numpy()
            frame["incertitude"] = [uncertain_text(v) for v in frame["incertain"]]
            details |= RATE_HEADERS
            decimals |= dict.fromkeys(RATE_COLUMNS, 1)
            mode = RATE_MODES[choices.taux]
            out_label = f"{label} — {mode[:1].lower()}{mode[1:]}, pour 1 000 {unit}"
            if choices.smoothed:
                frame["value"] = frame["taux_lisse"]
            notes.append(SMOOTHING_NOTE if choices.smoothed else RAW_NOTE)
        else:
            notes.append(ALL_FACTS_NOTE)
        frame["status"] = _status(frame["value"], "sans_population")
    elif indicator.key == "faits_nombre":
        frame["value"] = raw["faits"].astype("float64")
        frame["status"] = None
        details = {}
    else:
        frame["faits_reference"] = raw["faits_reference"]
        details["faits_reference"] = f"Faits, {comparison_label.lower()}"
        frame["value"] = percent_change(raw["faits"], raw["faits_reference"])
        frame["status"] = _status(frame["value"], "base_insuffisante")
        notes.append(f"Comparaison : {comparison_label.lower()}.")
    empty = None
    if int(raw["faits"].sum() if len(raw) else 0) == 0 and (
            indicator.key != "faits_evolution" or int(raw["faits_reference"].sum()) == 0):
        empty = "Aucun fait enregistré pour ce territoire sur la période."
    return Values(frame, details, decimals, out_label, notes, empty)


def ssmsi_values(raw_communes: pd.DataFrame, maille: str, choices: Choices,
                 departemental: pd.DataFrame | None = None) -> Values:
    """ssmsi_taux: communes as published (ndiff « non diffusé »), brigades and départements
    from their diffused communes (the SSMSI departmental base first for départements)."""
    per_dwelling = choices.ssmsi in PER_DWELLING
    unit = "logements" if per_dwelling else "habitants"
    label = f"{choices.ssmsi} {choices.annee or ''} pour 1 000 {unit} (SSMSI)".replace("  ", " ")
    notes = [f"Base communale du SSMSI, {choices.ssmsi.lower()}, {choices.annee}."]
    if maille == COMMUNE:
        values = ssmsi_commune_values(raw_communes)
        frame = pd.concat([raw_communes[["code"]], values], axis=1)
        frame["nombre"] = pd.to_numeric(raw_communes["nombre"], errors="coerce")
        details = {"nombre": "Nombre publié"}
        notes.append("Les communes « non diffusées » (5 faits ou moins chaque année) sont en "
                     "gris : la moyenne départementale publiée à leur place n'est pas leur "
                     "valeur.")
    else:
        frame = ssmsi_aggregate(raw_communes, per_dwelling)
        details = {"nombre": "Faits des communes diffusées",
                   "non_diffusees": "Communes non diffusées"}
        if per_dwelling and not per_dwelling_known(raw_communes[raw_communes["code"].notna()],
                                                   True):
            label = label.replace("1 000 logements", "1 000 habitants")
            notes.append("Le nombre de logements n'est pas connu pour toutes les communes : "
                         "taux pour 1 000 habitants, et non pour 1 000 logements.")
        notes.append("Taux calculé sur les communes diffusées ; les communes « non diffusées » "
                     "en sont exclues (leur nombre est dans le tableau).")
        if maille == DEPARTEMENT and departemental is not None and len(departemental):
            official = departemental.set_index("code")
            inside = frame["code"].isin(official.index)
            frame.loc[inside, "value"] = frame.loc[inside, "code"].map(
                official["taux_pour_mille"]).astype("float64")
            frame.loc[inside, "nombre"] = frame.loc[inside, "code"].map(official["nombre"])
            frame.loc[inside, "status"] = None
            notes.append("Départements : base départementale du SSMSI quand elle est chargée.")
    empty = None
    if raw_communes["est_diffuse"].isna().all():
        empty = (f"Pas de données SSMSI « {choices.ssmsi} » pour {choices.annee} sur ce "
                 "territoire." if choices.annee else "Base communale du SSMSI non chargée.")
    return Values(frame, details, {}, label, notes, empty)


def dcas_values(indicator: MapIndicator, raw: pd.DataFrame, choices: Choices) -> Values:
    frame = raw[["code"]].copy()
    frame["consultations"] = raw["consultations"]
    if indicator.key == "dcas":
        frame["value"] = raw["consultations"].astype("float64")
        frame["status"] = None
        details: dict[str, str] = {}
        notes: list[str] = []
    elif indicator.key == "dcas_attentes":
        frame["citant"] = raw["citant"]
        frame["value"] = share_percent(raw["citant"], raw["consultations"])
        frame["status"] = _status(frame["value"], "sans_consultation")
        details = {"consultations": "Consultations", "citant": "Citant le thème"}
        notes = [f"Thème : {theme_label(choices.theme)}."]
    else:
        frame["notees"] = raw["notees"]
        frame["satisfaction_moyenne"] = raw["satisfaction_moyenne"]
        frame["value"] = share_percent(raw["satisfaits"], raw["notees"])
        frame["status"] = _status(frame["value"], "sans_note")
        details = {"notees": "Consultations notées",
                   "satisfaction_moyenne": "Satisfaction moyenne (1 à 5)"}
        notes = ["Satisfait : note de 4 ou 5 sur 5."]
    empty = None if int(raw["consultations"].sum() if len(raw) else 0) else \
        "Aucune consultation DCAS enregistrée pour ce territoire sur la période."
    return Values(frame, details, {"satisfaction_moyenne": 2}, "", notes, empty)


def training_values(indicator: MapIndicator, raw: pd.DataFrame) -> Values:
    frame = raw[["code"]].copy()
    frame["participants"] = raw["participants"]
    if indicator.key == "formations":
        frame["value"] = raw["participants"].astype("float64")
        frame["status"] = None
        details: dict[str, str] = {}
    else:
        frame["communes_couvertes"] = raw["communes_couvertes"]
        frame["communes"] = raw["communes"]
        frame["value"] = share_percent(raw["communes_couvertes"], raw["communes"])
        frame["status"] = _status(frame["value"], "sans_donnee")
        details = {"participants": "Participations", "communes_couvertes": "Communes touchées",
                   "communes": "Communes (zone gendarmerie)"}
    empty = None if int(raw["participants"].sum() if len(raw) else 0) else \
        "Aucune formation enregistrée pour ce territoire sur la période."
    return Values(frame, details, {}, "", [], empty)


def cyber_values(indicator: MapIndicator, raw: pd.DataFrame) -> Values:
    frame = raw[["code"]].copy()
    if indicator.key == "score_cyber":
        frame["communes_diagnostiquees"] = raw["communes_diagnostiquees"]
        frame["value"] = pd.to_numeric(raw["score_moyen"], errors="coerce").astype("float64")
        frame["status"] = _status(frame["value"], "sans_diagnostic")
        details = {"communes_diagnostiquees": "Communes diagnostiquées"}
        notes = ["Dernier diagnostic de chaque commune jusqu'à la fin de la période."]
        empty = None if int(raw["communes_diagnostiquees"].sum() if len(raw) else 0) else \
            "Aucun diagnostic cyber enregistré pour ce territoire."
    else:
        frame["diagnostics"] = raw["diagnostics"]
        if indicator.key == "cyber_rouge":
            frame["rouges"] = raw["rouges"]
            frame["value"] = share_percent(raw["rouges"], raw["diagnostics"])
            frame["status"] = _status(frame["value"], "sans_diagnostic")
            details = {"diagnostics": "Diagnostics", "rouges": "Rouges"}
        else:
            frame["value"] = raw["diagnostics"].astype("float64")
            frame["status"] = None
            details = {}
        notes = []
        empty = None if int(raw["diagnostics"].sum() if len(raw) else 0) else \
            "Aucun diagnostic cyber fait dans ce territoire sur la période."
    return Values(frame, details, {}, "", notes, empty)


def alert_values(indicator: MapIndicator, raw: pd.DataFrame) -> Values:
    frame = raw[["code"]].copy()
    frame["alertes"] = raw["alertes"]
    if indicator.key == "alertes":
        frame["value"] = raw["alertes"].astype("float64")
        frame["status"] = None
        details: dict[str, str] = {}
    elif indicator.key == "taux_remise":
        frame["messages"] = raw["messages"]
        frame["remis"] = raw["remis"]
        frame["value"] = share_percent(raw["remis"], raw["messages"])
        frame["status"] = _status(frame["value"], "sans_message")
        details = {"alertes": "Alertes", "messages": "SMS", "remis": "SMS remis"}
    else:
        frame["value"] = pd.to_numeric(raw["delai_median_min"], errors="coerce").astype(
            "float64")
        frame["status"] = _status(frame["value"], "sans_alerte")
        details = {"alertes": "Alertes"}
    empty = None if int(raw["alertes"].sum() if len(raw) else 0) else \
        "Aucune alerte envoyée dans ce territoire sur la période."
    return Values(frame, details, {}, "", [], empty)


def complaint_values(raw: pd.DataFrame) -> Values:
    frame = raw[["code"]].copy()
    frame["value"] = raw["plaintes"].astype("float64")
    frame["status"] = None
    empty = None if int(raw["plaintes"].sum() if len(raw) else 0) else \
        "Aucune plainte d'élu enregistrée pour ce territoire sur la période."
    return Values(frame, {}, {}, "", [], empty)


def presence_values(indicator: MapIndicator, raw: pd.DataFrame,
                    params: PresenceParameters = PRESENCE_PARAMETERS) -> Values:
    """heures_presence and ecart_presence from :func:`queries.carte.presence` (all the
    communes of the brigades serving the territory)."""
    months = int(raw["mois_presence"].iloc[0]) if len(raw) else 0
    if months == 0:
        frame = pd.DataFrame({"code": pd.Series([], dtype="object"), "value": [],
                              "status": []})
        return Values(frame, empty_message="Aucune heure de présence enregistrée pour ce "
                      "territoire sur la période.")
    rows = raw.copy()
    rows["attendu"] = expected_presence(rows, months, params)
    rows = rows[rows["dans_perimetre"].astype(bool)]
    frame = rows.groupby("code", as_index=False).agg(heures=("heures", "sum"),
                                                     attendu=("attendu", "sum"))
    if indicator.key == "heures_presence":
        frame["value"] = frame["heures"].astype("float64")
        frame["status"] = None
        details = {"attendu": "Heures attendues"}
    else:
        frame["value"] = presence_gap(frame["heures"], frame["attendu"])
        frame["status"] = _status(frame["value"], "sans_capacite")
        details = {"heures": "Heures réalisées", "attendu": "Heures attendues"}
    p = params
    notes = [f"Capacité : effectif × {format_number(p.monthly_hours_per_gendarme)} h par mois "
             f"(hypothèse : {format_number(p.annual_hours_per_gendarme)} h par an, "
             f"{format_number(p.public_road_share * 100)} % sur la voie publique) sur les "
             f"{months} mois où des présences sont enregistrées ; part attendue de chaque "
             "commune pondérée pour moitié par sa population, pour moitié par ses faits."]
    return Values(frame, details, {"attendu": 0, "heures": 0}, "", notes)


def values_of(indicator: MapIndicator, frames: Mapping[str, pd.DataFrame], choices: Choices,
              period: Period, maille: str) -> Values:
    """The indicator's values from the frames of :func:`queries.carte.indicator_frames`."""
    raw = frames.get("raw")
    if indicator.source == "faits":
        reference = choices.reference(period)
        label = f"{COMPARISONS[choices.comparaison]} ({reference.label()})"
        return facts_values(indicator, raw, choices, label)
    if indicator.source == "ssmsi":
        if raw is None:
            return Values(pd.DataFrame({"code": [], "value": [], "status": []}),
                          empty_message="Base communale du SSMSI non chargée.")
        return ssmsi_values(raw, maille, choices, frames.get("departements"))
    computations: dict[str, Callable[[], Values]] = {
        "dcas": lambda: dcas_values(indicator, raw, choices),
        "formations": lambda: training_values(indicator, raw),
        "cyber": lambda: cyber_values(indicator, raw),
        "alertes": lambda: alert_values(indicator, raw),
        "plaintes": lambda: complaint_values(raw),
        "presence": lambda: presence_values(indicator, raw),
    }
    return computations[indicator.source]()

"""What the « Carte » page shows: map indicators, their computation from the per-unit query
results, ranks, the SSMSI « non diffusé » communes, the presence gap, and the figure.

Everything here is pure (data in, frames and figures out) except :func:`map_view`, which runs
the queries of :mod:`dashboard.queries.carte` and hands their results to the pure functions.

Presence gap (indicator ``ecart_presence``). A brigade's capacity of public-road presence over
the months with presence recorded is ``effectif × heures annuelles par gendarme × part de voie
publique / 12 × mois`` (parameters in :class:`PresenceParameters`: 1,600 hours a year, 30 % on
the public road, i.e. 40 gendarme-hours a month per gendarme). Each ZGN commune of the brigade
is expected a share of it, weighted half by its share of the brigade's population and half by
its share of the brigade's recorded facts in the period (all by population when the brigade
recorded none). The gap is ``heures réalisées / heures attendues − 1``, in percent: negative
means less presence than the commune's weight calls for. Brigades and départements add up
their communes' hours and expected hours. These parameters are assumptions, not a doctrine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from dash import Patch

from dashboard.core.formatting import MINUS, MISSING, THOUSANDS, format_number
from dashboard.core.scope import Period, Scope
from dashboard.views.figures import SEPARATORS
from etl.sources.categories import CATEGORIES, PER_DWELLING
from etl.sources.dcas import THEMES

# --- map units ---------------------------------------------------------------------------------

COMMUNE, BRIGADE, DEPARTEMENT = "commune", "brigade", "departement"
MAILLE_LABELS = {COMMUNE: "Communes", BRIGADE: "Brigades", DEPARTEMENT: "Départements"}
#: map units offered for each level of territory, the default first (a national commune map,
#: 35,000 shapes, would take seconds to draw: not offered)
MAILLES_BY_LEVEL: dict[str, tuple[str, ...]] = {
    "france": (DEPARTEMENT, BRIGADE),
    "region": (DEPARTEMENT, BRIGADE),
    "departement": (COMMUNE, BRIGADE),
    "compagnie": (COMMUNE, BRIGADE),
    "brigade": (COMMUNE,),
    "commune": (COMMUNE,),
}


def mailles_for(scope: Scope) -> tuple[str, ...]:
    return MAILLES_BY_LEVEL[scope.level]


def pick_maille(scope: Scope, maille: str | None) -> str:
    """``maille`` if the territory offers it, else its default (a forged value is ignored)."""
    offered = mailles_for(scope)
    return maille if maille in offered else offered[0]


@dataclass(frozen=True)
class Geometry:
    """Which display geometries a map needs: a layer, a level and a zone ('france' for the
    national level, else a département code)."""

    couche: str
    niveau: str
    zone: str


def geometry_for(scope: Scope, maille: str, departement: str | None) -> Geometry:
    """National maps use the coarse 'national' level; a map inside a département the detailed
    'departement' level of that département only."""
    if scope.level in ("france", "region") or departement is None:
        return Geometry(maille, "national", "france")
    return Geometry(maille, "departement", departement)


# --- indicators ------------------------------------------------------------------------------

#: colour scales; the lowest colour of each stays visible against the white page
WORSE = [[0.0, "#fed976"], [0.25, "#feb24c"], [0.5, "#fd8d3c"], [0.75, "#e31a1c"],
         [1.0, "#800026"]]
BETTER = [[0.0, "#d9f0d3"], [0.5, "#5aae61"], [1.0, "#00441b"]]
NEUTRAL = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]
SCORE = [[0.0, "#d73027"], [0.25, "#fc8d59"], [0.5, "#fee08b"], [0.75, "#91cf60"],
         [1.0, "#1a9850"]]
#: diverging, centred on 0: blue for a fall, red for a rise (of facts)
DIVERGING = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"],
             [1.0, "#b2182b"]]
#: diverging, centred on 0, red for a shortfall (presence below what is expected)
DIVERGING_SHORTFALL = [[0.0, "#b2182b"], [0.25, "#f4a582"], [0.5, "#f7f7f7"],
                       [0.75, "#92c5de"], [1.0, "#2166ac"]]
SCALES = {"worse": WORSE, "better": BETTER, "neutral": NEUTRAL, "score": SCORE,
          "diverging": DIVERGING, "shortfall": DIVERGING_SHORTFALL}
DIVERGING_SCALES = ("diverging", "shortfall")

#: grey of units without a value: lighter for the police zone, darker for the others
GREY_ZPN, GREY_NO_VALUE = "#dcdcdc", "#969696"
STATUS_TEXT = {
    "non_diffuse": "Non diffusé par le SSMSI (5 faits ou moins chaque année)",
    "zone_police": "Zone police nationale",
    "sans_donnee": "Aucune donnée",
    "base_insuffisante": "Trop peu de faits pour une évolution",
    "sans_consultation": "Aucune consultation DCAS sur la période",
    "sans_note": "Aucune satisfaction exprimée sur la période",
    "sans_diagnostic": "Aucun diagnostic cyber",
    "sans_message": "Aucun SMS d'alerte sur la période",
    "sans_alerte": "Aucune alerte sur la période",
    "sans_population": "Population nulle",
    "sans_capacite": "Capacité de présence nulle",
}

#: controls an indicator uses besides the territory and the period
CATEGORIE, COMPARAISON, THEME, SSMSI, ANNEE = "categorie", "comparaison", "theme", "ssmsi", "annee"
CONTROLS = (CATEGORIE, COMPARAISON, THEME, SSMSI, ANNEE)


@dataclass(frozen=True)
class MapIndicator:
    key: str
    label: str
    group: str
    source: str  # which query of dashboard.queries.carte feeds it
    scale: str  # key of SCALES
    decimals: int = 1
    kind: str = "number"  # number, percent, change, score, hours, minutes, satisfaction
    controls: tuple[str, ...] = ()
    fixed_range: tuple[float, float] | None = None
    description: str = ""


INDICATORS: tuple[MapIndicator, ...] = (
    MapIndicator("faits_taux", "Faits enregistrés pour 1 000 habitants", "Délinquance",
                 "faits", "worse", 1, controls=(CATEGORIE,),
                 description="faits enregistrés sur la période (police et gendarmerie : "
                 "toutes les communes du territoire, celles de la brigade pour une brigade), "
                 "rapportés à leur population (aux logements pour les cambriolages quand ils "
                 "sont connus)"),
    MapIndicator("faits_nombre", "Faits enregistrés (nombre)", "Délinquance", "faits", "worse",
                 0, controls=(CATEGORIE,),
                 description="faits enregistrés sur la période (police et gendarmerie)"),
    MapIndicator("faits_evolution", "Évolution des faits enregistrés (%)", "Délinquance",
                 "faits", "diverging", 1, "change", controls=(CATEGORIE, COMPARAISON),
                 description="variation du nombre de faits par rapport à la période de "
                 "comparaison ; pas d'évolution calculée sous 5 faits de référence"),
    MapIndicator("ssmsi_taux", "Délinquance enregistrée SSMSI, taux pour 1 000",
                 "Délinquance", "ssmsi", "worse", 1, controls=(SSMSI, ANNEE),
                 description="base communale du SSMSI (police et gendarmerie), taux pour "
                 "1 000 habitants, pour 1 000 logements pour les cambriolages"),
    MapIndicator("plaintes", "Atteintes aux élus (plaintes)", "Élus", "plaintes", "worse", 0,
                 description="plaintes d'élus de la période, par date des faits (de dépôt "
                 "quand elle est inconnue)"),
    MapIndicator("alertes", "Alertes SMS envoyées", "Élus", "alertes", "neutral", 0,
                 description="alertes envoyées aux élus, par commune ciblée"),
    MapIndicator("taux_remise", "SMS d'alerte remis (%)", "Élus", "alertes", "better", 1,
                 "percent", fixed_range=(0, 100),
                 description="part des SMS des alertes de la période, envoyés aux élus des "
                 "communes, remis au destinataire (accusé DELIVRD)"),
    MapIndicator("delai_alerte", "Délai médian des faits à l'alerte", "Élus", "alertes",
                 "worse", 0, "minutes",
                 description="médiane du délai entre les faits et la création de l'alerte"),
    MapIndicator("dcas", "Consultations DCAS", "Élus", "dcas", "neutral", 0,
                 description="consultations d'élus menées sur la période"),
    MapIndicator("dcas_attentes", "Consultations DCAS citant le thème (%)", "Élus", "dcas",
                 "neutral", 1, "percent", controls=(THEME,), fixed_range=(0, 100),
                 description="part des consultations de la période dont les attentes citent "
                 "le thème choisi"),
    MapIndicator("satisfaction", "Élus satisfaits (DCAS, %)", "Élus", "dcas", "better", 1,
                 "percent", fixed_range=(0, 100),
                 description="part des consultations notées 4 ou 5 sur 5"),
    MapIndicator("formations", "Participations aux formations", "Formation et cyber",
                 "formations", "neutral", 0,
                 description="participations d'élus et d'agents municipaux à une session de "
                 "formation ou de sensibilisation sur la période"),
    MapIndicator("couverture_formation", "Communes touchées par une formation (%)",
                 "Formation et cyber", "formations", "better", 1, "percent",
                 fixed_range=(0, 100),
                 description="part des communes (zone gendarmerie) dont au moins un élu ou "
                 "agent a suivi une formation sur la période"),
    MapIndicator("score_cyber", "Score cyber (0 à 100)", "Formation et cyber", "cyber", "score",
                 0, "score", fixed_range=(0, 100),
                 description="dernier autodiagnostic cyber de chaque commune (moyenne des "
                 "communes diagnostiquées)"),
    MapIndicator("cyber_rouge", "Diagnostics cyber au rouge (%)", "Formation et cyber", "cyber",
                 "worse", 1, "percent", fixed_range=(0, 100),
                 description="part des diagnostics de la période classés rouges"),
    MapIndicator("diagnostics", "Diagnostics cyber", "Formation et cyber", "cyber", "neutral", 0,
                 description="autodiagnostics cyber faits sur la période"),
    MapIndicator("heures_presence", "Heures de présence", "Présence", "presence", "neutral", 0,
                 "hours", description="heures-gendarme de présence sur la voie publique"),
    MapIndicator("ecart_presence", "Écart de présence à l'attendu (%)", "Présence", "presence",
                 "shortfall", 1, "change",
                 description="heures de présence réalisées par rapport à la part attendue de la "
                 "capacité de la brigade (pondérée par la population et les faits)"),
)
BY_KEY = {i.key: i for i in INDICATORS}
DEFAULT_INDICATOR = INDICATORS[0]


def pick_indicator(key: str | None) -> MapIndicator:
    return BY_KEY.get(key or "", DEFAULT_INDICATOR)


def indicator_options() -> list[dict[str, str]]:
    return [{"label": f"{i.group} — {i.label}", "value": i.key} for i in INDICATORS]


ALL_CATEGORIES = "ensemble"
CATEGORY_LABELS = {ALL_CATEGORIES: "Ensemble des faits enregistrés"} | {
    code: label for code, (label, _unit) in CATEGORIES.items()}
COMPARISONS = {"annee": "Même période un an plus tôt", "precedente": "Période précédente"}
THEME_LABELS = {
    "cambriolages": "Cambriolages", "vitesse_securite_routiere": "Vitesse, sécurité routière",
    "incivilites_tranquillite": "Incivilités, tranquillité publique",
    "stupefiants": "Stupéfiants", "depots_sauvages_environnement": "Dépôts sauvages, environnement",
    "violences_intrafamiliales": "Violences intrafamiliales", "cyber": "Cybersécurité",
    "presence_heures_sensibles": "Présence aux heures sensibles", "rodeos": "Rodéos",
    "contact_elus": "Contact avec les élus",
}
DEFAULT_SSMSI = "Cambriolages de logement"


def theme_label(theme: str) -> str:
    return THEME_LABELS.get(theme, theme.replace("_", " "))


@dataclass(frozen=True)
class Choices:
    """The indicator's settings, each checked against what is offered (values come from the
    browser)."""

    categorie: str = ALL_CATEGORIES
    comparaison: str = "annee"
    theme: str = THEMES[0]
    ssmsi: str = DEFAULT_SSMSI
    annee: int | None = None

    @classmethod
    def parse(cls, categorie=None, comparaison=None, theme=None, ssmsi=None, annee=None,
              ssmsi_offered: pd.DataFrame | None = None) -> Choices:
        """``ssmsi_offered``: (indicateur, annee) pairs of the SSMSI base."""
        offered = ssmsi_offered if ssmsi_offered is not None else pd.DataFrame(
            {"indicateur": [], "annee": []})
        indicators = sorted(set(offered["indicateur"]))
        if ssmsi not in indicators:
            ssmsi = DEFAULT_SSMSI if DEFAULT_SSMSI in indicators or not indicators \
                else indicators[0]
        years = sorted(int(y) for y in offered.loc[offered["indicateur"] == ssmsi, "annee"])
        try:
            year = int(annee) if annee not in (None, "") else None
        except (TypeError, ValueError):
            year = None
        if year not in years:
            year = years[-1] if years else None
        return cls(
            categorie=categorie if categorie in CATEGORY_LABELS else ALL_CATEGORIES,
            comparaison=comparaison if comparaison in COMPARISONS else "annee",
            theme=theme if theme in THEMES else THEMES[0],
            ssmsi=ssmsi, annee=year)

    @property
    def fact_category(self) -> str | None:
        """The ``facts_monthly.categorie`` to filter on; None for all facts."""
        return None if self.categorie == ALL_CATEGORIES else self.categorie

    def reference(self, period: Period) -> Period:
        return period.year_before() if self.comparaison == "annee" else period.previous()


# --- pure computations -----------------------------------------------------------------------

def per_thousand(count: pd.Series, base: pd.Series) -> pd.Series:
    """``count / base × 1000``; NaN where the base is missing or not positive."""
    base = pd.to_numeric(base, errors="coerce").astype("float64")
    return pd.to_numeric(count, errors="coerce").astype("float64") / base.where(base > 0) * 1000


def percent_change(current: pd.Series, reference: pd.Series, min_base: float = 5
                   ) -> pd.Series:
    """``(current / reference − 1) × 100``; NaN when the reference is under ``min_base``
    (a change from 1 to 3 facts is not +200 % of anything meaningful)."""
    ref = pd.to_numeric(reference, errors="coerce").astype("float64")
    cur = pd.to_numeric(current, errors="coerce").astype("float64")
    return (cur / ref.where(ref >= max(min_base, 1e-12)) - 1) * 100


def share_percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    whole = pd.to_numeric(whole, errors="coerce").astype("float64")
    return pd.to_numeric(part, errors="coerce").astype("float64") / whole.where(whole > 0) * 100


def ranks(values: pd.Series) -> pd.Series:
    """Rank of each value, 1 for the highest; ties share the best rank; no rank (<NA>) for a
    missing value."""
    return values.astype("float64").rank(ascending=False, method="min").astype("Int64")


def rank_text(rank: object, total: int) -> str:
    """« 1er sur 40 », « 3e sur 40 »; « — » without rank."""
    if rank is None or pd.isna(rank):
        return MISSING
    rank = int(rank)  # type: ignore[arg-type]
    return f"{rank}{'er' if rank == 1 else 'e'} sur {format_number(total)}"


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


@dataclass(frozen=True)
class PresenceParameters:
    """Assumptions behind the expected presence (see the module's docstring)."""

    annual_hours_per_gendarme: float = 1_600.0
    public_road_share: float = 0.30
    population_weight: float = 0.5  # the rest weighs the recorded facts

    @property
    def monthly_hours_per_gendarme(self) -> float:
        return self.annual_hours_per_gendarme * self.public_road_share / 12


PRESENCE_PARAMETERS = PresenceParameters()


def expected_presence(rows: pd.DataFrame, months: int,
                      params: PresenceParameters = PRESENCE_PARAMETERS) -> pd.Series:
    """Expected presence hours of each commune (rows with ``brigade_id``, ``population``,
    ``faits``, ``effectif``; every ZGN commune of each brigade must be there): the brigade's
    capacity over ``months`` times the commune's weight in its brigade."""
    if rows.empty:
        return pd.Series([], dtype="float64", index=rows.index)
    by = rows.groupby("brigade_id")
    population = rows["population"].astype("float64")
    facts = rows["faits"].astype("float64")
    pop_total = by["population"].transform("sum").astype("float64")
    facts_total = by["faits"].transform("sum").astype("float64")
    pop_share = population / pop_total.where(pop_total > 0)
    n = by["population"].transform("size").astype("float64")
    pop_share = pop_share.fillna(1 / n)  # a brigade of empty communes: even shares
    fact_share = (facts / facts_total.where(facts_total > 0)).fillna(pop_share)
    weight = params.population_weight * pop_share + (1 - params.population_weight) * fact_share
    capacity = rows["effectif"].astype("float64") * params.monthly_hours_per_gendarme * months
    return capacity * weight


def presence_gap(actual: pd.Series, expected: pd.Series) -> pd.Series:
    """``(actual / expected − 1) × 100``; NaN where nothing is expected."""
    exp = expected.astype("float64")
    return (actual.astype("float64") / exp.where(exp > 0) - 1) * 100


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
        if burglary and len(raw) and dwellings.notna().all():
            frame["base"] = dwellings
            details["base"] = "Logements"
            out_label = "Cambriolages de logement pour 1 000 logements"
        else:
            frame["base"] = raw["population"]
            details["base"] = "Population"
            if burglary:
                out_label = "Cambriolages de logement pour 1 000 habitants"
                notes.append("Le nombre de logements n'est pas connu pour toutes les communes : "
                             "taux pour 1 000 habitants, et non pour 1 000 logements.")
        frame["value"] = per_thousand(raw["faits"], frame["base"])
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


# --- formatting ------------------------------------------------------------------------------

def format_value(value: object, indicator: MapIndicator) -> str:
    """The value as the hover and the table show it."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return MISSING
    v = float(value)  # type: ignore[arg-type]
    d = indicator.decimals
    if indicator.kind == "change":
        magnitude = round(abs(v), d)
        sign = "" if magnitude == 0 else ("+" if v > 0 else MINUS)
        return f"{sign}{format_number(magnitude, d)}{THOUSANDS}%"
    if indicator.kind == "percent":
        return f"{format_number(v, d)}{THOUSANDS}%"
    if indicator.kind == "score":
        return f"{format_number(v, d)} / 100"
    if indicator.kind == "hours":
        return f"{format_number(v, d)}{THOUSANDS}h"
    if indicator.kind == "minutes":
        total = round(v)
        if total < 60:
            return f"{total}{THOUSANDS}min"
        hours, minutes = divmod(total, 60)
        return f"{hours}{THOUSANDS}h{minutes:02d}"
    return format_number(v, d)


# --- the map ---------------------------------------------------------------------------------

def wrap(text: str, width: int = 22) -> str:
    """Break a long colour-bar title on spaces (Plotly does not wrap text)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


@dataclass
class MapResult:
    """One map: its units with values, ranks and texts, and what the page says about it."""

    indicator: MapIndicator
    maille: str
    scope: Scope
    scope_label: str
    geometry: Geometry | None
    frame: pd.DataFrame  # code, nom, value, status, rank, value_text, rank_text, status_text…
    label: str
    details: dict[str, str] = field(default_factory=dict)
    detail_decimals: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    message: str | None = None  # replaces the map and the table
    info: str | None = None  # shown above the map (e.g. nothing recorded)
    metropolitan: bool = True

    @property
    def title(self) -> str:
        return f"{MAILLE_LABELS[self.maille]} — {self.scope_label} — {self.label}"

    @property
    def drawn(self) -> pd.DataFrame:
        """The units on the map: on the national map, metropolitan France only (overseas
        départements would zoom the map out to the whole world)."""
        if self.scope.level == "france" and "outre_mer" in self.frame:
            return self.frame[~self.frame["outre_mer"].astype(bool)]
        return self.frame

    @property
    def valued(self) -> pd.DataFrame:
        drawn = self.drawn
        return drawn[drawn["value"].notna()]

    @property
    def greyed(self) -> pd.DataFrame:
        drawn = self.drawn
        return drawn[drawn["value"].isna()]

    def columns(self) -> dict[str, str]:
        """Frame column → French header, for the table and the CSV export."""
        first = {"code": "Code", "nom": MAILLE_LABELS[self.maille][:-1]}
        if self.maille != DEPARTEMENT and self.scope.level in ("france", "region"):
            first["departement"] = "Département"
        return first | self.details | {"value": self.label, "rank": "Rang",
                                       "status_text": "Remarque"}

    def decimals(self) -> dict[str, int]:
        return {"value": self.indicator.decimals} | self.detail_decimals

    def export_frame(self) -> pd.DataFrame:
        """Every unit, by rank (units without a value last); counts as whole numbers."""
        frame = self.frame.sort_values(["rank", "nom"], na_position="last")
        if self.indicator.kind == "number" and self.indicator.decimals == 0:
            frame = frame.assign(value=frame["value"].round().astype("Int64"))
        return frame

    def export_filename(self) -> str:
        scope = self.scope.to_param().replace(":", "_")
        return f"carte_{self.indicator.key}_{self.maille}_{scope}.csv"


def assemble(units: pd.DataFrame, values: Values, indicator: MapIndicator) -> pd.DataFrame:
    """Units (code, nom, zone, …) with their value, status, rank and texts. A unit without a
    value row is « zone police » in the police zone, « aucune donnée » elsewhere."""
    frame = units.merge(values.frame, on="code", how="left")
    if "value" not in frame:
        frame["value"] = np.nan
    value = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["value"] = value.where(np.isfinite(value))  # no infinity on a map
    given = frame["status"].tolist() if "status" in frame else [None] * len(frame)
    has_row = frame["code"].isin(values.frame["code"]).tolist()
    zones = frame["zone"].tolist() if "zone" in frame else ["ZGN"] * len(frame)
    statuses = []
    for value, status, row, zone in zip(frame["value"].tolist(), given, has_row, zones,
                                        strict=True):
        if not math.isnan(value):
            statuses.append(None)
        elif not row:
            statuses.append("zone_police" if zone == "ZPN" else "sans_donnee")
        elif isinstance(status, str):
            statuses.append(status)
        else:
            statuses.append("sans_donnee")
    frame["status"] = pd.Series(statuses, index=frame.index, dtype="object")
    frame["rank"] = ranks(frame["value"])
    total = int(frame["value"].notna().sum())
    frame["value_text"] = [format_value(v, indicator) for v in frame["value"]]
    frame["rank_text"] = [rank_text(r, total) for r in frame["rank"]]
    frame["status_text"] = [STATUS_TEXT.get(s, "") if isinstance(s, str) else ""
                            for s in frame["status"]]
    return frame


def colour_range(values: pd.Series, indicator: MapIndicator) -> tuple[float, float]:
    """The colour bar's range: fixed for shares and scores; symmetric around 0 for changes
    (up to the 95th percentile of the magnitudes, so that one tiny commune does not wash out
    the map); otherwise from the lowest value to the 98th percentile."""
    v = values.dropna().astype("float64")
    if indicator.fixed_range is not None:
        return indicator.fixed_range
    if v.empty:
        return (0.0, 1.0)
    if indicator.scale in DIVERGING_SCALES:
        m = float(v.abs().quantile(0.95)) if len(v) >= 20 else float(v.abs().max())
        m = max(m, 1.0)
        return (-m, m)
    low = float(v.min())
    high = float(v.quantile(0.98)) if len(v) >= 50 else float(v.max())
    if high <= low:
        high = low + 1.0
    return (low, high)


def map_traces(shown: MapResult, geojson_url: str) -> list[dict]:
    """The map's two traces as plain dicts: the units with a value (coloured), then the grey
    ones (« non diffusé », police zone, no data). Both always exist, so that a patch can
    replace either."""
    indicator = shown.indicator
    valued, greyed = shown.valued, shown.greyed
    zmin, zmax = colour_range(valued["value"], indicator)
    label = shown.label
    decimals = 0 if indicator.kind == "minutes" else indicator.decimals
    coloured = {
        "type": "choropleth", "geojson": geojson_url, "name": label,
        "locations": valued["code"].tolist(),
        "z": valued["value"].round(6).tolist(),
        "customdata": [[n, t, r] for n, t, r in zip(valued["nom"], valued["value_text"],
                                                    valued["rank_text"], strict=True)],
        "hovertemplate": "<b>%{customdata[0]}</b><br>" + label
        + " : %{customdata[1]}<br>Rang : %{customdata[2]}<extra></extra>",
        "colorscale": SCALES[indicator.scale], "zmin": zmin, "zmax": zmax, "zauto": False,
        "marker": {"line": {"color": "white", "width": 0.5}},
        # shorter than the plot: the mode bar sits above it
        "colorbar": {"title": {"text": wrap(label), "side": "right"}, "thickness": 14,
                     "tickformat": f",.{decimals}f", "len": 0.85, "y": 0.45},
        "showscale": True,
    }
    grey_z = [0 if s == "zone_police" else 1 for s in greyed["status"]]
    grey = {
        "type": "choropleth", "geojson": geojson_url, "name": "Sans valeur",
        "locations": greyed["code"].tolist(), "z": grey_z,
        "customdata": [[n, t] for n, t in zip(greyed["nom"], greyed["status_text"],
                                              strict=True)],
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        "colorscale": [[0.0, GREY_ZPN], [0.5, GREY_ZPN], [0.5, GREY_NO_VALUE],
                       [1.0, GREY_NO_VALUE]],
        "zmin": 0, "zmax": 1, "zauto": False, "showscale": False,
        "marker": {"line": {"color": "white", "width": 0.5}},
    }
    return [coloured, grey]


#: trace properties a patch replaces (never the geometry)
PATCHED = ("name", "locations", "z", "customdata", "hovertemplate", "colorscale", "zmin", "zmax",
           "colorbar")


def map_figure(shown: MapResult, geojson_url: str) -> dict:
    """The choropleth, as Plotly JSON (no graph_objects validation: it costs more than the
    queries on a national map). Its geometry is a URL (served by :mod:`dashboard.core.map_shapes`
    and cached by the browser), not inline: the figure carries only codes, values and texts."""
    projection = ({"type": "conic conformal", "parallels": [44, 49]}
                  if shown.metropolitan else {"type": "mercator"})
    return {
        "data": map_traces(shown, geojson_url),
        "layout": {
            "geo": {"fitbounds": "locations", "visible": False, "projection": projection,
                    "bgcolor": "rgba(0,0,0,0)"},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 560,
            "separators": SEPARATORS, "paper_bgcolor": "rgba(0,0,0,0)",
            "hoverlabel": {"bgcolor": "white"}, "showlegend": False,
            # keeps the user's zoom when only the colours change
            "uirevision": geojson_url,
        },
    }


def map_patch(shown: MapResult, geojson_url: str) -> Patch:
    """Only the colours, values and texts of both traces: the geometry and the layout stay."""
    patch = Patch()
    for i, trace in enumerate(map_traces(shown, geojson_url)):
        for key in PATCHED:
            if key in trace:
                patch["data"][i][key] = trace[key]
    return patch


def legend_items(shown: MapResult) -> list[tuple[str, str]]:
    """(colour, text) of the grey units present on the map."""
    statuses = set(shown.greyed["status"])
    items = []
    if "zone_police" in statuses:
        items.append((GREY_ZPN, STATUS_TEXT["zone_police"]))
    other = sorted(statuses - {"zone_police"})
    if other:
        items.append((GREY_NO_VALUE, " ; ".join(STATUS_TEXT[s] for s in other)))
    return items


def caption(shown: MapResult) -> str:
    hint = {COMMUNE: "Cliquez sur une commune pour ouvrir sa fiche.",
            BRIGADE: "Cliquez sur une brigade pour ouvrir sa fiche.",
            DEPARTEMENT: "Cliquez sur un département pour afficher ses communes."}[shown.maille]
    text = f"{shown.indicator.description[:1].upper()}{shown.indicator.description[1:]}. "
    return (text + " ".join(shown.notes) + " Rang 1 : valeur la plus élevée. " + hint
            + " Les mêmes chiffres figurent dans le tableau ci-dessous.")


# --- orchestration ---------------------------------------------------------------------------

NO_UNIT = "Aucune unité à afficher pour ce territoire."


def _values(warehouse, indicator: MapIndicator, scope: Scope, maille: str, period: Period,
            choices: Choices) -> Values:
    from dashboard.queries import carte as q

    if indicator.source == "faits":
        reference = choices.reference(period)
        raw = q.facts(warehouse, scope, maille, period, reference, choices.fact_category)
        label = f"{COMPARISONS[choices.comparaison]} ({reference.label()})"
        return facts_values(indicator, raw, choices, label)
    if indicator.source == "ssmsi":
        if choices.annee is None:
            return Values(pd.DataFrame({"code": [], "value": [], "status": []}),
                          empty_message="Base communale du SSMSI non chargée.")
        raw = q.ssmsi_communes(warehouse, scope, maille, choices.ssmsi, choices.annee)
        dep = q.ssmsi_departements(warehouse, scope, choices.ssmsi, choices.annee) \
            if maille == DEPARTEMENT else None
        return ssmsi_values(raw, maille, choices, dep)
    loaders: dict[str, Callable[[], Values]] = {
        "dcas": lambda: dcas_values(indicator, q.dcas(warehouse, scope, maille, period,
                                                      choices.theme), choices),
        "formations": lambda: training_values(indicator, q.trainings(warehouse, scope, maille,
                                                                     period)),
        "cyber": lambda: cyber_values(indicator, q.cyber(warehouse, scope, maille, period)),
        "alertes": lambda: alert_values(indicator, q.alerts(warehouse, scope, maille, period)),
        "plaintes": lambda: complaint_values(q.complaints(warehouse, scope, maille, period)),
        "presence": lambda: presence_values(indicator, q.presence(warehouse, scope, maille,
                                                                  period)),
    }
    return loaders[indicator.source]()


def map_view(warehouse, scope: Scope, maille: str, period: Period, indicator: MapIndicator,
             choices: Choices) -> MapResult:
    """Query and compute one map. ``scope`` must already be checked (access.check_scope)."""
    from dashboard.queries import carte as q

    maille = pick_maille(scope, maille)
    label = q.scope_label(warehouse, scope)
    units = q.units(warehouse, scope, maille)
    departement = q.scope_departement(warehouse, scope)
    geometry = geometry_for(scope, maille, departement)
    if units.empty:
        return MapResult(indicator, maille, scope, label, None, units, indicator.label,
                         message=NO_UNIT)
    values = _values(warehouse, indicator, scope, maille, period, choices)
    frame = assemble(units, values, indicator)
    if scope.level == "france":  # overseas départements are listed, not drawn
        metropolitan = True
    else:
        metropolitan = not bool(units["outre_mer"].any())
    notes = list(values.notes)
    if scope.level == "france":
        notes.append("Les départements d'outre-mer ne sont pas sur la carte nationale : ils "
                     "figurent dans le tableau et s'ouvrent par les liens au-dessus de la carte.")
    return MapResult(indicator, maille, scope, label, geometry, frame,
                     values.label or indicator.label, values.details, values.detail_decimals,
                     notes, info=values.empty_message, metropolitan=metropolitan)

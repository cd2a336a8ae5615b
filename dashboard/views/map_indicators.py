"""The indicators' catalogue of the « Carte » page, which the profiles and the DCAS follow-up
read too: map units offered per territory, indicators, their colour scales, their values as
text, the DCAS themes' labels and the settings (``Choices``, checked against what is offered)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from dashboard.core.formatting import MINUS, MISSING, THOUSANDS, duration_text, format_number
from dashboard.core.scope import Period, Scope
from etl.alerts.labels import DLR_LABELS
from etl.sources.categories import CATEGORIES
from etl.sources.dcas import THEMES

# --- map units ---------------------------------------------------------------------------------

COMMUNE, BRIGADE, DEPARTEMENT = "commune", "brigade", "departement"
MAILLE_LABELS = {COMMUNE: "Communes", BRIGADE: "Brigades", DEPARTEMENT: "Départements"}
#: map units offered for each level of territory, the default first; the national commune
#: map draws 35,000 points, not shapes (views/carte_communes.py), and only a national reach
#: has the national territory
MAILLES_BY_LEVEL: dict[str, tuple[str, ...]] = {
    "france": (DEPARTEMENT, BRIGADE, COMMUNE),
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
TAUX = "taux"
CONTROLS = (CATEGORIE, COMPARAISON, THEME, SSMSI, ANNEE, TAUX)
#: the rate of facts shown for one category: smoothed by default (etl.analytics.small_area)
SMOOTHED, RAW = "lisse", "brut"
RATE_MODES = {SMOOTHED: "Taux lissé (bayésien empirique)", RAW: "Taux brut"}


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
                 "faits", "worse", 1, controls=(CATEGORIE, TAUX),
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
                 "communes, « " + DLR_LABELS["DELIVRD"].lower() + " » selon l'accusé de "
                 "réception de l'opérateur"),
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


def format_value(value: object, indicator: MapIndicator) -> str:
    """The value as the hover, the table and the profiles' cards show it."""
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
        return duration_text(v)
    return format_number(v, d)


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
    taux: str = SMOOTHED

    @classmethod
    def parse(cls, categorie=None, comparaison=None, theme=None, ssmsi=None, annee=None,
              ssmsi_offered: pd.DataFrame | None = None, taux=None) -> Choices:
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
            ssmsi=ssmsi, annee=year, taux=taux if taux in RATE_MODES else SMOOTHED)

    @property
    def smoothed(self) -> bool:
        """Whether the rate of facts is the smoothed one: one category, smoothing chosen."""
        return self.categorie != ALL_CATEGORIES and self.taux == SMOOTHED

    @property
    def fact_category(self) -> str | None:
        """The ``facts_monthly.categorie`` to filter on; None for all facts."""
        return None if self.categorie == ALL_CATEGORIES else self.categorie

    def reference(self, period: Period) -> Period:
        return period.year_before() if self.comparaison == "annee" else period.previous()

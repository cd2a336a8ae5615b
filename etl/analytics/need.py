"""The need score of each commune × weekly slot, which the allocation serves.

Two kinds of demand meet in it, in severity-weighted facts a week:

- **forecast facts**: the forecast of victim-reported facts of next month, per category,
  brought to one week (× 7 / days in the month), weighted by severity (:data:`SEVERITY`) and
  spread over the week's slots by each category's time profile (:data:`SLOT_PROFILE`);
- **élus' expectations, each weighed on its own**: each open DCAS expectation (status
  ``a_traiter`` or ``en_cours``) has a weight ``w`` = its priority (haute 3, moyenne 2,
  basse 1) × its theme's relevance to public-road presence (:data:`THEME_RELEVANCE`) × its age
  (1 + age / 180 days, at most 2: an expectation left unanswered weighs more), at most
  :data:`EXPECTATION_WEIGHT_MAX` = 6; each complaint from an élu in the last 12 months has the
  weight :attr:`NeedWeights.complaint` (bounded the same way). One expectation adds
  ``α × w / 6 × EXPECTATION_MAX_SHARE × F`` to its commune's need, where ``F`` is the brigade's
  forecast need of the week, spread over its preferred slots. So **one expectation can never
  add more than α × 15 % of the brigade's forecast need** (at most 13 % of its need, hence of
  its hours, at α = 1; 4.5 % at the default α = 0.3), however few expectations the brigade
  has: the first version turned the expectations into shares, so that a brigade's single open
  expectation took α = 30 % of its need (issue #17).

Last, a commune that has seen no recorded presence for a while gets up to
:attr:`NeedWeights.recency_max` more (linear over :attr:`NeedWeights.recency_days` days, counted
to the territory's last recorded day; +20 % by default: the minimum presence already
guarantees every commune its visits, and a larger tilt moved hours away from where the need is
— the overlap with the demo's true need fell by about 2 points at +50 %).

Arrests, stops and offences revealed by police activity (drugs) are never an input: they
measure where the police already are, not where the need is (Ensign et al. 2018).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from etl.analytics.slots import SLOTS

#: severity of one fact of each category (the weights of the need score; defaults in the
#: README, adjustable in the what-if panel): violence against persons first, then burglaries
#: and violent thefts, then thefts, damage and frauds. Drug offences have no weight: they are
#: revealed by police activity and never enter the need.
SEVERITY: dict[str, float] = {
    "violences_sexuelles": 5.0, "vols_avec_armes": 5.0, "violences_intrafamiliales": 4.0,
    "violences_hors_famille": 4.0, "cambriolages_logement": 3.0,
    "vols_violents_sans_arme": 3.0, "vols_vehicules": 2.0, "vols_dans_vehicules": 1.5,
    "destructions_degradations": 1.5, "vols_sans_violence": 1.0, "vols_accessoires": 1.0,
    "escroqueries": 0.5,
}
#: short French names of the categories, for explanations
CATEGORY_NAMES: dict[str, str] = {
    "violences_sexuelles": "violences sexuelles", "vols_avec_armes": "vols avec armes",
    "violences_intrafamiliales": "violences intrafamiliales",
    "violences_hors_famille": "violences hors famille",
    "cambriolages_logement": "cambriolages", "vols_violents_sans_arme": "vols violents",
    "vols_vehicules": "vols de véhicules", "vols_dans_vehicules": "vols dans les véhicules",
    "destructions_degradations": "dégradations", "vols_sans_violence": "vols simples",
    "vols_accessoires": "vols d'accessoires", "escroqueries": "escroqueries",
}

# time profiles over SLOTS (weekday day, evening, night; weekend day, evening, night): the share
# of a week's facts of the category in each slot (assumptions from the usual diurnal patterns:
# burglaries of homes by day on weekdays, violence and damage in the evening and at night, more
# at weekends)
_PROFILES = {
    "jour": (0.50, 0.12, 0.08, 0.18, 0.06, 0.06),
    "soir": (0.22, 0.20, 0.18, 0.12, 0.14, 0.14),
    "nuit": (0.15, 0.15, 0.30, 0.06, 0.12, 0.22),
    "plat": (0.42, 0.14, 0.14, 0.16, 0.06, 0.08),
}
SLOT_PROFILE: dict[str, tuple[float, ...]] = {
    "cambriolages_logement": _PROFILES["jour"], "escroqueries": _PROFILES["plat"],
    "vols_sans_violence": _PROFILES["jour"], "violences_intrafamiliales": _PROFILES["soir"],
    "violences_hors_famille": _PROFILES["soir"], "violences_sexuelles": _PROFILES["soir"],
    "vols_avec_armes": _PROFILES["soir"], "vols_violents_sans_arme": _PROFILES["soir"],
    "vols_vehicules": _PROFILES["nuit"], "vols_dans_vehicules": _PROFILES["nuit"],
    "vols_accessoires": _PROFILES["nuit"], "destructions_degradations": _PROFILES["nuit"],
}
DEFAULT_PROFILE = np.array(_PROFILES["plat"])

#: how much an élu's expectation of each DCAS theme calls for public-road presence
THEME_RELEVANCE: dict[str, float] = {
    "cambriolages": 1.0, "vitesse_securite_routiere": 1.0, "incivilites_tranquillite": 1.0,
    "stupefiants": 1.0, "depots_sauvages_environnement": 0.8, "presence_heures_sensibles": 1.0,
    "rodeos": 1.0, "violences_intrafamiliales": 0.3, "cyber": 0.1, "contact_elus": 0.5,
}
PRIORITY: dict[str, float] = {"haute": 3.0, "moyenne": 2.0, "basse": 1.0}
#: the largest weight of one expectation (haute × relevance 1 × age factor 2) or complaint
EXPECTATION_WEIGHT_MAX = 6.0
#: the share of the brigade's forecast need one expectation of the largest weight adds at α = 1
EXPECTATION_MAX_SHARE = 0.15
OPEN_STATUSES = ("a_traiter", "en_cours")


@dataclass(frozen=True)
class NeedWeights:
    """The adjustable weights of the need score (see the module docstring)."""

    alpha: float = 0.3
    severity: dict[str, float] = field(default_factory=lambda: dict(SEVERITY))
    complaint: float = 1.0
    age_days_to_double: float = 180.0
    recency_days: float = 28.0
    recency_max: float = 0.2

    def validate(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError("Le poids α des attentes des élus doit être compris entre 0 et 1.")
        if any(not np.isfinite(v) or v < 0 or v > 100 for v in self.severity.values()):
            raise ValueError("Les poids de gravité doivent être compris entre 0 et 100.")
        if not 0 <= self.complaint <= 100 or not 0 <= self.recency_max <= 5:
            raise ValueError("Poids des plaintes ou de l'ancienneté de présence hors bornes.")

    def with_alpha(self, alpha: float) -> NeedWeights:
        return replace(self, alpha=float(alpha))


NEED_WEIGHTS = NeedWeights()


def slot_mask(creneaux: str | None) -> np.ndarray:
    """The share of an expectation over SLOTS from its DCAS preferred slots (``matin``,
    ``apres_midi``, ``soiree``, ``nuit``, ``week_end``, separated by ``|``): day parts select
    the slots' time of day, ``week_end`` the weekend; none: the default profile."""
    parts = {p for p in str(creneaux or "").split("|") if p}
    if not parts:
        return DEFAULT_PROFILE.copy()
    times = set()
    if parts & {"matin", "apres_midi"}:
        times.add("jour")
    if "soiree" in parts:
        times.add("soiree")
    if "nuit" in parts:
        times.add("nuit")
    days = {"weekend"} if "week_end" in parts else {"semaine", "weekend"}
    if not times:
        times = {"jour", "soiree", "nuit"}
    mask = np.array([float(s.split("_")[0] in days and s.split("_")[1] in times)
                     for s in SLOTS])
    return mask / mask.sum()


@dataclass(frozen=True)
class Need:
    """Need per commune × slot of one set of communes (rows in ``communes`` order)."""

    communes: tuple[str, ...]
    score: np.ndarray          # [commune, slot], severity-weighted facts a week
    forecast: np.ndarray       # [commune, slot], the forecast part before blending
    expectations: np.ndarray   # [commune, slot], the élus' part before blending
    recency: np.ndarray        # [commune], the multiplier for time since the last presence


def forecast_part(communes: list[str], weekly: pd.DataFrame,
                  severity: dict[str, float]) -> np.ndarray:
    """Severity-weighted expected facts of the week per commune × slot; ``weekly`` has
    ``code_commune, categorie, attendu`` (expected facts in the week)."""
    out = np.zeros((len(communes), len(SLOTS)))
    if weekly.empty:
        return out
    i = weekly["code_commune"].map({c: k for k, c in enumerate(communes)})
    w = weekly["categorie"].map(severity).fillna(0.0).to_numpy(float)
    keep = (i.notna().to_numpy()) & (w > 0)
    if not keep.any():
        return out
    cats = weekly["categorie"].to_numpy()[keep]
    profiles = np.array([SLOT_PROFILE.get(str(c), DEFAULT_PROFILE) for c in SLOT_PROFILE])
    lookup = {c: k for k, c in enumerate(SLOT_PROFILE)}
    prof = profiles[[lookup[c] for c in cats]]
    values = (w[keep] * weekly["attendu"].to_numpy(float)[keep])[:, None] * prof
    np.add.at(out, i[keep].astype(int).to_numpy(), values)
    return out


def expectations_part(communes: list[str], expectations: pd.DataFrame,
                      complaints: pd.Series, weights: NeedWeights) -> np.ndarray:
    """Weights of the open expectations (``code_commune, theme, priorite, creneaux,
    age_jours``) and complaints of élus per commune (a Series indexed by commune), per
    commune × slot: each expectation's weight (≤ :data:`EXPECTATION_WEIGHT_MAX`) spread over
    its preferred slots."""
    out = np.zeros((len(communes), len(SLOTS)))
    index = {c: i for i, c in enumerate(communes)}
    if not expectations.empty:
        e = expectations
        i = e["code_commune"].map(index)
        ok = i.notna().to_numpy()
        age = np.clip(e["age_jours"].to_numpy(float) / weights.age_days_to_double, 0.0, 1.0)
        w = np.minimum(e["priorite"].map(PRIORITY).fillna(1.0).to_numpy(float)
                       * e["theme"].map(THEME_RELEVANCE).fillna(0.5).to_numpy(float) * (1 + age),
                       EXPECTATION_WEIGHT_MAX)
        masks = {c: slot_mask(c) for c in e["creneaux"].fillna("").unique()}
        m = np.array([masks[c] for c in e["creneaux"].fillna("")]).reshape(-1, len(SLOTS))
        np.add.at(out, i[ok].astype(int).to_numpy(), w[ok, None] * m[ok])
    if len(complaints):
        c = complaints[complaints > 0]
        i = c.index.map(index)
        ok = ~pd.isna(i)
        if ok.any():
            rows = np.asarray(i[ok], dtype=int)
            each = min(weights.complaint, EXPECTATION_WEIGHT_MAX)
            np.add.at(out, rows, each * c.to_numpy(float)[ok][:, None]
                      * DEFAULT_PROFILE[None, :])
    return out


def recency_factor(days_since: np.ndarray, weights: NeedWeights) -> np.ndarray:
    """1 + recency_max × min(days / recency_days, 1); a commune never visited gets the max."""
    d = np.where(np.isfinite(days_since), np.maximum(days_since, 0.0), weights.recency_days)
    return 1.0 + weights.recency_max * np.minimum(d / weights.recency_days, 1.0)


def blend(forecast: np.ndarray, expectations: np.ndarray, recency: np.ndarray,
          alpha: float) -> np.ndarray:
    """(forecast + α × 15 % × F × expectation weights / 6) × recency, F the forecast's total
    (1 when the brigade has no forecast): see the module docstring."""
    total_f = float(forecast.sum())
    scale = total_f if total_f > 0 else 1.0
    unit = alpha * EXPECTATION_MAX_SHARE * scale / EXPECTATION_WEIGHT_MAX
    return (forecast + unit * expectations) * recency[:, None]


def need_scores(communes: list[str], weekly: pd.DataFrame, expectations: pd.DataFrame,
                complaints: pd.Series, days_since_presence: np.ndarray,
                weights: NeedWeights = NEED_WEIGHTS) -> Need:
    """The need of one brigade's communes (see the module docstring)."""
    weights.validate()
    f = forecast_part(communes, weekly, weights.severity)
    e = expectations_part(communes, expectations, complaints, weights)
    r = recency_factor(np.asarray(days_since_presence, dtype=float), weights)
    return Need(tuple(communes), blend(f, e, r, weights.alpha), f, e, r)

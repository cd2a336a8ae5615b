"""French formatting for cards, tables and hover labels (pure functions): numbers and
percentages, dates, months, durations, town hall hours, and the labels of the coded values the
sources store (statuses, functions, channels…)."""

from __future__ import annotations

import json
import math
from datetime import date
from numbers import Real

import pandas as pd

from etl import clock

#: French typography groups thousands with a narrow no-break space (as Intl.NumberFormat 'fr-FR')
THOUSANDS = "\u202f"
MISSING = "—"
#: the minus sign (not the hyphen): screen readers say « moins »
MINUS = "\u2212"


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(value))  # type: ignore[arg-type]
    except TypeError:
        # pandas.NA and other non-float missing markers
        return str(value) in {"<NA>", "NaT", "nan"}


def format_number(value: object, decimals: int = 0) -> str:
    """``1234567.5`` → ``'1 234 567,5'`` (narrow no-break spaces), ``-31.94`` → ``'−31,9'``
    with one decimal (a minus sign, and no « −0,0 »); missing → ``'—'``."""
    if _is_missing(value):
        return MISSING
    if not isinstance(value, Real):
        raise TypeError(f"not a number: {value!r}")
    text = f"{abs(float(value)):,.{decimals}f}".replace(",", THOUSANDS).replace(".", ",")
    negative = float(value) < 0 and any(c not in "0," for c in text)
    return MINUS + text if negative else text


def format_percent(share: object, decimals: int = 1) -> str:
    """A share in [0, 1] as a French percentage: ``0.123`` → ``'12,3 %'``."""
    if _is_missing(share):
        return MISSING
    return f"{format_number(float(share) * 100, decimals)}{THOUSANDS}%"  # type: ignore[arg-type]


def safe_ratio(numerator: object, denominator: object) -> float | None:
    """``numerator / denominator``, or None when either is missing or the denominator is 0."""
    if _is_missing(numerator) or _is_missing(denominator):
        return None
    denominator = float(denominator)  # type: ignore[arg-type]
    if denominator == 0:
        return None
    return float(numerator) / denominator  # type: ignore[arg-type]


# --- dates, durations, hours ----------------------------------------------------------------

MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")


def month_label(d: date | pd.Timestamp) -> str:
    """« nov. 2025 »: short French month names for chart axes and tables (Plotly's own date
    axis would print English month names)."""
    return f"{MONTHS_SHORT[d.month - 1]} {d.year}"


def _hour(text: str) -> str:
    hours, minutes = text.split(":")[:2]
    return f"{int(hours)}{THOUSANDS}h{minutes}"


def format_horaires(text: str | None) -> str:
    """Town hall hours as published (``[["lundi","vendredi",[["08:30:00","12:00:00"]]]]``) in
    French: « lundi au vendredi : 8 h30 – 12 h00 »; unreadable text is returned as is."""
    if not text or not str(text).strip():
        return ""
    try:
        days = json.loads(text)
        parts = []
        for first, last, slots in days:
            span = first if first == last else f"{first} au {last}"
            hours = ", ".join(f"{_hour(a)} – {_hour(b)}" for a, b in slots)
            parts.append(f"{span} : {hours}")
        return " ; ".join(parts)
    except (ValueError, TypeError, AttributeError):
        return str(text).strip()


def date_text(value: object, with_time: bool = False) -> str:
    if value is None or pd.isna(value):
        return ""
    ts = pd.Timestamp(value)
    return ts.strftime("%d/%m/%Y %H:%M") if with_time else ts.strftime("%d/%m/%Y")


def paris_time_text(utc: object) -> str:
    """A stored UTC time (naive, as the warehouse and the operational store keep them) in
    France's time, « 07/12/2026 00:31 » (:func:`etl.clock.local`); "" when missing."""
    if utc is None or utc == "" or pd.isna(utc):
        return ""
    return clock.local(pd.Timestamp(utc).to_pydatetime()).strftime("%d/%m/%Y %H:%M")


def duration_text(minutes: object) -> str:
    if minutes is None or pd.isna(minutes):
        return MISSING
    total = round(float(minutes))
    if total < 60:
        return f"{total}{THOUSANDS}min"
    hours, mins = divmod(total, 60)
    return f"{hours}{THOUSANDS}h{mins:02d}"


# --- labels of coded values ------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "statut_dcas": {"a_traiter": "À traiter", "en_cours": "En cours", "realisee": "Réalisée",
                    "close": "Close"},
    "statut_plainte": {"enregistree": "Enregistrée", "transmise_parquet": "Transmise au parquet",
                       "classee_sans_suite": "Classée sans suite", "poursuites": "Poursuites",
                       "jugee": "Jugée"},
    "infraction": {"menaces": "Menaces", "outrage": "Outrage", "injures": "Injures",
                   "injures_diffamation_en_ligne": "Injures ou diffamation en ligne",
                   "violences": "Violences", "degradations": "Dégradations",
                   "harcelement": "Harcèlement", "autre": "Autre"},
    "fonction": {"maire": "Maire", "adjoint": "Adjoint", "conseiller_municipal":
                 "Conseiller municipal", "autre_elu": "Autre élu", "secretaire_mairie":
                 "Secrétaire de mairie", "agent_municipal": "Agent municipal", "autre": "Autre"},
    "lieu": {"mairie": "Mairie", "brigade": "Brigade", "domicile": "Domicile",
             "autre_lieu": "Autre lieu"},
    "canal": {"entretien_mairie": "Entretien en mairie", "telephone": "Téléphone",
              "visioconference": "Visioconférence", "reunion_publique": "Réunion publique",
              "application_gendelus": "Application Gend'Élus"},
    "priorite": {"haute": "Haute", "moyenne": "Moyenne", "basse": "Basse"},
    "formation": {"incivilites": "Gestion des incivilités", "cyber_immunite":
                  "Cybersécurité (IMMUNITÉ)", "vif": "Violences intrafamiliales",
                  "environnement": "Atteintes à l'environnement", "atteintes_elus":
                  "Atteintes aux élus", "gestion_crise": "Gestion de crise"},
    "alerte": {"cambriolages": "Cambriolages", "vols": "Vols", "degradations": "Dégradations",
               "depots_sauvages": "Dépôts sauvages", "rodeos": "Rodéos",
               "escroqueries": "Escroqueries", "demarchage_frauduleux":
               "Démarchage frauduleux", "disparition": "Disparition", "autre": "Autre"},
    "statut_alerte": {"brouillon": "Brouillon", "validee": "Validée", "envoyee": "Envoyée",
                      "annulee": "Annulée"},
    "couleur": {"vert": "Vert", "jaune": "Jaune", "orange": "Orange", "rouge": "Rouge"},
    "creneau": {"jour": "Jour (7 h – 19 h)", "soiree": "Soirée (19 h – 23 h)",
                "nuit": "Nuit (23 h – 7 h)"},
}


def label(kind: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return LABELS[kind].get(str(value), str(value).replace("_", " "))

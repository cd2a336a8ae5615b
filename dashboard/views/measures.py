"""Arithmetic shared by every view: rates per 1,000, changes, shares, ranks, and how a change
or a duration reads in French. Pure: values or pandas series in, values or series out."""

from __future__ import annotations

import pandas as pd

from dashboard.core.formatting import MINUS, MISSING, THOUSANDS, format_number, safe_ratio

# --- on series (one value per unit) ------------------------------------------------------


def per_thousand(count: pd.Series, base: pd.Series) -> pd.Series:
    """``count / base × 1000``; NaN where the base is missing or not positive."""
    base = pd.to_numeric(base, errors="coerce").astype("float64")
    return pd.to_numeric(count, errors="coerce").astype("float64") / base.where(base > 0) * 1000


def percent_change(current: pd.Series, reference: pd.Series, min_base: float = 5) -> pd.Series:
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


# --- on single values -------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def relative_change(current: object, reference: object) -> float | None:
    """``current / reference - 1``; None when either is missing or the reference is 0 (a rise
    from nothing has no percentage)."""
    ratio = safe_ratio(current, reference)
    return None if ratio is None else ratio - 1


def difference(current: object, reference: object) -> float | None:
    """``current - reference`` (for shares: percentage points, as a fraction); None if missing."""
    if is_missing(current) or is_missing(reference):
        return None
    return float(current) - float(reference)  # type: ignore[arg-type]


def share(part: object, whole: object) -> float | None:
    """``part / whole`` as a share; None when there is nothing to share (whole missing or 0)."""
    return safe_ratio(0 if is_missing(part) else part, whole)


def per_1000(count: object, population: object) -> float | None:
    ratio = safe_ratio(count, population)
    return None if ratio is None else ratio * 1000


#: kind of change → (scale, decimals, unit)
CHANGE_UNITS = {
    "percent": (100, 1, f"{THOUSANDS}%"),
    "points": (100, 1, " points"),
    "minutes": (1, 0, f"{THOUSANDS}min"),
}


def format_change(change: float | None, kind: str) -> str:
    """A change in French: ``percent`` (relative: « +12,3 % »), ``points`` (difference of two
    shares: « −2,5 points ») or ``minutes`` (difference of durations: « +15 min »). A change
    that rounds to zero has no sign; a missing one (None, NaN) is « — »."""
    if is_missing(change):
        return MISSING
    if kind not in CHANGE_UNITS:
        raise ValueError(f"unknown kind of change: {kind}")
    scale, decimals, unit = CHANGE_UNITS[kind]
    magnitude = round(abs(change) * scale, decimals)
    sign = "" if magnitude == 0 else ("+" if change > 0 else MINUS)
    return sign + format_number(magnitude, decimals) + unit


def format_duration(minutes: object) -> str:
    """``95`` → « 1 h 35 min », ``40`` → « 40 min », ``1500`` → « 1 j 1 h »; missing → « — »."""
    if is_missing(minutes):
        return MISSING
    total = round(float(minutes))  # type: ignore[arg-type]
    if total < 60:
        return f"{total}{THOUSANDS}min"
    hours, mins = divmod(total, 60)
    if hours < 24:
        return f"{hours}{THOUSANDS}h {mins:02d}{THOUSANDS}min" if mins else f"{hours}{THOUSANDS}h"
    days, hours = divmod(hours, 24)
    return f"{days}{THOUSANDS}j {hours}{THOUSANDS}h" if hours else f"{days}{THOUSANDS}j"


def plural(count: object, one: str, many: str) -> str:
    """« 1 alerte datée », « 0 alerte datée », « 3 alertes datées » (French: 0 and 1 singular)."""
    n = 0 if is_missing(count) else float(count)  # type: ignore[arg-type]
    return f"{format_number(n)} {one if abs(n) < 2 else many}"

"""French number formatting for cards, tables and hover labels (pure functions)."""

from __future__ import annotations

import math
from numbers import Real

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

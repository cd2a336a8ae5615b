"""CSV export for French spreadsheets, safe against formula injection (pure)."""

from __future__ import annotations

import pandas as pd

#: a spreadsheet evaluates a cell that starts with one of these as a formula (OWASP's list)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Numbers are left alone: a negative number is data, and it reaches the file as a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame, columns: dict[str, str] | None = None) -> bytes:
    """``frame`` as CSV for Excel in French: ``;`` separator, decimal comma, UTF-8 with BOM.

    ``columns`` (name → header) selects, orders and renames the columns; headers are
    neutralised like cells.
    """
    if columns is not None:
        frame = frame[list(columns)].rename(columns=columns)
    safe = frame.copy()
    for name in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[name]):
            safe[name] = safe[name].astype(object).map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    text = safe.to_csv(sep=";", index=False, decimal=",", lineterminator="\r\n")
    return text.encode("utf-8-sig")

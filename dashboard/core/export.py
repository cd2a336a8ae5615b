"""CSV export for French spreadsheets, safe against formula injection (pure)."""

from __future__ import annotations

import re

import pandas as pd

#: a spreadsheet evaluates a cell that starts with one of these as a formula (OWASP's list)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: a text made of a sign and digits only, with spaces, dots or commas between them: a phone
#: number (« +33 6 39 98 00 01 », or masked « +33 6 •• •• •• 01 ») or a number (« -12,5 »).
#: Without a letter, a bracket or an operator after its sign it can call no function, reach
#: no cell and run nothing: data
PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 .,\u00a0\u202f•]*")


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Numbers are left alone: a negative number is data, and it reaches the file as a number;
    so is a text that is only a signed number or a phone number (:data:`PLAIN_NUMBER`: a
    number in E.164 is not mangled into « '+33 6… »). Anything else starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return is neutralised (``+cmd|…``, ``-1+1``,
    ``@SUM(A1)``).
    """
    if (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            and not PLAIN_NUMBER.fullmatch(value)):
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

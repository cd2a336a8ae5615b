"""CSV export: French Excel conventions and formula neutralisation."""

import csv
import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.core.export import FORMULA_PREFIXES, PLAIN_NUMBER, neutralise_cell, to_csv_bytes


def _rows(payload: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(payload.decode("utf-8-sig")), delimiter=";"))


def test_neutralise_cell():
    assert neutralise_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for prefix in ("=", "@", "\t", "\r"):
        assert neutralise_cell(prefix + "1") == "'" + prefix + "1"
    assert neutralise_cell("Rennes") == "Rennes"
    assert neutralise_cell(-3) == -3


def test_a_phone_number_or_a_signed_number_is_not_a_formula():
    """Issue #19: the messages' CSV had « '+33 6 39 98 00 01 »."""
    for data in ("+33 6 39 98 00 01", "+33639980001", "+596 696 12 34 56", "-12,5", "+1",
                 "-3", "+33 6 39 98 00 01 ", "-1\u202f204,5",
                 "+33 6 •• •• •• 01"):  # a number masked for the roles that do not send
        assert neutralise_cell(data) == data, data


def test_formula_content_after_a_sign_is_still_neutralised():
    for formula in ("+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "+HYPERLINK(\"http://x\")",
                    "-1+1", "+1-1", "+33 6 39 98 00 01+A1", "-A1", "+ 1", "@SUM(A1:A2)",
                    "=33", "+33\n=1", "+(1)", "-1*2", "+1/2", "+33 6 39;98", "\t+33"):
        assert neutralise_cell(formula) == "'" + formula, formula



def test_csv_for_french_excel():
    frame = pd.DataFrame({"code": ["35", "56"], "nom": ["Ille-et-Vilaine", "=cmd|' /C calc'!A0"],
                          "ratio": [11.14, -2.5], "n": [1, 2]})
    payload = to_csv_bytes(frame, {"code": "Code", "nom": "Nom", "ratio": "Ratio"})
    assert payload.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in payload
    assert _rows(payload) == [
        ["Code", "Nom", "Ratio"],
        ["35", "Ille-et-Vilaine", "11,14"],
        ["56", "'=cmd|' /C calc'!A0", "-2,5"],  # negative numbers stay numbers
    ]


def test_headers_are_neutralised_too():
    payload = to_csv_bytes(pd.DataFrame({"=x": ["a"]}))
    assert _rows(payload)[0] == ["'=x"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1), min_size=1, max_size=5))
def test_no_text_cell_can_start_a_formula(texts):
    payload = to_csv_bytes(pd.DataFrame({"t": texts}))
    frame = pd.read_csv(io.BytesIO(payload), sep=";", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    for cell in frame["t"]:
        # either no formula's first character, or a number alone (digits, a sign, spaces)
        assert not cell.startswith(FORMULA_PREFIXES) or PLAIN_NUMBER.fullmatch(cell), cell

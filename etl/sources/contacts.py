"""Élus' alert contacts (personal data): commune, function, phone, opt-in. No names are kept."""

from __future__ import annotations

import re

import pandas as pd

from etl.sources.base import Field as F
from etl.sources.base import Source

PHONE_RE = re.compile(r"^\+33[1-9]\d{8}$")


def normalise_phone(value) -> str | None:
    """French numbers to E.164 (+33…): '06 39 98 00 01', '0639980001', '+33 6 39 98 00 01'."""
    if not isinstance(value, str):
        return value
    digits = re.sub(r"[\s.\-()]", "", value)
    if digits.startswith("0033"):
        digits = "+33" + digits[4:]
    elif digits.startswith("0") and len(digits) == 10:
        digits = "+33" + digits[1:]
    return digits


def _phone(frame: pd.DataFrame) -> pd.DataFrame:
    if "telephone" in frame:
        frame["telephone"] = frame["telephone"].map(normalise_phone)
    return frame


def _phone_check(frame, _known):
    """The number is French (stored as +33 and 9 digits)."""
    bad = frame["telephone"].notna() & ~frame["telephone"].map(
        lambda v: bool(PHONE_RE.match(v)) if isinstance(v, str) else False)
    return [(bad, "telephone", "numéro de téléphone invalide (format français attendu)")]


CONTACTS = Source(
    name="contacts",
    table="elu_contacts",
    description="Alert contacts of élus (personal data: access restricted; no names). Demo "
    "numbers are in the ranges ARCEP reserves for fiction.",
    fields=(
        F("id_contact", "code", "Contact id"),
        F("code_commune", "insee", "Commune"),
        F("fonction", "enum", "Function", enum=("maire", "adjoint", "conseiller_municipal",
                                                "secretaire_mairie")),
        F("telephone", "text", "Mobile or landline, stored as +33…"),
        F("opt_in", "bool", "Agreed to receive SMS alerts"),
        F("date_opt_in", "date", "Date of the agreement", required=False, not_future=True),
    ),
    key=("id_contact",),
    normalise=_phone,
    row_checks=(_phone_check,),
    example="id_contact;code_commune;fonction;telephone;opt_in;date_opt_in\nCT-35001-1;35001;"
    "maire;06 39 98 00 01;oui;2024-11-02",
)

"""Élus' phone numbers: parsed with ``phonenumbers`` and stored in E.164 (``+33639980001``),
shown masked to the roles that do not send alerts.

A number is kept when ``phonenumbers`` finds it valid in France or one of its overseas
départements and collectivities (numbers written nationally, « 06 96 … », are read as the
overseas region's when they are not French metropolitan ones), or when it lies in the blocks
ARCEP reserves for fiction (:data:`FICTION_BLOCKS`: the demo's and the tests' numbers, which
the library rightly reports as never assigned). Anything else is invalid (None).

An SMS reaches a mobile only: :func:`line_type` tells a number's kind from ``phonenumbers``'
number types (the French plan tells mobiles, 06 and 07, from fixed lines, 01 to 05 and 09, and
from special numbers; a plan that cannot tell says FIXED_LINE_OR_MOBILE, which is accepted), the
fiction blocks from their own declaration (06 39 98 is a mobile block, the others landlines).
:func:`sms_refusal` is the French reason a number cannot receive the alerts, or None.

The contacts source (``etl.sources.contacts``) normalises its files with it, the alerts
(``etl.alerts.contacts``) mask and show numbers with it, the demo (``etl.demo.phones``) draws
its numbers from the fiction blocks declared here.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

#: regions whose numbers an élu may have: France, its overseas départements and collectivities
FRENCH_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC")
#: read a national number (« 0… ») as these regions' when it is not a metropolitan one
_NATIONAL_TRIES = ("FR", "RE", "GP", "MQ", "GF", "YT")
#: the longest text read as a number (longer: refused); the contact form's ``maxLength``
MAX_INPUT = 40
#: the blocks ARCEP reserves for fiction (« numéros réservés à la fiction »), never assigned to
#: a subscriber: block -> national prefix of 6 digits (the last 4 digits vary)
FICTION_BLOCKS: dict[str, str] = {
    "06": "063998", "01": "019900", "02": "026191", "03": "035348", "04": "046571", "05": "053649",
}
#: E.164 form of every fiction number: +33 followed by a block's prefix without its 0
FICTION_RE = re.compile(r"^\+33(" + "|".join(p[1:] for p in FICTION_BLOCKS.values())
                        + r")\d{4}$")
#: the fiction blocks that are mobile numbers (the others are landlines of a region)
FICTION_MOBILE_BLOCKS = ("06",)

#: what ``phonenumbers`` says a number is → our kind; a kind outside :data:`SMS_KINDS` cannot
#: receive an SMS alert
_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixe_ou_mobile",
    PhoneNumberType.FIXED_LINE: "fixe",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PREMIUM_RATE: "surtaxe",
    PhoneNumberType.TOLL_FREE: "gratuit",
    PhoneNumberType.SHARED_COST: "cout_partage",
    PhoneNumberType.PERSONAL_NUMBER: "personnel",
    PhoneNumberType.PAGER: "radiomessagerie",
    PhoneNumberType.UAN: "acces_universel",
    PhoneNumberType.VOICEMAIL: "messagerie_vocale",
}
SMS_KINDS = ("mobile", "fixe_ou_mobile")
#: each kind that cannot receive an SMS, said in French
KIND_LABELS = {
    "fixe": "numéro fixe", "voip": "numéro de voix sur IP (09)",
    "surtaxe": "numéro surtaxé", "gratuit": "numéro vert (appel gratuit)",
    "cout_partage": "numéro à coût partagé", "personnel": "numéro personnel",
    "radiomessagerie": "numéro de radiomessagerie", "acces_universel": "numéro d'accès universel",
    "messagerie_vocale": "numéro de messagerie vocale", "inconnu": "numéro de type inconnu",
}


def is_fiction(e164: str) -> bool:
    """True for a number (E.164, +33…) inside one of the fiction blocks."""
    return bool(FICTION_RE.match(e164))


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalise_phone(value) -> str | None:
    """``value`` (« 06 39 98 00 01 », « 0639980001 », « +33 6 39 98 00 01 »,
    « 0033639980001 », « 06.39.98.00.01 ») in E.164, or None when it is not a valid French
    (or overseas French) number."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_INPUT:
        return None
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    for region in _NATIONAL_TRIES if not text.startswith("+") else ("FR",):
        try:
            number = phonenumbers.parse(text, region)
        except NumberParseException:
            return None
        e164 = _e164(number)
        if is_fiction(e164):
            return e164
        if phonenumbers.is_valid_number(number) and (
                phonenumbers.region_code_for_number(number) in FRENCH_REGIONS):
            return e164
    return None


def line_type(e164: str) -> str:
    """The kind of a number already in E.164 (:func:`normalise_phone`): « mobile »,
    « fixe_ou_mobile » (a plan that does not tell them apart), « fixe », « surtaxe »…, or
    « inconnu »."""
    if is_fiction(e164):
        block = next(b for b, p in FICTION_BLOCKS.items() if e164[3:].startswith(p[1:]))
        return "mobile" if block in FICTION_MOBILE_BLOCKS else "fixe"
    try:
        number = phonenumbers.parse(e164, "FR")
    except NumberParseException:
        return "inconnu"
    return _KINDS.get(phonenumbers.number_type(number), "inconnu")


def receives_sms(e164: str | None) -> bool:
    """Whether an SMS alert can reach the number (E.164): a mobile."""
    return isinstance(e164, str) and line_type(e164) in SMS_KINDS


def sms_refusal(e164: str) -> str | None:
    """The French reason a valid number (E.164) cannot receive the SMS alerts, or None."""
    kind = line_type(e164)
    if kind in SMS_KINDS:
        return None
    return (f"{KIND_LABELS.get(kind, KIND_LABELS['inconnu'])} : les alertes partent par SMS, "
            "un numéro de mobile est attendu (06 ou 07)")


def mask(phone: str | None) -> str:
    """A number as shown to who may not read it: its country code, the first digit and the
    last two (« +33 6 •• •• •• 01 »)."""
    if not isinstance(phone, str) or not phone.strip():
        return ""
    try:
        number = phonenumbers.parse(phone, "FR")
    except NumberParseException:
        return "••"
    national = phonenumbers.national_significant_number(number)
    if len(national) < 4:
        return "••"
    rest = national[1:]
    pairs = [rest[max(0, i - 2):i] for i in range(len(rest), 0, -2)][::-1]
    shown = ["••"] * (len(pairs) - 1) + [pairs[-1]]
    return f"+{number.country_code} {national[0]} " + " ".join(shown)


def display(phone: str | None) -> str:
    """A number as read in France (« +33 6 39 98 00 01 »), for the roles that send alerts."""
    if not isinstance(phone, str) or not phone.strip():
        return ""
    try:
        number = phonenumbers.parse(phone, "FR")
    except NumberParseException:
        return phone
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)

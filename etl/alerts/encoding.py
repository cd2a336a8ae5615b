"""How an SMS is encoded and how many parts it costs (DOMAIN.md, « SMS facts »).

A message whose every character is in the GSM 03.38 alphabet (basic table, or the extension
table reached by an escape: € [ ] { } | ^ ~ \\, each costing two septets) goes as GSM-7: 160
septets in one SMS, 153 per part once concatenated (the rest of a part is its header). One
character outside it switches the whole message to UCS-2: 70 UTF-16 code units in one SMS, 67
per part (a character outside the Basic Multilingual Plane, e.g. an emoji, costs two). A part
never splits an escape sequence or a surrogate pair, so the count is made character by
character, as a phone or an SMSC splits.

Whether a character is GSM-7 is the ``gsm0338`` codec's answer (``"…".encode("gsm03.38")``),
never a table of our own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

GSM7, UCS2 = "GSM-7", "UCS-2"
#: (units of one single SMS, units per part of a concatenated SMS)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
#: a message needing more parts than this is refused (cost, and phones that drop long ones)
MAX_PARTS = 6

#: characters that force UCS-2 → their closest GSM-7 spelling (one click in the composer)
REPLACEMENTS: dict[str, str] = {
    # apostrophes and quotes
    "\u2019": "'", "\u2018": "'", "\u201a": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u00ab": '"', "\u00bb": '"', "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2039": '"', "\u203a": '"',
    # spaces: non-breaking (before « ; : ! ? » in French typography), narrow, thin, tab
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
    "\t": " ",
    # dashes, ellipsis, bullets
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2011": "-", "\u2010": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": ".",
    # letters of French outside the GSM alphabet (é è à ù ì ò ü ä ö ñ Ç É are in it)
    "\u00e2": "a", "\u00ea": "e", "\u00ee": "i", "\u00f4": "o", "\u00fb": "u",
    "\u00eb": "e", "\u00ef": "i", "\u00ff": "y", "\u00e7": "c", "\u00e1": "a", "\u00ed": "i",
    "\u00f3": "o", "\u00fa": "u", "\u00e3": "a", "\u00f5": "o",
    "\u0153": "oe", "\u0152": "OE",
    "\u00c0": "A", "\u00c2": "A", "\u00c8": "E", "\u00ca": "E", "\u00cb": "E", "\u00ce": "I",
    "\u00cf": "I", "\u00d4": "O", "\u00d9": "U", "\u00db": "U", "\u0178": "Y", "\u00c1": "A",
    "\u00cd": "I", "\u00d3": "O", "\u00da": "U",
    # symbols
    "\u00b0": "o", "\u2116": "No", "\u00a9": "(c)", "\u00ae": "(R)", "\u2122": "TM",
}
_TRANSLATION = str.maketrans(REPLACEMENTS)


@dataclass(frozen=True)
class SmsCount:
    """What a message costs: its ``encoding`` (GSM-7 or UCS-2), its ``characters`` (as typed),
    its ``units`` (septets, or UTF-16 code units), its ``parts`` per recipient, the capacity
    ``per_part`` (160/153 or 70/67) and the characters that force UCS-2 (``offending``:
    unique, in order of appearance)."""

    encoding: str
    characters: int
    units: int
    parts: int
    per_part: int
    offending: tuple[str, ...] = ()

    @property
    def too_long(self) -> bool:
        return self.parts > MAX_PARTS

    def total_parts(self, recipients: int) -> int:
        """SMS parts for ``recipients`` recipients (what the operator bills)."""
        return self.parts * max(0, recipients)


@lru_cache(maxsize=4096)
def septets(char: str) -> int | None:
    """Septets of one character in GSM-7 (1, or 2 through the extension table); None when it
    is not in the GSM 03.38 alphabet."""
    try:
        return len(char.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


def _code_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _parts(sizes: list[int], single: int, per_part: int) -> int:
    """Parts needed for characters of ``sizes`` units, no character split across two."""
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def analyse(text: str) -> SmsCount:
    """The encoding and part count of ``text`` (see the module's text)."""
    text = text or ""
    sizes = [septets(c) for c in text]
    offending = tuple(dict.fromkeys(c for c, s in zip(text, sizes, strict=True) if s is None))
    encoding = UCS2 if offending else GSM7
    if encoding == UCS2:
        sizes = [_code_units(c) for c in text]
    single, per_part = LIMITS[encoding]
    parts = _parts(sizes, single, per_part)  # type: ignore[arg-type]
    return SmsCount(encoding, len(text), sum(sizes), parts,  # type: ignore[arg-type]
                    single if parts <= 1 else per_part, offending)


def replace_ucs2(text: str) -> str:
    """``text`` with the characters that force UCS-2 replaced by their GSM-7 spelling
    (:data:`REPLACEMENTS`); characters without one are kept (the message stays UCS-2)."""
    return "".join(c if septets(c) is not None else c.translate(_TRANSLATION) for c in text)


def gsm7_septets(text: str) -> bytes:
    """``text`` as unpacked GSM 03.38 septets, one byte each (an escape is two): what an SMPP
    ``submit_sm`` with data coding 0 carries. UnicodeEncodeError outside the alphabet."""
    return text.encode("gsm03.38")


def split(text: str) -> list[str]:
    """``text`` cut into the parts :func:`analyse` counts (one part: the text itself)."""
    count = analyse(text)
    if count.parts <= 1:
        return [text] if text else []
    size = septets if count.encoding == GSM7 else _code_units
    out, current, used = [], [], 0
    for c in text:
        n = size(c)
        if used + n > count.per_part:
            out.append("".join(current))
            current, used = [], 0
        current.append(c)
        used += n
    out.append("".join(current))
    return out

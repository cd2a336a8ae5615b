"""Fictional phone numbers: only the ranges ARCEP reserves for fiction, never a real subscriber's.

ARCEP sets aside, for films, series and demos, blocks of numbers that will never be assigned
(ARCEP, « numéros réservés à la fiction »). The demo uses only these six blocks of 10,000 numbers:

- mobile: 06 39 98 00 00 to 06 39 98 99 99 (+33 6 39 98 xx xx)
- Île-de-France (01): 01 99 00 xx xx
- north-west (02): 02 61 91 xx xx
- north-east (03): 03 53 48 xx xx
- south-east (04): 04 65 71 xx xx
- south-west (05): 05 36 49 xx xx

Each block holds 10,000 numbers, so 60,000 in all: more contacts than that cannot get a distinct
number (the generator raises rather than invent a number outside these ranges).
"""

from __future__ import annotations

import numpy as np

# the blocks are declared with the phone numbers' rules (etl.sources.phones), which accept them
from etl.sources.phones import FICTION_BLOCKS
from etl.sources.phones import is_fiction as is_fiction

#: landline zone of each metropolitan département (01 Île-de-France, 02 north-west,
#: 03 north-east, 04 south-east, 05 south-west), overseas as their real prefixes' zone
_ZONES = {
    "01": "75 77 78 91 92 93 94 95",
    "02": "14 18 22 27 28 29 35 36 37 41 44 45 49 50 53 56 61 72 76 85 974 976",
    "03": "02 08 10 21 25 39 51 52 54 55 57 58 59 60 62 67 68 70 71 80 88 89 90",
    "04": "01 03 04 05 06 07 11 13 15 26 2A 2B 30 34 38 42 43 48 63 66 69 73 74 83 84",
    "05": "09 12 16 17 19 23 24 31 32 33 40 46 47 64 65 79 81 82 86 87 971 972 973",
}
DEPARTEMENT_ZONE = {d: z for z, deps in _ZONES.items() for d in deps.split()}


def allocate(departements: list[str], want_mobile: np.ndarray, rng: np.random.Generator
             ) -> list[str]:
    """One distinct fiction number per contact, in E.164: a mobile when wanted and still
    available, else a landline of the contact's zone, else of any zone with numbers left."""
    pools = {b: list(rng.permutation(10_000)) for b in FICTION_BLOCKS}
    order = list(FICTION_BLOCKS)
    out = []
    for dep, mobile in zip(departements, want_mobile, strict=True):
        zone = DEPARTEMENT_ZONE.get(dep, "04")
        choices = (["06", zone] if mobile else [zone, "06"]) + order
        block = next((b for b in choices if pools[b]), None)
        if block is None:
            raise ValueError("plus de numéros fictifs disponibles (60 000 au plus)")
        suffix = pools[block].pop()
        out.append(f"+33{FICTION_BLOCKS[block][1:]}{suffix:04d}")
    return out


def display(e164: str, style: int) -> str:
    """How the number is typed in an export: '06 39 98 12 34', '0639981234' or '+33 6 39 98 12 34'
    (the loader normalises all three)."""
    national = "0" + e164[3:]
    if style == 1:
        return national
    if style == 2:
        return "+33 " + e164[3] + " " + " ".join(e164[i:i + 2] for i in range(4, 12, 2))
    return " ".join(national[i:i + 2] for i in range(0, 10, 2))

"""Fictional phone numbers: only the ranges ARCEP reserves for fiction, never a real subscriber's.

ARCEP sets aside, for films, series and demos, blocks of numbers that will never be assigned
(ARCEP, « numéros réservés à la fiction »; declared in :data:`etl.sources.phones.FICTION_BLOCKS`):
one mobile block, 06 39 98 00 00 to 06 39 98 99 99 (+33 6 39 98 xx xx), and one landline block
per region (01 99 00, 02 61 91, 03 53 48, 04 65 71, 05 36 49).

The élus' contacts receive the alerts by SMS, which reaches mobiles only: every demo contact
gets a number of the mobile block. It holds 10,000 numbers for about 42,000 contacts, so a
number is distinct among the contacts of one département and may serve again in another
(an alert targets the communes of one département: no alert finds one number twice, and no
landline is ever drawn). A département with more than 10,000 contacts cannot get distinct
numbers: the generator raises rather than invent a number outside the fiction ranges.
"""

from __future__ import annotations

import numpy as np

# the blocks are declared with the phone numbers' rules (etl.sources.phones), which accept them
from etl.sources.phones import FICTION_BLOCKS, FICTION_MOBILE_BLOCKS
from etl.sources.phones import is_fiction as is_fiction

#: the national prefix of the mobile fiction block, without its 0 (« 63998 »)
_MOBILE_PREFIX = FICTION_BLOCKS[FICTION_MOBILE_BLOCKS[0]][1:]
BLOCK_SIZE = 10_000


def allocate(departements: list[str], rng: np.random.Generator) -> list[str]:
    """One fiction mobile number per contact (the contact's département in ``departements``),
    in E.164, distinct within each département."""
    pools: dict[str, list[int]] = {}
    out = []
    for dep in departements:
        pool = pools.get(dep)
        if pool is None:
            pool = pools[dep] = rng.permutation(BLOCK_SIZE).tolist()
        if not pool:
            raise ValueError(f"plus de numéros mobiles fictifs disponibles dans le département "
                             f"{dep} (10 000 au plus)")
        out.append(f"+33{_MOBILE_PREFIX}{pool.pop():04d}")
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

"""The weekly time slots a patrol plan is written in, and how recorded presence maps onto them.

Recorded presence (`presence_hours`) has three daily slots: jour 7h-19h, soirée 19h-23h and
nuit 23h-7h. A weekly plan splits each of them between weekdays (Monday to Friday) and the
weekend (Saturday and Sunday): six slots.
"""

from __future__ import annotations

#: plan slot codes, in the order of every [commune, slot] array of the engine
SLOTS: tuple[str, ...] = ("semaine_jour", "semaine_soiree", "semaine_nuit",
                          "weekend_jour", "weekend_soiree", "weekend_nuit")
SLOT_LABELS: dict[str, str] = {
    "semaine_jour": "Semaine, jour (7h-19h)",
    "semaine_soiree": "Semaine, soirée (19h-23h)",
    "semaine_nuit": "Semaine, nuit (23h-7h)",
    "weekend_jour": "Week-end, jour (7h-19h)",
    "weekend_soiree": "Week-end, soirée (19h-23h)",
    "weekend_nuit": "Week-end, nuit (23h-7h)",
}

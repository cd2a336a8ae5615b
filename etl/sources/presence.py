"""Public-road presence (présence de voie publique): hours per commune, day and time slot."""

from __future__ import annotations

from etl.sources.base import Field as F
from etl.sources.base import Source

CRENEAUX_PRESENCE = ("jour", "soiree", "nuit")

PRESENCE = Source(
    name="presence",
    table="presence_hours",
    description="Hours of public-road presence per commune, day, time slot and brigade "
    "(jour 7h-19h, soirée 19h-23h, nuit 23h-7h).",
    fields=(
        F("code_commune", "insee", "Commune"),
        F("date", "date", "Day", not_future=True),
        F("creneau", "enum", "Time slot", enum=CRENEAUX_PRESENCE),
        F("brigade_id", "brigade", "Brigade whose gendarmes were present"),
        F("heures", "float", "Gendarme-hours of presence", min=0, max=500),
    ),
    key=("code_commune", "date", "creneau", "brigade_id"),
    example="code_commune;date;creneau;brigade_id;heures\n35001;2025-01-14;soiree;B35051;3,5",
)

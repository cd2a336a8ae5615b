"""Seeded, calibrated synthetic demo data in the real source formats (never real events)."""

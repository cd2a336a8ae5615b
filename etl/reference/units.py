"""The real organisation files: gendarmerie units (data.gouv.fr) and commune → unit competence."""

from __future__ import annotations


class UnitsFileError(ValueError):
    """A units or competence file that cannot be used; the message is in French."""

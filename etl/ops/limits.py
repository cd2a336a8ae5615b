"""Bounds of what a form may send and the operational store keeps, in one SQLAlchemy-free
place: the records door (``records``) and the store's tables (``record_tables``) enforce them,
the dashboard's form views draw them (``maxLength``, « 2 000 caractères au plus »)."""

from __future__ import annotations

#: the longest free text of a field, the most named values of one record, the most items of a
#: list value
MAX_TEXT, MAX_FIELDS, MAX_LIST = 2000, 64, 50
#: the longest value of a ``code`` field (its column's size in the store)
MAX_CODE = 64
#: the longest idempotency key (one per display of a form)
IDEMPOTENCY_KEY_MAX = 64

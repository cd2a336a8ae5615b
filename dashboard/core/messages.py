"""The French messages every page shows when the warehouse cannot answer, and the one way to
turn a read failure into its message (logged once, with its page)."""

from __future__ import annotations

import logging

import duckdb

from dashboard.core.scope import ScopeError
from dashboard.core.warehouse import WarehouseUnavailable

log = logging.getLogger(__name__)

UNAVAILABLE = ("L'entrepôt de données n'est pas encore publié. "
               "Lancez « python -m etl build » puis rechargez la page.")
READ_ERROR = ("Les données n'ont pas pu être lues. Réessayez dans un instant ; si le problème "
              "persiste, reconstruisez l'entrepôt (« python -m etl build »).")
#: what a page's reads may raise and a page shows as a message instead of an error
READ_ERRORS = (WarehouseUnavailable, duckdb.Error, ScopeError)


def failure(exc: Exception, page: str) -> str:
    """The French message for a failed read of ``page`` (an unexpected error is logged)."""
    if isinstance(exc, WarehouseUnavailable):
        return UNAVAILABLE
    if isinstance(exc, ScopeError):
        return str(exc)
    log.exception("%s: reading the warehouse failed", page)
    return READ_ERROR

"""Queries of the audit page (« Journal d'audit »): the operational store's ``audit_log``,
filtered by login, action, département and period, newest first, one page at a time (a count
and a ``LIMIT``/``OFFSET``), or every filtered row for the CSV export (bounded); the actions and
départements the filters offer; the anonymous refusals counted (``refusal_counts``).

The département of a record is its account's (``users.departement``): a record without an
account (an unknown login, an anonymous request) has none and is left out when a département is
asked for. The filters come from the browser: :func:`parse_filters` checks each (a French
:class:`InvalidFilter` for a value no page sends). SQL through SQLAlchemy Core, values bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard.core.scope import CODE_RE
from etl import clock
from etl.ops import audit_trail
from etl.ops.store import AUDIT_FIELD_MAX, audit_log, users

PAGE_SIZE = 50
#: most rows a CSV export holds (the newest)
EXPORT_MAX = 100_000
#: the dates a period may name (a year 0 or 9999 is a forged value)
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2100, 12, 31)
PAGE_MAX = 10_000_000
#: most actions the filter lists (distinct values found in the log, labelled ones first)
ACTIONS_MAX = 300
COLUMNS = ["id", "at", "login", "departement", "action", "detail", "address"]
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
INVALID = "Requête invalide : {} n'a pas la forme attendue."
BAD_ORDER = "La date de début est postérieure à la date de fin : aucune ligne."


class InvalidFilter(ValueError):
    """A filter value no page sends (French message)."""


@dataclass(frozen=True)
class AuditFilters:
    login: str | None = None
    action: str | None = None
    departement: str | None = None
    start: date | None = None  #: first day, France's
    end: date | None = None  #: last day, France's (included)

    @property
    def empty_period(self) -> bool:
        return self.start is not None and self.end is not None and self.start > self.end


def _text(value, what: str, size: int = AUDIT_FIELD_MAX) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > size or "\x00" in value:
        raise InvalidFilter(INVALID.format(what))
    return value.strip() or None


def _date(value, what: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise InvalidFilter(INVALID.format(what))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidFilter(INVALID.format(what)) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise InvalidFilter(f"Requête invalide : {what} hors des années "
                            f"{DATE_MIN.year}-{DATE_MAX.year}.")
    return day


def parse_filters(login=None, action=None, departement=None, start=None,
                  end=None) -> AuditFilters:
    """The filters from what the browser sent: texts of at most 64 characters, a département
    code, ISO dates between 2000 and 2100; anything else raises :class:`InvalidFilter`."""
    dep = _text(departement, "le département")
    if dep is not None and not CODE_RE.match(dep):
        raise InvalidFilter(INVALID.format("le département"))
    return AuditFilters(_text(login, "l'identifiant"), _text(action, "l'action"), dep,
                        _date(start, "la date de début"), _date(end, "la date de fin"))


def parse_page(value) -> int:
    """A page number (1 when absent); a value no page sends raises :class:`InvalidFilter`."""
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= PAGE_MAX:
        raise InvalidFilter(INVALID.format("le numéro de page"))
    return value


def utc_start(day: date) -> datetime:
    """France's midnight of ``day`` in UTC, naive (as the store keeps times)."""
    return datetime.combine(day, time.min, tzinfo=clock.LOCAL_TZ).astimezone(UTC).replace(
        tzinfo=None)


def _selected(filters: AuditFilters, *columns):
    a, u = audit_log, users
    query = select(*columns).select_from(a.outerjoin(u, u.c.login == a.c.login))
    if filters.login:
        query = query.where(func.lower(a.c.login).contains(filters.login.lower(),
                                                           autoescape=True))
    if filters.action:
        query = query.where(a.c.action == filters.action)
    if filters.departement:
        query = query.where(u.c.departement == filters.departement)
    if filters.start:
        query = query.where(a.c.at >= utc_start(filters.start))
    if filters.end:
        query = query.where(a.c.at < utc_start(filters.end + timedelta(days=1)))
    return query


def _rows(filters: AuditFilters):
    a, u = audit_log, users
    return _selected(filters, a.c.id, a.c.at, a.c.login, u.c.departement, a.c.action,
                     a.c.detail, a.c.address).order_by(a.c.at.desc(), a.c.id.desc())


def count(engine: Engine, filters: AuditFilters) -> int:
    """How many records the filters keep."""
    if filters.empty_period:
        return 0
    with engine.connect() as con:
        return int(con.execute(_selected(filters, func.count())).scalar_one())


def _frame(engine: Engine, query) -> pd.DataFrame:
    with engine.connect() as con:
        rows = con.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)


def page_rows(engine: Engine, filters: AuditFilters, page: int,
              size: int = PAGE_SIZE) -> pd.DataFrame:
    """The records of page ``page`` (from 1), newest first."""
    if filters.empty_period:
        return pd.DataFrame(columns=COLUMNS)
    return _frame(engine, _rows(filters).limit(size).offset((page - 1) * size))


def export_rows(engine: Engine, filters: AuditFilters, limit: int = EXPORT_MAX) -> pd.DataFrame:
    """Every record the filters keep (the newest ``limit``), newest first."""
    if filters.empty_period:
        return pd.DataFrame(columns=COLUMNS)
    return _frame(engine, _rows(filters).limit(limit))


def actions(engine: Engine) -> list[str]:
    """The actions the filter offers: the labelled ones, then those found in the log."""
    with engine.connect() as con:
        found = con.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action)
                            .limit(ACTIONS_MAX)).scalars().all()
    return list(dict.fromkeys([*audit_trail.ACTION_LABELS, *found]))


def departements(engine: Engine) -> list[str]:
    """The départements of the accounts (the territory filter's choices)."""
    with engine.connect() as con:
        return [d for d in con.execute(select(users.c.departement).distinct()
                                       .where(users.c.departement.is_not(None))
                                       .order_by(users.c.departement)).scalars()]


def anonymous_refusals(engine: Engine, now: datetime) -> tuple[int, int]:
    """Refusals of requests without a session counted in the last hour and the last 24 hours
    before ``now`` (UTC, naive)."""
    return (audit_trail.counted(engine, since=now - timedelta(hours=1)),
            audit_trail.counted(engine, since=now - timedelta(hours=24)))

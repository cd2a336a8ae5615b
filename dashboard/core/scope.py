"""Territory (scope) and period of a view: parsed from the URL, checked against the user's rights,
and turned into parameterised SQL filters. Pure functions, shared by every page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

#: scope level -> column of the ``communes`` table that holds its code
LEVEL_COLUMNS: dict[str, str | None] = {
    "france": None,
    "region": "region",
    "departement": "departement",
    "compagnie": "compagnie_id",
    "brigade": "brigade_id",
    "commune": "code",
}
LEVEL_LABELS = {"france": "France entière", "region": "Région", "departement": "Département",
                "compagnie": "Compagnie", "brigade": "Brigade", "commune": "Commune"}
CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,20}$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
#: years a period may name (anything else is refused in French, never a date overflow)
FIRST_YEAR, LAST_YEAR = 1900, 2100


class ScopeError(ValueError):
    """A scope or period the address cannot mean; the message is in French."""


@dataclass(frozen=True)
class Scope:
    level: str = "france"
    code: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> Scope:
        """``None``/'france', or 'departement:35', 'brigade:B35047', 'commune:35238', …"""
        if text is None or text in ("", "france"):
            return cls()
        if not isinstance(text, str):  # a forged list, dict or number
            raise ScopeError("Territoire invalide.")
        level, _, code = text.partition(":")
        if level not in LEVEL_COLUMNS or level == "france" or not CODE_RE.match(code or ""):
            raise ScopeError(f"Territoire inconnu : « {text[:40]} ».")
        return cls(level, code)

    def to_param(self) -> str:
        return "france" if self.level == "france" else f"{self.level}:{self.code}"

    def commune_filter(self, alias: str = "c") -> tuple[str, dict]:
        """SQL predicate over the ``communes`` table (alias ``alias``) and its named parameter
        ``$scope_code`` (the column comes from LEVEL_COLUMNS, never from the input)."""
        column = LEVEL_COLUMNS[self.level]
        if column is None:
            return "TRUE", {}
        return f'{alias}."{column}" = $scope_code', {"scope_code": self.code}


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year = d.year + y
    if not 1 <= year <= 9999:  # beyond Python's dates
        raise ScopeError("Mois hors des dates possibles.")
    return date(year, m + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months, ``start`` and ``end`` inclusive (first days of months)."""

    start: date
    end: date

    @classmethod
    def parse(cls, debut: str | None, fin: str | None, last_month: date,
              default_months: int = 12) -> Period:
        """From ``?debut=2025-01&fin=2025-12``; by default the last ``default_months`` months
        up to ``last_month`` (the last month with data)."""
        end = _month(fin, "fin") if _given(fin) else month_start(last_month)
        start = _month(debut, "debut") if _given(debut) else \
            add_months(end, -(default_months - 1))
        if start > end:
            raise ScopeError("La période commence après sa fin.")
        if (end.year - start.year) * 12 + end.month - start.month >= 120:
            raise ScopeError("Période trop longue (dix ans au plus).")
        return cls(start, end)

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def end_exclusive(self) -> date:
        return add_months(self.end, 1)

    def until(self, last: date | None) -> Period | None:
        """The months of the period up to the month ``last`` (None: no limit); None when the
        period starts after it (e.g. the months with recorded facts, which stop at the last
        complete month, of a period that reaches today)."""
        if last is None or last >= self.end:
            return self
        if last < self.start:
            return None
        return Period(self.start, month_start(last))

    def previous(self) -> Period:
        """The period of the same length just before."""
        return Period(add_months(self.start, -self.months), add_months(self.start, -1))

    def year_before(self) -> Period:
        return Period(add_months(self.start, -12), add_months(self.end, -12))

    def label(self) -> str:
        if self.months == 1:
            return _month_label(self.start)
        return f"{_month_label(self.start)} – {_month_label(self.end)}"

    def params(self) -> dict[str, str]:
        return {"debut": self.start.strftime("%Y-%m"), "fin": self.end.strftime("%Y-%m")}


MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


def _month_label(d: date) -> str:
    return f"{MONTHS_FR[d.month - 1]} {d.year}"


def _given(value) -> bool:
    """Whether a month was given (None and "" mean the default; anything else is parsed)."""
    return value is not None and value != ""


def _month(text: str, name: str) -> date:
    if not isinstance(text, str):  # a forged list, dict or number
        raise ScopeError(f"Mois invalide pour « {name} » (AAAA-MM attendu).")
    m = MONTH_RE.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ScopeError(f"Mois invalide pour « {name} » : {text[:10]} (AAAA-MM attendu).")
    year = int(m.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ScopeError(f"Année hors limites pour « {name} » : {year} "
                         f"(de {FIRST_YEAR} à {LAST_YEAR}).")
    return date(year, int(m.group(2)), 1)

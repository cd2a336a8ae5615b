"""The territory and period an analysis page shows, read from its address for the signed-in user.

The layout uses :func:`resolve` to draw the filter bar: a territory the user may not see is
replaced by their own, with a French message, instead of a 403 (the address may be an old
shared link). Callbacks still check what the browser sends with ``access.check_scope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dash import dcc, html

from dashboard.core import filters, reference
from dashboard.core.access import allowed, default_scope, departement_of
from dashboard.core.reference import data_months
from dashboard.core.scope import LEVEL_LABELS, Period, Scope, ScopeError

NOT_YOURS = "Ce territoire n'est pas dans votre périmètre : voici le vôtre."
NO_FACTS = ("Aucun fait enregistré n'est chargé dans l'entrepôt : la période proposée se termine "
            "au mois dernier. Chargez les faits (« python -m etl load facts »).")


def first(value: str | list | None) -> str | None:
    """One query value (``?a=1&a=2`` gives a list: keep the first)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def check(user, warehouse, scope_text: str | None) -> Scope:
    """The scope the address asks for, if the user may see it; ScopeError otherwise (like
    ``access.check_scope``, without the 403 and the audit entry)."""
    scope = Scope.parse(scope_text)
    if scope.level != "france" and not warehouse.unit_exists(scope.level, scope.code):
        raise ScopeError(f"Territoire inconnu : {scope.code}.")
    dep = departement_of(scope, warehouse.unit_departement)
    if not allowed(user, scope, dep, warehouse.brigade_of_commune):
        raise PermissionError(NOT_YOURS)
    return scope


def resolve_scope(user, warehouse, scope_text: str | None) -> tuple[Scope, str | None]:
    """The territory to show and, when the address asked for another one, why."""
    if not scope_text:
        return default_scope(user), None
    try:
        return check(user, warehouse, scope_text), None
    except PermissionError as exc:
        return default_scope(user), str(exc)
    except ScopeError as exc:
        return default_scope(user), f"{exc} Le territoire par défaut est affiché."


def resolve_period(debut: str | None, fin: str | None, last_month: date,
                   default_months: int) -> tuple[Period, str | None]:
    try:
        return Period.parse(debut, fin, last_month, default_months), None
    except ScopeError as exc:
        return (Period.parse(None, None, last_month, default_months),
                f"{exc} La période par défaut est affichée.")


def options(user, warehouse, *scopes: Scope) -> list[dict[str, str]]:
    """The territories offered to the user (see :func:`filters.scope_options`): national roles
    get the compagnies and brigades of the départements of ``scopes`` only, to keep the list
    short; each of ``scopes`` is in the list."""
    departements = warehouse.departements()
    if user.national:
        deps = []
        for scope in scopes:
            try:
                deps.append(departement_of(scope, warehouse.unit_departement))
            except ScopeError:
                continue
    else:
        deps = [user.departement]
    compagnies, brigades = reference.units(warehouse, [d for d in deps if d])
    opts = filters.scope_options(user, departements, compagnies, brigades)
    values = {o["value"] for o in opts}
    for scope in scopes:
        if scope.to_param() not in values:  # e.g. a commune, reached from a link
            name = (reference.commune_name(warehouse, scope.code) if scope.level == "commune"
                    else None)
            opts.append({"label": f"{LEVEL_LABELS[scope.level]} — {name or scope.code}",
                         "value": scope.to_param()})
            values.add(scope.to_param())
    return opts


@dataclass(frozen=True)
class PageState:
    """What a page shows: territory, period, data months, choices and messages."""

    scope: Scope
    period: Period
    first_month: date
    last_month: date
    has_facts: bool
    messages: tuple[str, ...] = ()
    #: the address asked for a territory the user may not see (its own is shown instead)
    refused: bool = False


def resolve(user, warehouse, perimetre: str | None, debut: str | None, fin: str | None,
            default_months: int = 12) -> PageState:
    first_month, last_month, has_facts = data_months(warehouse)
    scope, scope_message = resolve_scope(user, warehouse, perimetre)
    refused = scope_message == NOT_YOURS
    period, period_message = resolve_period(debut, fin, last_month, default_months)
    messages = tuple(m for m in (None if refused else scope_message, period_message,
                                 None if has_facts else NO_FACTS) if m)
    return PageState(scope, period, first_month, last_month, has_facts, messages, refused)


def hidden_filter_bar(ids: filters.FilterIds, *extra: str) -> html.Div:
    """The filter bar's ids without choices: for Dash's start-up check (no user) and when the
    warehouse cannot be read, so that the page's callbacks still find their components."""
    return html.Div([dcc.Dropdown(id=i) for i in (ids.scope, ids.start, ids.end, *extra)]
                    + [dcc.Location(id=ids.address, refresh="callback-nav")], hidden=True)

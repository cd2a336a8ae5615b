"""The communes a form offers, on demand: a user whose list would be every commune of France (a
national reach) types a few letters of a name or digits of a code, and the dropdown's options
come from the server, searched among the user's communes (case, accents and punctuation
ignored), bounded; a brigade's or a commandant's list is sent whole with the form
(``_formulaire``). Everything is decided from the session: a value or a text the browser sends
is only looked up among the user's communes, and a text no dropdown sends is a French 400,
audited as ``requete_invalide``.
"""

from __future__ import annotations

import re

import pandas as pd
from dash import Input, Output, State, callback
from dash.exceptions import PreventUpdate

from dashboard.core import access
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.pages import _saisie as saisie
from dashboard.views import saisie as view
from etl.sources.validate import INSEE_RE

#: typed characters searched for, at least and at most (more: not a form's, a French 400)
SEARCH_MIN, SEARCH_MAX = 2, 64
#: communes offered for one search, at most
SEARCH_LIMIT = 30
SEARCH_TOO_LONG = (f"Requête invalide : recherche de commune trop longue ({SEARCH_MAX} "
                   "caractères au plus).")
#: a name or a typed text as compared: no case, no accent, œ/æ spelt out, words only
_FOLDED = ("regexp_replace(replace(replace(strip_accents(lower({})), 'œ', 'oe'), 'æ', 'ae'), "
           "'[^a-z0-9]+', ' ', 'g')")


def on_demand(user: access.User) -> bool:
    """Whether the forms offer the user's communes as they are typed (searched here) rather
    than as one list: a national reach, whose list would be every commune of France."""
    return user.works_nationally


def check_text(user: access.User, text) -> None:
    """A French 400, audited as ``requete_invalide``, unless ``text`` is what a dropdown's
    search box sends (None or at most :data:`SEARCH_MAX` characters)."""
    if text is not None and (not isinstance(text, str) or len(text) > SEARCH_MAX):
        saisie.invalid(user, f"recherche de commune : {access.shown(text)}", SEARCH_TOO_LONG)


def search(user: access.User, warehouse: data.Warehouse, text,
                    served_only: bool = False, limit: int = SEARCH_LIMIT) -> pd.DataFrame:
    """The user's communes [code, nom, brigade_id] whose name contains ``text`` (case, accents
    and punctuation ignored) or whose code starts with it, names starting with it first; at
    most ``limit``; none under :data:`SEARCH_MIN` characters. ``served_only``: those a brigade
    serves. ``text`` longer than :data:`SEARCH_MAX`, or not a text: a French 400, audited."""
    check_text(user, text)
    params = saisie.commune_scope(user)
    text = (text or "").strip()
    if params is None or len(text) < SEARCH_MIN:
        return pd.DataFrame(columns=saisie.COMMUNE_COLUMNS)
    name, typed = _FOLDED.format("nom"), _FOLDED.format("$text")
    return warehouse.query(
        f"""
        SELECT code, nom, brigade_id
        FROM communes
        WHERE ($brigade IS NULL OR brigade_id = $brigade)
          AND ($departement IS NULL OR departement = $departement)
          AND (NOT $served OR brigade_id IS NOT NULL)
          AND (contains({name}, trim({typed})) OR starts_with(code, $text))
        ORDER BY starts_with({name}, trim({typed})) DESC, nom, code
        LIMIT $limit
        """,  # noqa: S608 - fixed expressions; the typed text is a parameter
        params | {"text": text, "served": served_only, "limit": int(limit)})


def named(user: access.User, warehouse: data.Warehouse, codes) -> pd.DataFrame:
    """Those of ``codes`` that are the user's communes [code, nom, brigade_id] (what a form
    on demand shows of the values already chosen)."""
    codes = sorted({c for c in codes if isinstance(c, str) and re.fullmatch(INSEE_RE, c)})
    params = saisie.commune_scope(user)
    if params is None or not codes:
        return pd.DataFrame(columns=saisie.COMMUNE_COLUMNS)
    return warehouse.query(
        """
        SELECT code, nom, brigade_id
        FROM communes
        WHERE ($brigade IS NULL OR brigade_id = $brigade)
          AND ($departement IS NULL OR departement = $departement)
          AND code IN (SELECT unnest($codes))
        ORDER BY nom, code
        """, params | {"codes": codes})


def register(component, served_only: bool = False) -> None:
    """The options of the commune dropdown ``component`` (an id, pattern-matching or not) as
    the user types, for a user offered communes on demand (:func:`on_demand`):
    searched on the server among the user's communes (those a brigade serves, with
    ``served_only``), bounded, the chosen one kept. Other users have their list already."""

    @callback(Output(component, "options"), Input(component, "search_value"),
              State(component, "value"), prevent_initial_call=True)
    def _search_communes(text, value):
        user = saisie.require_writer()
        check_text(user, text)  # a forged text: a French 400, audited
        if not on_demand(user):
            raise PreventUpdate
        try:
            warehouse = data.get_warehouse()
            found = search(user, warehouse, text, served_only)
            chosen = named(user, warehouse, [value])
        except READ_ERRORS as exc:
            failure(exc, "saisie")
            raise PreventUpdate from exc
        if served_only:
            chosen = chosen[chosen["brigade_id"].notna()]
        return view.commune_options(view.commune_choices(chosen) + view.commune_choices(found),
                                    text)

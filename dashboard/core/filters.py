"""The filter bar shared by the analysis pages: territory and period, carried in the address.

A page calls :func:`filter_bar` in its layout with the values read from the address, and
:func:`register_address_sync` once at import: a change of a filter rewrites the address, and
Dash's page router renders the page again for it, so a view can always be shared as a link.
Callbacks must still check the territory on the server (``access.check_scope``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
from dash import Input, Output, clientside_callback, dcc, html

from dashboard.core import components
from dashboard.core.scope import LEVEL_LABELS, Period, Scope, add_months
from etl.reference.names import unit_name
from etl.roles import Reach


@dataclass(frozen=True)
class FilterIds:
    """Component ids of one page's filter bar."""

    prefix: str

    @property
    def scope(self) -> str:
        return f"{self.prefix}-perimetre"

    @property
    def start(self) -> str:
        return f"{self.prefix}-debut"

    @property
    def end(self) -> str:
        return f"{self.prefix}-fin"

    @property
    def address(self) -> str:
        return f"{self.prefix}-adresse"


def scope_options(user, departements: pd.DataFrame, compagnies: pd.DataFrame,
                  brigades: pd.DataFrame) -> list[dict[str, str]]:
    """The territories a user may choose: national roles get France, the régions and the
    départements (and, once a département is chosen, its compagnies and brigades are offered by
    the caller); département roles their département, compagnies and brigades; the brigade
    role its brigade."""
    opts: list[dict[str, str]] = []
    if user.national:
        opts.append({"label": LEVEL_LABELS["france"], "value": "france"})
        regions = departements.drop_duplicates("region").sort_values("region_nom")
        opts += [{"label": f"Région — {nom}", "value": f"region:{code}"}
                 for code, nom in zip(regions["region"], regions["region_nom"], strict=True)]
        opts += [{"label": f"{code} — {nom}", "value": f"departement:{code}"}
                 for code, nom in zip(departements["code"], departements["nom"], strict=True)]
    elif user.reach is Reach.DEPARTEMENT:
        mine = departements[departements["code"] == user.departement]
        opts += [{"label": f"{code} — {nom}", "value": f"departement:{code}"}
                 for code, nom in zip(mine["code"], mine["nom"], strict=True)]
    if user.reach is Reach.DEPARTEMENT:
        comp = compagnies[compagnies["departement"] == user.departement]
        brig = brigades[brigades["departement"] == user.departement]
    elif user.national:
        comp, brig = compagnies, brigades
    else:
        comp, brig = compagnies.iloc[0:0], brigades[brigades["brigade_id"] == user.brigade_id]
    opts += [{"label": f"{unit_name('Compagnie', nom)} ({dep})", "value": f"compagnie:{code}"}
             for code, nom, dep in zip(comp["compagnie_id"], comp["nom"], comp["departement"],
                                       strict=True)]
    opts += [{"label": f"{unit_name('Brigade', nom)} ({dep})", "value": f"brigade:{code}"}
             for code, nom, dep in zip(brig["brigade_id"], brig["nom"], brig["departement"],
                                       strict=True)]
    return opts


def month_options(first: date, last: date) -> list[dict[str, str]]:
    """Every month from ``first`` to ``last``, newest first."""
    out, m = [], last
    while m >= first:
        out.append({"label": Period(m, m).label(), "value": m.strftime("%Y-%m")})
        m = add_months(m, -1)
    return out


def filter_bar(ids: FilterIds, options: list[dict[str, str]], scope: Scope, period: Period,
               first_month: date, last_month: date, *, show_scope: bool = True) -> html.Div:
    """``show_scope=False``: the period only (a unit's profile page, whose unit is its address's
    own parameter)."""
    months = month_options(first_month, last_month)
    return html.Div(
        [
            None if not show_scope else html.Div(
                [
                    html.Label("Territoire", htmlFor=ids.scope,
                               className="form-label fw-semibold"),
                    components.dropdown(id=ids.scope, options=options, value=scope.to_param(),
                                        clearable=False, maxHeight=360,
                                        placeholder="Choisir un territoire"),
                ],
                className="col-md-6",
            ),
            html.Div(
                [
                    html.Label("Du mois", htmlFor=ids.start, className="form-label fw-semibold"),
                    components.dropdown(id=ids.start, options=months,
                                        value=period.start.strftime("%Y-%m"), clearable=False),
                ],
                className="col-md-3",
            ),
            html.Div(
                [
                    html.Label("au mois", htmlFor=ids.end, className="form-label fw-semibold"),
                    components.dropdown(id=ids.end, options=months,
                                        value=period.end.strftime("%Y-%m"), clearable=False),
                ],
                className="col-md-3",
            ),
            # "callback-nav": a new address re-renders the page through Dash's page router
            dcc.Location(id=ids.address, refresh="callback-nav"),
        ],
        className="row g-3 mb-3 filters",
        role="search",
        **{"aria-label": "Filtres : territoire et période"},
    )


def register_address_sync(ids: FilterIds, extra: tuple[tuple[str, str, str], ...] = (),
                          *, scope: bool = True) -> None:
    """A change of territory or period (or of ``extra`` inputs: (component id, property, query
    parameter)) rewrites the address; other query parameters are kept. ``scope=False`` for a
    bar drawn without its territory."""
    names = (["perimetre"] if scope else []) + ["debut", "fin"] + [q for _, _, q in extra]
    clientside_callback(
        """
        function (...values) {
            const names = NAMES;
            const params = new URLSearchParams(window.location.search);
            names.forEach((name, i) => {
                const v = values[i];
                if (v === null || v === undefined || v === "") { params.delete(name); }
                else { params.set(name, v); }
            });
            const search = "?" + params.toString();
            if (search === window.location.search) {
                return window.dash_clientside.no_update;
            }
            return search;
        }
        """.replace("NAMES", json.dumps(names)),
        Output(ids.address, "search"),
        *([Input(ids.scope, "value")] if scope else []),
        Input(ids.start, "value"),
        Input(ids.end, "value"),
        *[Input(i, p) for i, p, _ in extra],
        prevent_initial_call=True,
    )

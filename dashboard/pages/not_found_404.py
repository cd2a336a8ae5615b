"""The page shown for an address that is no page of the dashboard (Dash's own says « 404 - Page
not found », in English)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.core import access, scaffold

dash.register_page(
    __name__,
    path="/404",
    name="Page introuvable",
    title="Page introuvable — Présents pour les élus",
    nav=False,
)


def layout(**_query) -> html.Div:
    pages = scaffold.menu(access.current_user())  # those of the user's menu
    return html.Div(
        [
            html.H1("Page introuvable", className="h3 mb-2"),
            html.P("Cette adresse ne correspond à aucune page du tableau de bord : elle a pu "
                   "être mal recopiée. Voici les pages disponibles :"),
            html.Ul([html.Li(dcc.Link(page["name"], href=page["relative_path"]))
                     for page in pages]),
        ]
    )

"""Page « Fiche brigade » (``/brigade?id=B35047``): everything known about one brigade — its
directory data, its communes, and for them facts and trends, SSMSI figures, complaints from
élus, alerts and their delivery, DCAS expectations and follow-up, trainings, immersions, cyber
diagnostics, presence hours and alert contacts."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.core.formatting import format_number
from dashboard.core.page_state import first
from dashboard.core.scope import Period, Scope
from dashboard.pages import _profil as profile
from dashboard.queries import profils as queries
from etl.reference.names import unit_name

TITLE = "Fiche brigade"
IDS = profile.register_page(__name__, "brigade", "/brigade", TITLE,
                            "Tout ce qui est connu d'une brigade et de ses communes sur une page.",
                            order=5)
CARD = "fiche-brigade-identite"


def _header(warehouse, brigade_id: str, period: Period) -> html.Div:
    card = queries.brigade_card(warehouse, brigade_id)
    row = {k: card[k].iloc[0] for k in card.columns}
    dates = "&".join(f"{k}={v}" for k, v in period.params().items())
    kind = ("brigade territoriale autonome" if row["type"] == "BTA"
            else "membre d'une communauté de brigades")
    modelled = row["source"] == "modele"
    facts = [f"{row['departement_nom']} ({row['departement']})", kind,
             unit_name("compagnie", row["compagnie_nom"]),
             f"effectif {format_number(row['effectif'])}" + (" (modélisé)" if modelled else ""),
             f"{format_number(row['population'])} habitants",
             f"{format_number(row['nb_communes'])} communes"]
    cob = None
    if row["type"] == "COB" and row["cob_id"] and row["cob_id"] != row["brigade_id"]:
        cob = dcc.Link(unit_name("communauté", row["cob_nom"]),
                       href=dash.get_relative_path(f"/brigade?id={row['cob_id']}&{dates}"))
    directory = [("Téléphone", row["telephone"]), ("Adresse", row["adresse"]),
                 ("Accueil", row["horaires_accueil"])]
    seat = dcc.Link(row["siege_nom"] or row["commune_siege"], href=dash.get_relative_path(
        f"/commune?code={row['commune_siege']}&{dates}"))
    return html.Div([
        html.H1(unit_name("Brigade", row["nom"]), className="h3 mb-1", id=CARD),
        html.P([" · ".join(facts), *([" · ", cob] if cob else []), " · ",
                dcc.Link("voir ses communes sur la carte",
                         href=profile.map_link(Scope("brigade", brigade_id), "commune", period))],
               className="text-body-secondary"),
        html.Section([
            html.H2("Coordonnées", className="h6"),
            profile.contact_list([*directory, ("Commune siège", seat)]),
            None if any(v for _, v in directory) else html.P(
                "Téléphone, adresse et horaires non renseignés : l'organisation est modélisée "
                "(le fichier des unités de la gendarmerie les apporte).", className="small mb-0"),
        ], className="contact-card mb-3"),
    ])


def layout(id=None, debut=None, fin=None, **_query) -> html.Div:
    return profile.page(IDS, "brigade", TITLE, first(id), first(debut), first(fin),
                             _header)


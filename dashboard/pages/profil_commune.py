"""Page « Fiche commune » (``/commune?code=35047``): everything known about one commune — its
mairie and brigade contacts, facts and their monthly trend, SSMSI figures, complaints from élus,
alerts and their delivery, DCAS expectations and follow-up, trainings, immersions, cyber
diagnostics, presence hours and alert contacts."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.core.formatting import format_horaires, format_number
from dashboard.core.page_state import first
from dashboard.core.scope import Period, Scope
from dashboard.pages import _profil as profile
from dashboard.queries import profils as queries
from etl.reference.names import unit_name

TITLE = "Fiche commune"
IDS = profile.register_page(__name__, "commune", "/commune", TITLE,
                            "Tout ce qui est connu d'une commune sur une page.", order=4)
CARD = "fiche-commune-identite"


def _header(warehouse, code: str, period: Period) -> html.Div:
    card = queries.commune_card(warehouse, code)
    row = {k: card[k].iloc[0] for k in card.columns}
    zone = "zone gendarmerie" if row["zone"] == "ZGN" else "zone police nationale"
    facts = [f"{row['departement_nom']} ({row['departement']})", zone,
             f"{format_number(row['population'])} habitants"]
    brigade = None
    if row["brigade_id"]:
        dates = "&".join(f"{k}={v}" for k, v in period.params().items())
        brigade = dcc.Link(unit_name("Brigade", row["brigade_nom"]),
                           href=dash.get_relative_path(f"/brigade?id={row['brigade_id']}&{dates}"))
    directory = [
        ("Téléphone", row["brigade_telephone"]),
        ("Adresse", row["brigade_adresse"]),
        ("Accueil", row["brigade_horaires"]),
    ]
    has_directory = any(v for _, v in directory)
    mairie = [
        ("Adresse", html.Span(str(row["mairie_adresse"]), style={"whiteSpace": "pre-line"})
         if row["mairie_adresse"] else None),
        ("Téléphone", row["mairie_telephone"]),
        ("Courriel", row["mairie_email"]),
        ("Site", row["mairie_site"]),
        ("Horaires", format_horaires(row["mairie_horaires"])),
    ]
    return html.Div([
        html.H1(f"{row['nom']} ({row['code']})", className="h3 mb-1", id=CARD),
        html.P([" · ".join(facts), *([" · ", brigade] if brigade else []),
                *([" · " + unit_name("compagnie", row["compagnie_nom"])] if row["compagnie_nom"]
                  else []),
                " · ", dcc.Link("voir sur la carte", href=profile.map_link(
                    Scope("brigade", row["brigade_id"]) if row["brigade_id"]
                    else Scope("departement", row["departement"]), "commune", period))],
               className="text-body-secondary"),
        html.Div([
            html.Section([
                html.H2("Mairie", className="h6"),
                profile.contact_list(mairie) if any(v for _, v in mairie) else html.P(
                    "Coordonnées de la mairie non renseignées dans l'annuaire.",
                    className="small mb-0"),
            ], className="col-md-6 contact-card"),
            html.Section([
                html.H2(unit_name("Brigade", row["brigade_nom"]) if row["brigade_id"]
                        else "Gendarmerie", className="h6"),
                profile.contact_list(directory) if has_directory else html.P(
                    "Commune en zone police nationale : pas de brigade de gendarmerie."
                    if not row["brigade_id"] else
                    "Coordonnées non renseignées : l'organisation est modélisée (le fichier "
                    "des unités de la gendarmerie les apporte).", className="small mb-0"),
            ], className="col-md-6 contact-card"),
        ], className="row g-3 mb-3"),
    ])


def layout(code=None, debut=None, fin=None, **_query) -> html.Div:
    return profile.page(IDS, "commune", TITLE, first(code), first(debut),
                             first(fin), _header)


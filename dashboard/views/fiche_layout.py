"""The préfet's brief as a page (pure: a :class:`Brief` and its pictures in, Dash components out).

It reads and prints as the PDF does: the same sections in the same order, the same two pictures
(PNG images: a printer gets them as drawn, and each has its table as text alternative), every
section kept whole on a printed page and the communes' table on landscape pages
(``assets/print.css``)."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pandas as pd
from dash import html

from dashboard.core import components, report
from dashboard.views.fiche import COMMUNE_COLUMNS, Brief

DCAS_COLUMNS = {"commune": "Commune", "date": "Consultation", "age": "Âge (jours)",
                "priorite": "Priorité", "themes": "Attentes"}
ALERT_COLUMNS = {"date": "Date", "categorie": "Catégorie", "communes": "Communes ciblées",
                 "sms": "SMS remis"}
TREND_COLUMNS = {"mois": "Mois", "courante": "Faits enregistrés",
                 "annee_precedente": "Un an plus tôt", "evolution": "Évolution"}
KEY_COLUMNS = {"indicateur": "Indicateur", "courante": "Période",
               "annee_precedente": "Un an plus tôt", "evolution_annee": "Évolution"}


def _image(png: bytes | None, alt: str, class_name: str) -> html.Img | None:
    if png is None:
        return None
    return html.Img(src="data:image/png;base64," + base64.b64encode(png).decode(), alt=alt,
                    className=f"img-fluid {class_name}")


def _lines(lines: list[tuple[str, str]], class_name: str = "") -> html.Dl:
    items: list = []
    for name, value in lines:
        items += [html.Dt(name, className="col-sm-4"), html.Dd(value, className="col-sm-8")]
    return html.Dl(items, className=f"row mb-2 small fiche-lignes {class_name}".strip())


def _section(key: str, title: str, *body) -> html.Section:
    heading = f"fiche-{key}-titre"
    return html.Section([html.H2(title, id=heading, className="h5 mt-3"), *body],
                        id=f"fiche-{key}", className="fiche-section",
                        **{"aria-labelledby": heading})


def commune_links(brief: Brief, prefix: str) -> pd.DataFrame:
    """The communes' table with the address of each commune's profile."""
    frame = brief.communes.copy()
    frame["lien"] = [f"{prefix}/commune?{urlencode({'code': c})}"
                     for c in brief.communes_csv["code"]]
    return frame


def body(brief: Brief, trend_png: bytes | None, map_png: bytes | None, prefix: str) -> list:
    """The brief's sections; ``prefix``: the app's path prefix (links to the communes'
    profiles). The synthetic-data notice is the shell's, above every page (and printed)."""
    header = html.Div([
        html.P(brief.label, className="h4 mb-1 fiche-territoire"),
        html.P([brief.period_text, " ", brief.generated, "."],
               className="small text-body-secondary mb-2"),
    ], className="fiche-entete")
    key_figures = [html.Div(components.data_table(
        part, KEY_COLUMNS, f"{section} : la période et un an plus tôt",
        table_id=f"fiche-chiffres-{i}"), className="table-responsive")
        for i, (section, part) in enumerate(brief.key_figures.groupby("section", sort=False))]
    return [
        header,
        _section("territoire", "Le territoire", _lines(brief.territory)),
        _section("chiffres", "Chiffres clés : la période et un an plus tôt", *key_figures),
        _section("tendance", "Tendance : faits enregistrés chaque mois",
                 _image(trend_png, "Faits enregistrés par mois de la période, et un an plus "
                                   "tôt : le tableau suivant donne les valeurs.", "fiche-graphe"),
                 html.Details([html.Summary("Les valeurs du graphique", className="small"),
                               components.data_table(
                                   brief.trend, TREND_COLUMNS,
                                   "Faits enregistrés par mois, et un an plus tôt",
                                   table_id="fiche-tendance-donnees")],
                              className="no-print")),
        _section("carte", "Carte des communes",
                 _image(map_png, brief.map_title + " : chaque valeur est dans le tableau des "
                                 "communes.", "fiche-carte")) if map_png is not None else None,
        _section("dcas", "Suivi des attentes DCAS des élus", _lines(brief.dcas),
                 report.linked_table(brief.dcas_overdue, DCAS_COLUMNS,
                                     "Attentes en retard, les plus anciennes d'abord",
                                     table_id="fiche-dcas-retard")
                 if len(brief.dcas_overdue) else
                 components.empty_state("Aucune attente en retard.")),
        _section("alertes", "Alertes SMS envoyées aux élus", _lines(brief.alerts),
                 report.linked_table(brief.alerts_list, ALERT_COLUMNS,
                                     "Dernières alertes envoyées", table_id="fiche-alertes-liste")
                 if len(brief.alerts_list) else
                 components.empty_state("Aucune alerte envoyée sur la période.")),
        _section("engagement", "Formations et immersions", _lines(brief.engagement)),
        _section("communes", f"Toutes les communes : chaque indicateur "
                             f"({len(brief.communes)} communes)",
                 html.P([brief.period_text, " « — » : sans valeur (zone police pour les "
                         "indicateurs de l'opération, trop peu de faits pour une évolution, "
                         "aucune note…)."], className="small text-body-secondary"),
                 report.linked_table(commune_links(brief, prefix), COMMUNE_COLUMNS,
                                     f"Chaque indicateur par commune — {brief.label}",
                                     links={"nom": "lien"}, table_id="fiche-communes-tableau",
                                     max_rows=100_000)),
        _section("sources", "Sources et méthode",
                 *[html.P(line, className="small text-body-secondary mb-1")
                   for line in brief.sources]),
    ]

"""The préfet's brief as a page (pure: a :class:`Brief` and its pictures in, Dash components out).

It reads and prints as the PDF does: the same sections in the same order, the same two pictures
(PNG images: a printer gets them as drawn, and each has its table as text alternative), every
section kept whole on a printed page and the communes' table on landscape pages
(``assets/print.css``)."""

from __future__ import annotations

import base64
from html import escape
from urllib.parse import urlencode

import pandas as pd
from dash import dcc, html

from dashboard.core import components, report
from dashboard.core.formatting import format_number
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
    # the app's prefix without its last « / »: « //commune » would be another host's address
    frame["lien"] = [f"{prefix.rstrip('/')}/commune?{urlencode({'code': c})}"
                     for c in brief.communes_csv["code"]]
    return frame


def static_table(frame: pd.DataFrame, columns: dict[str, str], caption: str, *, link: str,
                 href: str, table_id: str) -> dcc.Markdown:
    """A long table as one component: the markup of :func:`report.linked_table` (caption,
    header cells with scope, figures to the right, the first column's links) written as HTML
    and drawn by one ``dcc.Markdown``. Dash's renderer subscribes every component to its store,
    so that drawing N components costs about N²: the 332 communes of dép. 35 as 5,900 cells
    took Chromium 200-240 s to draw on this 2-core machine, as one component well under a
    second. Every text is escaped; the links are plain ones (they load the profile's page)."""
    numeric = {c for c in columns if c in frame and pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    right = ' class="text-end"'
    head = "".join(f'<th scope="col"{right if c in numeric else ""}>{escape(label)}</th>'
                   for c, label in columns.items())
    rows = []
    for record, address in zip(frame[list(columns)].itertuples(index=False, name=None),
                               frame[href], strict=True):
        cells = []
        for position, (column, value) in enumerate(zip(columns, record, strict=True)):
            if column in numeric:
                cells.append(f'<td class="text-end">{escape(format_number(value))}</td>')
                continue
            text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
                else escape(str(value))
            if column == link and text:
                text = f'<a href="{escape(str(address))}">{text}</a>'
            cells.append(f'<th scope="row">{text}</th>' if position == 0 else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    markup = ('<table class="table table-sm table-striped table-hover align-middle data-table">'
              f"<caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
              f"<tbody>{''.join(rows)}</tbody></table>")
    return dcc.Markdown(markup, dangerously_allow_html=True, id=table_id,
                        className="table-responsive")


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
                 static_table(commune_links(brief, prefix), COMMUNE_COLUMNS,
                              f"Chaque indicateur par commune — {brief.label}", link="nom",
                              href="lien", table_id="fiche-communes-tableau")),
        _section("sources", "Sources et méthode",
                 *[html.P(line, className="small text-body-secondary mb-1")
                   for line in brief.sources]),
    ]

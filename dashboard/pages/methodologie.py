"""Page « Méthodologie »: sources and loads, organisation model, synthetic data, SSMSI caveats,
data dictionary. Everything is read from the published warehouse and the declared schemas, said
in French by :mod:`dashboard.views.methodologie`."""

from __future__ import annotations

import dash
import pandas as pd
from dash import html

from dashboard.core import access, components, reference
from dashboard.core import warehouse as data
from dashboard.core.messages import READ_ERRORS, failure
from dashboard.queries import methodologie as queries
from dashboard.views import methodologie as view
from etl.alerts.labels import DLR_LABELS
from etl.warehouse import schema

dash.register_page(
    __name__,
    path="/methodologie",
    name="Méthodologie",
    title="Méthodologie — Présents pour les élus",
    description="Sources, chargements, modèle d'organisation, avertissements et dictionnaire.",
    order=90,
)

SSMSI_CAVEATS = [
    "Les faits sont des faits enregistrés par la police et la gendarmerie : la délinquance "
    "enregistrée n'est pas toute la délinquance (une partie des victimes ne porte pas plainte ; "
    "d'après les enquêtes de victimation, environ 69 % des cambriolages mais 33 % des tentatives "
    "sont signalés). Une hausse peut traduire une meilleure prise de plainte.",
    "Les faits sont comptés au lieu de commission, selon l'unité de compte de chaque indicateur "
    "(victime, infraction, véhicule, mis en cause).",
    "« Non diffusé » (ndiff) : le SSMSI ne publie pas une commune qui a enregistré 5 faits ou "
    "moins dans chacune de trois années consécutives. La valeur alors publiée est une moyenne "
    "départementale : elle n'est jamais montrée comme la valeur de la commune.",
    "Les taux sont pour 1 000 habitants, sauf les cambriolages de logement (pour 1 000 "
    "logements). Dans les petites communes, quelques faits suffisent à faire varier fortement "
    "un taux.",
]

ORGANISATION_TEXT = (
    "Zones police / gendarmerie, brigades, compagnies et effectifs sont modélisés à partir de "
    "faits publics quand les fichiers réels des unités ne sont pas fournis : Paris et la petite "
    "couronne et les communes de 20 000 habitants ou plus sont en zone police, avec leurs "
    "voisines denses ; les brigades regroupent des communes contiguës d'un même département ; "
    "les effectifs suivent la population et la superficie desservies. Ce ne sont pas les "
    "limites ni les effectifs réels.")


def layout(**_query) -> html.Div:
    user = access.current_user()
    sections: list = [
        html.H1("Méthodologie", className="h3 mb-3"),
    ]
    if user is None:  # Dash's start-up check: ids only
        return html.Div(sections)
    try:
        warehouse = data.get_warehouse()
        history = queries.load_history(warehouse)
        params = reference.organisation_parametres(warehouse)
        synthetic = reference.synthetic_sources(warehouse)
        quarantine = queries.quarantine_summary(warehouse)
    except READ_ERRORS as exc:
        return html.Div(sections + [components.empty_state(failure(exc, "methodologie"),
                                                           tone="warning")])

    if synthetic:
        sections.append(html.Section([
            html.H2("Données de démonstration", className="h5"),
            components.empty_state(
                "Les données opérationnelles chargées sont synthétiques pour les sources : "
                + " ; ".join(f"{view.source_label(name)} ({name})" for name in synthetic)
                + ". Elles sont générées avec une graine fixe et calibrées "
                "sur des chiffres publiés (faits enregistrés nationaux, atteintes aux élus, "
                "satisfaction DCAS, élus formés) ; elles ne décrivent aucun événement réel et "
                "ne sont rattachées à aucune personne réelle. Les numéros de téléphone sont dans "
                "les plages réservées à la fiction.", tone="warning"),
        ], className="mb-4"))

    sections.append(html.Section([
        html.H2("Sources et chargements", className="h5"),
        _history_table(history),
    ], className="mb-4"))
    if not quarantine.empty:
        sections.append(html.Section([
            html.H2("Lignes en quarantaine", className="h5"),
            html.P("Lignes refusées au chargement, avec leur motif ; les autres lignes des "
                   "mêmes fichiers ont été chargées.", className="small"),
            _scrolling(components.data_table(quarantine, {"source": "Source", "motif": "Motif",
                                                          "lignes": "Lignes"},
                                             "Lignes en quarantaine par source et motif",
                                             table_id="methodologie-quarantaine")),
        ], className="mb-4"))

    source = params.get("source_organisation", "modele")
    org_rows = pd.DataFrame(
        [(k, v) for k, v in params.items()], columns=["parametre", "valeur"])
    sections.append(html.Section([
        html.H2("Organisation de la gendarmerie", className="h5"),
        html.P(ORGANISATION_TEXT if source == "modele" else
               "Zones et brigades viennent des fichiers réels des unités et de la compétence "
               "territoriale ; compagnies, communautés de brigades et effectifs sont modélisés."),
        html.Details([
            html.Summary("Paramètres et résultats du modèle"),
            _scrolling(components.data_table(org_rows, {"parametre": "Paramètre",
                                                        "valeur": "Valeur"},
                                             "Paramètres du modèle d'organisation",
                                             table_id="methodologie-parametres")),
        ]),
    ], className="mb-4"))

    sections.append(html.Section([
        html.H2("Lire les chiffres de la délinquance (SSMSI)", className="h5"),
        html.Ul([html.Li(t) for t in SSMSI_CAVEATS]),
    ], className="mb-4"))

    sections.append(html.Section([
        html.H2("Règles de calcul communes à toutes les pages", className="h5"),
        html.Ul([html.Li(t) for t in COUNTING_RULES], id="methodologie-regles"),
    ], className="mb-4"))

    sections.append(html.Section([
        html.H2("Dictionnaire des données", className="h5"),
        html.P("Tables de l'entrepôt, leurs colonnes et leur source. Formats des fichiers à "
               "charger : voir la documentation des formats (docs/formats.md)."),
        *[_table_doc(t) for t in schema.TABLES],
    ], className="mb-4"))
    return html.Div(sections)


#: how the figures that several pages show are counted (FACTS_RULE, SMS_RULE and
#: COMPLAINTS_RULE in dashboard/queries; tests/unit/test_carte_profils_app.py checks that the
#: overview, the map and the profiles agree)
COUNTING_RULES = (
    "Faits enregistrés et taux pour 1 000 habitants : toutes les communes du territoire, "
    "zone police comprise, et toute leur population ; une brigade ou une compagnie compte ses "
    "propres communes (zone gendarmerie).",
    "Plaintes d'élus : par date des faits, ou de dépôt quand elle est inconnue.",
    "Alertes : celles envoyées sur la période qui visent au moins une commune du territoire.",
    "SMS d'alerte remis : les SMS des alertes envoyées sur la période, adressés aux élus des "
    "communes du territoire, dont l'opérateur a accusé la remise "
    f"(« {DLR_LABELS['DELIVRD'].lower()} »).",
    "Indicateurs de l'opération (consultations DCAS, formations, autodiagnostics, présence) : "
    "communes de la zone gendarmerie ; celles de la zone police apparaissent en gris.",
)


def _scrolling(table: html.Table) -> html.Div:
    """A wide table scrolls inside its block on a phone, not the whole page."""
    return html.Div(table, className="table-responsive")


def _history_table(history: pd.DataFrame) -> html.Div:
    if history.empty:
        return components.empty_state("Aucun chargement enregistré.")
    return _scrolling(components.data_table(
        view.history_frame(history),
        {"source": "Source", "libelle": "Contenu", "dernier_chargement":
         "Dernier chargement réussi (heure de Paris)", "chargements": "Chargements",
         "echecs": "Échecs", "lignes_chargees": "Lignes chargées",
         "lignes_rejetees": "Lignes rejetées", "nature": "Données"},
        "Sources chargées dans l'entrepôt (table load_runs)", table_id="methodologie-sources"))


def _table_doc(t) -> html.Details:
    description, source = view.table_text(t)
    return html.Details([
        html.Summary([html.Code(t.name), " — ", description]),
        html.P(f"Source : {source}.", className="small mb-1"),
        _scrolling(components.data_table(view.column_frame(t),
                                         {"colonne": "Colonne", "type": "Type", "sens": "Sens"},
                                         f"Colonnes de la table {t.name}")),
    ], className="mb-1")

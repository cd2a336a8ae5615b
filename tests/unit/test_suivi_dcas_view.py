"""The DCAS work list's views on hand-made frames: oldest first, age in days, the overdue flag
(in words), filters, key figures, export, choices; the follow-up form's values, errors and
state, and the history's French changes."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.views import suivi_dcas as view
from dashboard.views import suivi_dcas_form as form

TODAY = date(2026, 12, 2)
COMMUNES = pd.DataFrame({"code": ["35047", "35066"], "nom": ["Bruz", "Chartres-de-Bretagne"],
                         "brigade_id": ["B35047", "B35047"], "departement": ["35", "35"]})


def _row(ident, day, *, origin="saisie", record_id=1, statut="a_traiter", priorite="haute",
         attentes="cambriolages", commune="35047"):
    return {"origine": origin, "record_id": record_id if origin == "saisie" else None,
            "version": 1 if origin == "saisie" else None, "id_consultation": ident,
            "date_consultation": day, "code_commune": commune, "brigade_id": "B35047",
            "fonction_elu": "maire", "canal": "telephone", "attentes": attentes,
            "creneaux": "soiree|week_end", "priorite": priorite, "actions_suivi": None,
            "statut": statut, "date_suivi": None, "satisfaction": None}


def _frame():
    return pd.DataFrame([
        _row("DC-2026-000003", date(2026, 11, 30), record_id=3, priorite="basse",
             attentes="rodeos"),
        _row("DC-35066", pd.Timestamp("2026-03-02"), origin="importee", statut="en_cours",
             attentes="cambriolages|presence_heures_sensibles", commune="35066"),
        _row("DC-2026-000001", date(2026, 11, 1), record_id=1, priorite="moyenne"),
        _row("DC-2026-000002", date(2026, 11, 2), record_id=2, attentes="cyber|rodeos"),
    ])


def _text(component) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def listed():
    return view.prepared(_frame(), COMMUNES, TODAY)


def test_the_oldest_comes_first_with_its_age_in_days(listed):
    assert listed["id_consultation"].tolist() == [
        "DC-35066", "DC-2026-000001", "DC-2026-000002", "DC-2026-000003"]
    assert listed["age_jours"].tolist() == [275, 31, 30, 2]
    assert listed["date_texte"].tolist()[0] == "02/03/2026"


def test_overdue_means_more_than_thirty_days_and_says_so_in_words(listed):
    assert view.OVERDUE_DAYS == 30
    assert listed["en_retard"].tolist() == [True, True, False, False]  # 30 days: not yet
    assert listed["retard"].tolist() == ["En retard", "En retard", "", ""]
    table = _text(view.work_table(listed, "t"))
    assert table.count('"En retard"') == 2 and "badge" in table
    assert "dcas-ligne-retard" in table


def test_labels_are_french_and_keys_name_the_origin(listed):
    first = listed.iloc[0]
    assert first["themes"] == "Cambriolages, Présence aux heures sensibles"
    assert first["commune"] == "Chartres-de-Bretagne"
    assert first["statut_texte"] == "En cours" and first["origine_texte"] == "Importée"
    assert listed.iloc[1]["priorite_texte"] == "Moyenne"
    assert listed.iloc[1]["creneaux_texte"] == "Soirée, Week-end"


def test_an_empty_list_is_prepared_and_counted():
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in _frame().columns})
    listed = view.prepared(empty, COMMUNES.iloc[0:0], TODAY)
    assert listed.empty
    figures = {k.key: k.value for k in view.key_figures(listed)}
    assert figures == {"dcas-ouvertes": "0", "dcas-en-retard": "0", "dcas-age-median": "—"}


@pytest.mark.parametrize(("filters", "expected"), [
    (view.Filters(), ["DC-35066", "DC-2026-000001", "DC-2026-000002", "DC-2026-000003"]),
    (view.Filters(statut="en_cours"), ["DC-35066"]),
    (view.Filters(priorite="haute"), ["DC-35066", "DC-2026-000002"]),
    (view.Filters(theme="rodeos"), ["DC-2026-000002", "DC-2026-000003"]),
    (view.Filters(overdue_only=True), ["DC-35066", "DC-2026-000001"]),
    (view.Filters(theme="cambriolages", overdue_only=True), ["DC-35066", "DC-2026-000001"]),
    (view.Filters(statut="a_traiter", priorite="basse"), ["DC-2026-000003"]),
])
def test_filters(listed, filters, expected):
    assert view.filtered(listed, filters)["id_consultation"].tolist() == expected


def test_filters_from_the_browser():
    assert view.parse_filters(None, None, None, None) == view.Filters()
    assert view.parse_filters("en_cours", "haute", "cyber", ["oui"]) == view.Filters(
        "en_cours", "haute", "cyber", True)
    assert view.parse_filters(view.ALL, view.ALL, view.ALL, []) == view.Filters()
    for forged in [("close", None, None, None), (None, ["haute"], None, None),
                   (None, None, "drop table", None), (None, None, None, ["non"]),
                   (None, None, None, "oui"), ({"a": 1}, None, None, None)]:
        with pytest.raises(ValueError):
            view.parse_filters(*forged)


def test_key_figures(listed):
    figures = {k.key: (k.value, k.detail) for k in view.key_figures(listed)}
    assert figures["dcas-ouvertes"][0] == "4"
    assert figures["dcas-en-retard"][0] == "2"
    assert "50,0\u202f%" in figures["dcas-en-retard"][1]
    assert figures["dcas-age-median"][0] == "30,5 jours"  # (31 + 30) / 2


def test_the_table_is_cut_and_says_so(listed):
    table = _text(view.work_table(listed, "t", max_rows=2))
    assert "Les 2 plus anciennes attentes sur 4" in table


def test_export_frame_and_name(listed):
    out = view.export_frame(listed)
    assert out["retard"].tolist() == ["oui", "oui", "non", "non"]
    assert out["date_consultation"].tolist()[0] == "2026-03-02"
    assert set(view.EXPORT_COLUMNS) <= set(out.columns)
    assert view.export_filename("brigade:B35047", TODAY) == \
        "suivi-dcas-brigade-B35047-2026-12-02.csv"


def test_choices_and_their_parsing(listed):
    options = view.choice_options(listed)
    assert options[0] == {"label": "DC-35066 — Chartres-de-Bretagne — 02/03/2026 (en retard)",
                          "value": "DC-35066"}
    assert [o["value"] for o in options[1:]] == ["DC-2026-000001", "DC-2026-000002",
                                                 "DC-2026-000003"]
    assert form.parse_choice("DC-2026-S000012") == "DC-2026-S000012"
    for forged in ["", "x" * 65, "DC\n1", 12, None, ["DC-1"], {"id": "DC-1"}]:
        with pytest.raises(ValueError):
            form.parse_choice(forged)


def test_history_says_who_changed_what_and_when():
    before = {"statut": "a_traiter", "actions_suivi": None, "date_suivi": None,
              "satisfaction": None, "priorite": "haute"}
    after = before | {"statut": "en_cours", "actions_suivi": "Patrouilles de soirée",
                      "date_suivi": "2026-12-01", "satisfaction": 4}
    frame = form.history_frame([
        {"version": 1, "at": datetime(2026, 12, 1, 9, 0), "login": "brigade35",
         "action": "creation", "before": None, "after": before},
        {"version": 2, "at": datetime(2026, 12, 2, 12, 30), "login": "cdt35",
         "action": "correction", "before": before, "after": after},
    ])
    assert frame["version"].tolist() == [1, 2]
    assert frame["par"].tolist() == ["brigade35", "cdt35"]
    assert frame["quand"].tolist() == ["01/12/2026 10:00", "02/12/2026 13:30"]  # Paris time
    assert frame["action"].tolist() == ["Création", "Suivi (correction)"]
    assert frame["changements"][0] == "Enregistrement créé : Statut : À traiter"
    assert frame["changements"][1] == (
        "Actions de suivi : — → « Patrouilles de soirée » ; Statut : À traiter → En cours ; "
        "Date du suivi : — → 01/12/2026 ; Satisfaction (1 à 5) : — → 4")


def test_follow_up_values_and_errors():
    assert form.follow_up_changes(" Rondes ", "en_cours", "2026-12-02", 4) == {
        "actions_suivi": "Rondes", "statut": "en_cours", "date_suivi": "2026-12-02",
        "satisfaction": 4}
    assert form.follow_up_changes("", None, "", "")["satisfaction"] is None
    assert form.follow_up_changes(None, None, None, "4")["satisfaction"] == "4"
    for forged in [(["x"], "en_cours", None, None), (None, "en_cours", None, True),
                   (None, "en_cours", None, [4]), (None, {"a": 1}, None, None),
                   (None, None, 20261202, None)]:
        with pytest.raises(ValueError):
            form.follow_up_changes(*forged)
    errors = {"satisfaction": "valeur supérieure au maximum (5)",
              "*": "enregistrement modifié entre-temps par un autre utilisateur : rechargez-le",
              "date_consultation": "date dans le futur"}
    summary, *slots = form.errors_out(errors)
    assert slots == [None, None, None, "Erreur : valeur supérieure au maximum (5)"]
    shown = _text(summary)
    assert "modifié entre-temps" in shown and "satisfaction" in shown
    assert form.errors_out({}) == [None, None, None, None, None]


def test_the_form_state_the_browser_sends_back():
    state = form.form_state("DC-3", 3, 2, "k" * 32)
    assert form.parse_form_state(state) == ("DC-3", 3, 2, "k" * 32)
    assert form.parse_form_state(form.form_state("DC-1", None, None, "k")) == (
        "DC-1", None, None, "k")
    for forged in ["texte", None, {**state, "id": "3"}, {**state, "version": True},
                   {**state, "version": None}, {**state, "id": None},
                   {**state, "cle": ""}, {**state, "cle": "k" * 65},
                   {**state, "consultation": 3}, form.form_state("", None, None, "k")]:
        with pytest.raises(ValueError):
            form.parse_form_state(forged)


def test_the_form_shows_the_follow_up_fields_with_their_labels():
    shown = _text(form.fields())
    for label in ("Actions de suivi décidées", "Statut du suivi", "Date du dernier suivi",
                  "Satisfaction de l'élu"):
        assert label in shown
    values = {"actions_suivi": None, "statut": "en_cours", "satisfaction": 4.0}
    assert form.form_values(values, TODAY) == ["", "en_cours", "2026-12-02", 4]


def test_details_say_what_the_elu_asked_for():
    row = _row("DC-35066", date(2026, 3, 2), origin="importee")
    shown = _text(form.details(row, "Bruz", "importee", TODAY))
    assert "DC-35066 (importée d'un fichier)" in shown and "il y a 275 jours" in shown
    assert "en retard" in shown and "Soirée, Week-end" in shown and "Haute" in shown

"""The immersion form's pure helpers: the list's order (planned first), when feedback is due,
the values each form sends."""

from __future__ import annotations

from datetime import date

from dashboard.views import saisie_immersion as v
from tests.support.dash_callbacks import text

TODAY = date(2026, 12, 4)


def _record(i, when, statut, note=None):
    return {"id": i, "id_immersion": f"IM-{i}", "date_immersion": date.fromisoformat(when),
            "statut": statut, "note": note, "code_commune": "35047", "fonction_elu": "maire",
            "type_unite": "brigade", "unite": "B35047"}


def test_planned_first_soonest_first_then_done_latest_first():
    records = [_record(1, "2026-10-01", None, 4), _record(2, "2027-01-10", "planifiee"),
               _record(3, "2026-11-20", "realisee", 5), _record(4, "2026-12-01", "planifiee"),
               _record(5, "2026-12-04", "planifiee")]
    rows = v.ordered(records, TODAY)
    assert [r["id"] for r in rows] == [4, 5, 2, 3, 1]
    assert [r["statut"] for r in rows] == ["planifiee"] * 3 + ["realisee"] * 2  # empty: done
    assert [r["due"] for r in rows] == [True, True, False, False, False]  # its day has come


def test_feedback_is_due_for_a_planned_immersion_from_its_day():
    assert v.feedback_due(_record(1, "2026-12-04", "planifiee"), TODAY)
    assert not v.feedback_due(_record(1, "2026-12-05", "planifiee"), TODAY)
    assert not v.feedback_due(_record(1, "2026-12-01", "realisee"), TODAY)
    assert not v.feedback_due(_record(1, "2026-12-01", None), TODAY)
    assert not v.feedback_due({"statut": "planifiee", "date_immersion": None}, TODAY)


def test_the_feedback_sends_its_fields_only_and_makes_the_immersion_done():
    assert v.feedback_changes({"note": 4, "commentaire": "Bien", "statut": "planifiee",
                               "date_immersion": "2030-01-01"}) == {
        "note": 4, "commentaire": "Bien", "duree_heures": None, "statut": "realisee"}


def test_the_table_offers_feedback_on_due_immersions_only():
    rows = v.ordered([_record(7, "2026-12-01", "planifiee"), _record(8, "2027-02-01", "planifiee"),
                      _record(9, "2026-06-01", "realisee", 3)], TODAY)
    shown = text(v.immersion_table(rows, {"35047": "Bruz"}, TODAY))
    assert shown.count("Saisir le retour") == 2  # the button and its accessible name
    assert "Saisir le retour de l'immersion IM-7" in shown
    assert "à partir du 01/02/2027" in shown and "note 3/5" in shown
    assert "Bruz (35047)" in shown and "Planifiée — retour à saisir" in shown
    assert v.NO_IMMERSION in text(v.immersion_table([], {}, TODAY))

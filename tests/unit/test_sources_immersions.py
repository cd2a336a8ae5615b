"""Immersions are scheduled, then done: the status checks of the ``immersions`` source, for a
file (quarantine, French reasons) and for a form record (same reasons, field by field)."""

from __future__ import annotations

from datetime import date

import pytest

from etl.ops.records import check
from etl.sources.immersions import FEEDBACK_TOO_EARLY, FUTURE_DONE, IMMERSIONS
from etl.sources.loader import load_file
from etl.sources.validate import Known
from tests.support.sources_fixture import memory_warehouse

TODAY = date(2025, 6, 30)
HEADER = "id_immersion;date_immersion;code_commune;fonction_elu;type_unite;unite;duree_heures;" \
    "note;commentaire;statut\n"


def load(tmp_path, content: str):
    con, known = memory_warehouse()
    path = tmp_path / "immersions.csv"
    path.write_text(content, encoding="utf-8")
    return con, load_file(con, IMMERSIONS, path, "run", known, today=TODAY)


def quarantine(con) -> list[tuple]:
    return con.execute("SELECT ligne, colonne, motif, valeur FROM quarantine "
                       "ORDER BY ligne").fetchall()


def test_a_planned_immersion_may_be_in_the_future_a_done_one_may_not(tmp_path):
    con, r = load(tmp_path, HEADER +
                  "I1;2025-09-15;35001;maire;corg;CORG35;4;;;planifiee\n"      # planned: ok
                  "I2;2025-06-30;35001;maire;corg;CORG35;4;5;Bien;realisee\n"  # today: ok
                  "I3;2025-07-01;35001;maire;corg;CORG35;4;5;;realisee\n"      # tomorrow, done
                  "I4;2025-07-01;35001;maire;corg;CORG35;4;;;\n"               # empty: done
                  "I5;2025-05-02;35001;maire;corg;CORG35;;;;PLANIFIEE\n"       # past, planned
                  "I6;2025-09-15;35001;maire;corg;CORG35;4;4;;planifiee\n"     # planned, noted
                  "I7;2025-09-15;35001;maire;corg;CORG35;4;;À voir;planifiee\n"
                  "I8;2025-05-02;35001;maire;corg;CORG35;4;;;annulee\n")
    assert (r.read, r.loaded, r.quarantined) == (8, 3, 5)
    assert quarantine(con) == [
        (4, "date_immersion", FUTURE_DONE, "2025-07-01"),
        (5, "date_immersion", FUTURE_DONE, "2025-07-01"),
        (7, "note", FEEDBACK_TOO_EARLY, "4"),
        (8, "commentaire", FEEDBACK_TOO_EARLY, "À voir"),
        (9, "statut", "valeur hors liste (planifiee, realisee)", "annulee")]
    assert FUTURE_DONE.startswith("date dans le futur")  # as the field-level check says
    assert con.execute("SELECT id_immersion, statut FROM immersions ORDER BY 1").fetchall() == [
        ("I1", "planifiee"), ("I2", "realisee"), ("I5", "planifiee")]


def test_a_file_without_the_status_column_holds_done_immersions(tmp_path):
    con, r = load(tmp_path, HEADER.replace(";statut", "") +
                  "I1;2025-05-12;35001;maire;corg;CORG35;4;5;Très instructif\n"
                  "I2;2026-05-12;35001;maire;corg;CORG35;4;5;\n")
    assert (r.loaded, r.quarantined) == (1, 1)
    assert quarantine(con) == [(3, "date_immersion", FUTURE_DONE, "2026-05-12")]
    assert con.execute("SELECT id_immersion, statut, note FROM immersions").fetchall() == [
        ("I1", None, 5)]


def test_the_source_example_loads(tmp_path):
    con, r = load(tmp_path, IMMERSIONS.example + "\n")
    assert (r.loaded, r.quarantined) == (1, 0), quarantine(con)


RECORD = {"id_immersion": "IM-1", "date_immersion": "2025-09-15", "code_commune": "35001",
          "fonction_elu": "maire", "type_unite": "brigade", "unite": "B35051",
          "duree_heures": "3", "statut": "planifiee"}


@pytest.mark.parametrize(("changes", "errors"), [
    ({}, {}),
    ({"statut": "realisee"}, {"date_immersion": FUTURE_DONE}),
    ({"statut": None}, {"date_immersion": FUTURE_DONE}),
    ({"note": "5"}, {"note": FEEDBACK_TOO_EARLY}),
    ({"commentaire": "Très bien"}, {"commentaire": FEEDBACK_TOO_EARLY}),
    ({"commentaire": "   "}, {}),
    ({"date_immersion": "2025-06-01", "statut": "realisee", "note": "4"}, {}),
    ({"statut": "reportee"}, {"statut": "valeur hors liste (planifiee, realisee)"}),
])
def test_a_form_record_gets_the_same_reasons_field_by_field(changes, errors):
    values, found = check(IMMERSIONS, RECORD | changes, Known(communes={"35001"}), TODAY)
    assert found == errors
    assert (values is None) == bool(errors)
    if values is not None:
        assert values["date_immersion"] == date.fromisoformat(
            (RECORD | changes)["date_immersion"])

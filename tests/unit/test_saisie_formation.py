"""The training form's pure helpers: a session and its attendees as ``trainings`` rows, the
attendee list's checks (French), the session id and the idempotency keys."""

from __future__ import annotations

import re
from datetime import date

import pytest

from dashboard.views import saisie_formation as v
from etl.ops.limits import IDEMPOTENCY_KEY_MAX
from etl.ops.records import check
from etl.sources.trainings import TRAININGS
from etl.sources.validate import Known

SESSION = {"theme": "cyber_immunite", "date_session": "2025-04-10",
           "code_commune_session": "35238", "unite": "B35051"}
ATTENDEES = [{"fonction_participant": "maire", "code_commune_participant": "35001"},
             {"fonction_participant": "secretaire_mairie", "code_commune_participant": "35002"}]


def test_one_row_per_attendee_with_the_session_repeated():
    rows = v.attendee_rows(SESSION, ATTENDEES, "FS-2025-S0000000001")
    assert rows == [{"id_session": "FS-2025-S0000000001", **SESSION, **a} for a in ATTENDEES]
    assert all("id_participation" not in r for r in rows)  # the store makes it
    # each row is a valid row of the source (the store's id put aside)
    known = Known(communes={"35238", "35001", "35002"})
    for row in rows:
        values, errors = check(TRAININGS, row | {"id_participation": "~k"}, known,
                               date(2025, 6, 30))
        assert errors == {} and values["id_session"] == "FS-2025-S0000000001"


def test_values_are_trimmed_and_empty_ones_are_none():
    [row] = v.attendee_rows({"theme": " vif ", "date_session": "", "unite": None},
                            [{"fonction_participant": " maire ",
                              "code_commune_participant": "  "}], "FS-1")
    assert row == {"id_session": "FS-1", "theme": "vif", "date_session": None,
                   "code_commune_session": None, "unite": None, "fonction_participant": "maire",
                   "code_commune_participant": None}


def test_attendees_keep_only_their_fields_whatever_the_browser_sent():
    sent = [{"fonction_participant": "maire", "code_commune_participant": "35001",
             "id_participation": "FP-forged", "theme": "vif"}, "odd", None]
    assert v.attendees_of(sent) == [
        {"fonction_participant": "maire", "code_commune_participant": "35001"},
        {"fonction_participant": None, "code_commune_participant": None},
        {"fonction_participant": None, "code_commune_participant": None}]
    assert v.attendees_of("not a list") == [] and v.attendees_of(None) == []


@pytest.mark.parametrize(("attendees", "whole", "rows"), [
    (ATTENDEES, None, {}),
    ([], v.NO_ATTENDEE, {}),
    ([ATTENDEES[0]] * 200, None, {}),
    ([ATTENDEES[0]] * 201, v.TOO_MANY, {}),
    ([ATTENDEES[0], {"fonction_participant": "maire", "code_commune_participant": " "}],
     None, {1: {"code_commune_participant": "commune du participant manquante"}}),
    ([{}, ATTENDEES[1]], None, {0: {"fonction_participant": "fonction du participant manquante",
                                    "code_commune_participant": "commune du participant "
                                                                "manquante"}}),
])
def test_the_attendee_list_is_checked_first(attendees, whole, rows):
    assert v.attendee_problems(attendees) == (whole, rows)


def test_french_messages():
    assert v.NO_ATTENDEE == "Ajoutez au moins un participant à la session."
    assert v.TOO_MANY.startswith("200 participants au plus par session")


def test_the_session_id_is_one_per_form_display():
    a = v.session_id("cle-affichage-1", 2025)
    assert re.fullmatch(r"FS-2025-S[0-9]{10}", a)
    assert v.session_id("cle-affichage-1", 2025) == a  # a resubmission: the same session
    assert v.session_id("cle-affichage-2", 2025) != a
    assert v.session_id("cle-affichage-1", 2026).startswith("FS-2026-S")
    ids = {v.session_id(f"k{i}", 2025) for i in range(5000)}
    assert len(ids) == 5000
    assert len(a) <= 64  # the store's code column


@pytest.mark.parametrize(("value", "year"), [
    ("2025-04-10", 2025), ("10/04/2024", 2024), (" 2023-01-02 ", 2023), ("", 2026),
    (None, 2026), ("hier", 2026), ("0000-01-01", 2026)])
def test_the_session_year_comes_from_its_date(value, year):
    assert v.session_year(value, today=date(2026, 12, 4)) == year


def test_attendee_keys_are_distinct_and_fit_the_store():
    keys = [v.attendee_key("k" * 43, i) for i in range(200)]
    assert len(set(keys)) == 200 and keys[3] == "k" * 43 + "~p3"
    long = [v.attendee_key("x" * 64, i) for i in (0, 199)]
    assert all(len(k) <= IDEMPOTENCY_KEY_MAX for k in long) and long[0] != long[1]
    assert v.attendee_key("x" * 64, 0) == long[0]  # stable


def test_reasons_go_to_the_session_or_to_the_attendee():
    per_row = {0: {"date_session": "date dans le futur",
                   "code_commune_participant": "code INSEE inconnu du référentiel des communes"},
               1: {"date_session": "date dans le futur"},
               2: {"fonction_participant": "valeur hors liste (maire, …)"}}
    session, attendees = v.split_errors(per_row)
    assert session == {"date_session": "date dans le futur"}
    assert attendees == {0: {"code_commune_participant": "code INSEE inconnu du référentiel des "
                                                         "communes"},
                         2: {"fonction_participant": "valeur hors liste (maire, …)"}}
    assert v.attendee_label(1, "code_commune_participant") == \
        "Participant 2 : Commune du participant"

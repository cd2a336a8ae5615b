"""Élus' contacts: numbers in E.164 with phonenumbers (fiction numbers kept), mobiles only (a
landline or a special number refused with its French reason, in a form and in a file), masked
for the roles that do not send; contacts as a form source; the recipients of an area (the
store's records over the warehouse's rows: an opt-out counts at once; a landline never); the
area's communes."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pytest

from etl.alerts import area
from etl.alerts.contacts import (
    RECIPIENT_COLUMNS,
    mask,
    normalise_phone,
    recipients,
)
from etl.ops import records, store
from etl.ops.record_tables import FORM_SOURCES
from etl.sources.contacts import BAD_PHONE, CANAUX_OPT_IN, CONTACTS, CONTACTS_FORM
from etl.sources.loader import load_file
from etl.sources.phones import line_type, receives_sms, sms_refusal
from etl.sources.validate import Known
from etl.warehouse import schema
from tests.support.sources_fixture import memory_warehouse

KNOWN = Known(communes={"35001", "35002", "35003", "56001"})
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(("written", "e164"), [
    ("06 39 98 00 01", "+33639980001"),
    ("0639980001", "+33639980001"),
    ("+33 6 39 98 00 01", "+33639980001"),
    ("0033639980001", "+33639980001"),
    ("06.39.98.00.01", "+33639980001"),
    ("06-39-98-00-01", "+33639980001"),
    ("01 99 00 00 04", "+33199000004"),   # fiction landline (Île-de-France)
    ("06 12 34 56 78", "+33612345678"),   # a valid mobile
    ("0696 12 34 56", "+596696123456"),   # Martinique, written nationally
    ("+262 692 12 34 56", "+262692123456"),  # Réunion
])
def test_numbers_are_stored_in_e164(written, e164):
    assert normalise_phone(written) == e164


@pytest.mark.parametrize("bad", ["12345", "", "   ", None, 639980001, "06 39 98 00",
                                 "+44 7911 123456", "08 00 00 00 00 00 00", "abc",
                                 "0" * 41])
def test_invalid_or_foreign_numbers_are_none(bad):
    assert normalise_phone(bad) is None


def test_masked_numbers_show_the_first_digit_and_the_last_two():
    assert mask("+33639980001") == "+33 6 •• •• •• 01"
    assert mask("+33199000004") == "+33 1 •• •• •• 04"
    assert mask("+596696123456") == "+596 6 •• •• •• 56"
    assert mask(None) == "" and mask("n'importe quoi") == "••"


def test_contacts_are_a_form_source_with_french_labels():
    assert FORM_SOURCES["contacts"] is CONTACTS_FORM
    # the same declaration as the files', but for the example (the ids the store makes)
    assert CONTACTS_FORM.fields == CONTACTS.fields and CONTACTS_FORM.key == CONTACTS.key
    assert CONTACTS.example.splitlines()[1].startswith("CT-35001-1;")
    assert "saisie_contacts" in store.metadata.tables
    for f in CONTACTS.fields:
        assert f.label and f.label[0].isupper(), f.name
    canal = CONTACTS.field("canal_opt_in")
    assert canal.enum == CANAUX_OPT_IN and not canal.required
    assert CANAUX_OPT_IN == ("formulaire_papier", "courriel", "application_gendelus",
                             "entretien_mairie")
    assert records.make_id(CONTACTS_FORM, 7, {}) == "CT-S000007"


def test_a_contact_record_is_validated_as_a_file_row():
    good = {"code_commune": "35001", "fonction": "maire", "telephone": "06 39 98 00 01",
            "opt_in": "oui", "date_opt_in": "2025-01-02", "canal_opt_in": "courriel",
            "id_contact": "CT-1"}
    typed, errors = records.check(CONTACTS, good, KNOWN, TODAY)
    assert errors == {} and typed["telephone"] == "+33639980001" and typed["opt_in"] is True
    _typed, errors = records.check(CONTACTS, {**good, "telephone": "12345"}, KNOWN, TODAY)
    assert errors == {"telephone": BAD_PHONE}
    _typed, errors = records.check(CONTACTS, {**good, "canal_opt_in": "pigeon"}, KNOWN, TODAY)
    assert set(errors) == {"canal_opt_in"}


# --- mobiles only: the alerts go by SMS -------------------------------------------------------

@pytest.mark.parametrize(("e164", "kind"), [
    ("+33639980001", "mobile"),      # ARCEP's fiction block for mobiles (06 39 98)
    ("+33612345678", "mobile"), ("+33740123456", "mobile"),
    ("+596696123456", "mobile"),     # Martinique
    ("+33199000004", "fixe"),        # fiction landlines (01 99 00, 02 61 91)
    ("+33261910001", "fixe"), ("+33299001122", "fixe"),
    ("+33891234567", "surtaxe"), ("+33800123456", "gratuit"), ("+33912345678", "voip"),
])
def test_a_number_s_kind_from_phonenumbers_and_the_fiction_blocks(e164, kind):
    assert line_type(e164) == kind
    assert receives_sms(e164) is (kind == "mobile")
    assert (sms_refusal(e164) is None) is (kind == "mobile")


def test_the_refusal_says_why_in_french():
    assert sms_refusal("+33261910001") == ("numéro fixe : les alertes partent par SMS, un numéro "
                                           "de mobile est attendu (06 ou 07)")
    assert sms_refusal("+33891234567").startswith("numéro surtaxé : ")
    assert not receives_sms(None) and not receives_sms("")


def test_a_landline_is_refused_by_the_contact_form_with_its_reason():
    good = {"code_commune": "35001", "fonction": "maire", "telephone": "06 39 98 00 01",
            "opt_in": "oui", "date_opt_in": "2025-01-02", "id_contact": "CT-1"}
    for written, reason in (("02 61 91 00 01", "numéro fixe"), ("08 91 23 45 67",
                                                                   "numéro surtaxé")):
        _typed, errors = records.check(CONTACTS, {**good, "telephone": written}, KNOWN, TODAY)
        assert set(errors) == {"telephone"} and errors["telephone"].startswith(reason + " : ")


def test_a_landline_in_a_file_is_quarantined_with_its_reason(tmp_path):
    con, known = memory_warehouse()
    path = tmp_path / "contacts.csv"
    path.write_text("id_contact;code_commune;fonction;telephone;opt_in;date_opt_in\n"
                    "CT-1;35001;maire;06 39 98 00 01;oui;2025-01-02\n"
                    "CT-2;35001;adjoint;02 61 91 00 02;oui;2025-01-02\n"
                    "CT-3;35001;adjoint;12 34;oui;2025-01-02\n", encoding="utf-8")
    report = load_file(con, CONTACTS, path, "run", known, today=TODAY)
    assert (report.loaded, report.quarantined) == (1, 2)
    assert con.execute("SELECT ligne, colonne, motif, valeur FROM quarantine ORDER BY ligne"
                       ).fetchall() == [
        (3, "telephone", sms_refusal("+33261910002"), "+33261910002"),
        (4, "telephone", BAD_PHONE, "12 34")]
    con.close()


# --- recipients: the store over the warehouse --------------------------------------------------

@pytest.fixture()
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'operations.sqlite'}"
    eng = store.get_engine(url)
    yield eng
    store._engines.pop(url).dispose()


@pytest.fixture()
def warehouse():
    con = duckdb.connect()
    con.execute(schema.table("elu_contacts").ddl())
    rows = [("CT-35001-1", "35001", "maire", "+33639980001", True),
            ("CT-35001-2", "35001", "adjoint", "+33639980002", False),   # no opt-in
            ("CT-35002-1", "35002", "maire", "+33639980003", True),
            ("CT-35002-2", "35002", "adjoint", "+33639980001", True),    # same number
            ("CT-35003-1", "35003", "maire", "+33639980004", True),      # another commune
            ("CT-56001-1", "56001", "maire", "+33639980005", True)]
    con.executemany("INSERT INTO elu_contacts (id_contact, code_commune, fonction, telephone, "
                    "opt_in, synthetique, fichier, run_id, empreinte) "
                    "VALUES (?, ?, ?, ?, ?, FALSE, 'f', 'r', 'e')", rows)
    yield con
    con.close()


def _submit(engine, key: str, **values):
    base = {"code_commune": "35001", "fonction": "maire", "telephone": "06 39 98 00 09",
            "opt_in": True, "date_opt_in": "2025-01-02"}
    result = records.submit(engine, "contacts", base | values, "bta", lambda _v: True, key,
                            KNOWN, today=TODAY)
    assert result.ok, result.errors
    return result


def test_recipients_are_the_opted_in_contacts_of_the_area(engine, warehouse):
    frame = recipients(engine, warehouse, ["35001", "35002"])
    assert list(frame.columns) == RECIPIENT_COLUMNS
    # CT-35001-2 without opt-in; CT-35002-2 has CT-35001-1's number: one SMS per number
    assert frame.to_dict("records") == [
        {"id_contact": "CT-35001-1", "code_commune": "35001", "fonction": "maire",
         "telephone": "+33639980001", "origine": "importé"},
        {"id_contact": "CT-35002-1", "code_commune": "35002", "fonction": "maire",
         "telephone": "+33639980003", "origine": "importé"}]
    assert recipients(engine, warehouse, []).empty
    assert recipients(engine, warehouse, ["99999"]).empty


def test_a_landline_loaded_before_the_rule_is_no_recipient(engine, warehouse):
    warehouse.execute("INSERT INTO elu_contacts (id_contact, code_commune, fonction, telephone, "
                      "opt_in, synthetique, fichier, run_id, empreinte) VALUES ('CT-35003-2', "
                      "'35003', 'adjoint', '+33261910001', TRUE, FALSE, 'f', 'r', 'e')")
    assert recipients(engine, warehouse, ["35003"])["id_contact"].tolist() == ["CT-35003-1"]


def test_the_store_overrides_the_warehouse(engine, warehouse):
    # an imported contact adopted by the store with opt-in withdrawn, one moved to 56001,
    # one entered in 35002, and one entered then deleted
    _submit(engine, "k1", id_contact="CT-35001-1", telephone="+33639980001", opt_in=False)
    _submit(engine, "k2", id_contact="CT-35002-1", code_commune="56001",
            telephone="+33639980003")
    _submit(engine, "k3", code_commune="35002", fonction="secretaire_mairie",
            telephone="06 39 98 00 07")
    gone = _submit(engine, "k4", id_contact="CT-35003-1", code_commune="35003",
                   telephone="+33639980004")
    assert records.delete(engine, "contacts", gone.record_id, "bta", lambda _v: True).ok
    frame = recipients(engine, warehouse, ["35001", "35002", "35003"])
    assert frame[["id_contact", "origine"]].values.tolist() == [
        ["CT-35002-2", "importé"], ["CT-S000003", "saisie"]]
    assert frame["telephone"].tolist() == ["+33639980001", "+33639980007"]
    moved = recipients(engine, warehouse, ["56001"])
    assert sorted(moved["id_contact"]) == ["CT-35002-1", "CT-56001-1"]


# --- the area -----------------------------------------------------------------------------------

#: (code, département, brigade, latitude, longitude): Rennes and communes around it
POINTS = [("35238", "35", None, 48.1147, -1.6794), ("35047", "35", "B35047", 48.0244, -1.7461),
          ("35066", "35", "B35047", 48.0400, -1.7050), ("35115", "35", None, 48.3520, -1.1990),
          ("56260", "56", None, 47.6582, -2.7608), ("35999", "35", None, None, None)]


@pytest.fixture()
def communes():
    con = duckdb.connect()
    con.execute("CREATE TABLE communes (code VARCHAR, departement VARCHAR, brigade_id VARCHAR, "
                "latitude DOUBLE, longitude DOUBLE)")
    con.executemany("INSERT INTO communes VALUES (?, ?, ?, ?, ?)", POINTS)
    yield con
    con.close()


def test_communes_within_km_by_haversine(communes):
    rennes = POINTS[0]
    d = {p[0]: area.distance_km(rennes[3], rennes[4], p[3], p[4]) for p in POINTS if p[3]}
    assert 10 < d["35047"] < 12 and 40 < d["35115"] < 50 and d["56260"] > 90
    assert area.within_km(communes, "35238", 5) == ["35238"]
    assert area.within_km(communes, "35238", 12) == ["35238", "35066", "35047"]
    assert area.within_km(communes, "35238", 50) == ["35238", "35066", "35047", "35115"]
    assert area.within_km(communes, "35238", math.floor(d["35047"] * 100) / 100) == [
        "35238", "35066"]


@pytest.mark.parametrize("km", [0, -1, 50.01, 51, float("nan"), float("inf"), "5", True, None])
def test_the_radius_is_bounded(communes, km):
    with pytest.raises(ValueError, match="rayon"):
        area.within_km(communes, "35238", km)


def test_unknown_commune_or_without_position(communes):
    for code in ("99999", "35999"):
        with pytest.raises(ValueError, match="commune inconnue"):
            area.within_km(communes, code, 10)


def test_brigade_and_departement_communes(communes):
    assert area.brigade_communes(communes, "B35047") == ["35047", "35066"]
    assert area.brigade_communes(communes, "B00000") == []
    assert area.communes_of_departement(communes, "35") == ["35047", "35066", "35115",
                                                            "35238", "35999"]

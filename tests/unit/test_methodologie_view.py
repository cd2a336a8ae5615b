"""The Méthodologie page's French texts: every warehouse table, column and source has one, and
times are said in France's time."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from dashboard.core.formatting import paris_time_text
from dashboard.views import methodologie as view
from etl import clock
from etl.sources.registry import SOURCES
from etl.warehouse import schema
from etl.warehouse.tables import Column, Table


def test_every_table_column_and_source_has_its_french_text():
    """A new table, column or source needs its French meaning in dashboard/views/methodologie.py
    (the declarations' English stays for developers); a stale entry fails too."""
    assert view.missing_texts(schema.TABLES, SOURCES) == []
    for table in schema.TABLES:
        description, source = view.table_text(table)
        assert description and source
        frame = view.column_frame(table)
        assert frame["colonne"].tolist() == table.column_names
        assert frame["sens"].map(bool).all(), table.name


def test_the_dictionary_check_finds_what_is_missing_or_stale():
    table = Table("regions", "French régions.", "x", (Column("code", "VARCHAR", "code"),
                                                      Column("chef_lieu", "VARCHAR", "seat")))
    found = view.missing_texts([table, Table("nouvelle", "", "", ())],
                               {"crime": None, "nouvelle": None})
    assert [f for f in found if "table" not in f] == [
        "colonne regions.chef_lieu", "entrée périmée : colonne regions.nom", "source nouvelle"]
    assert "table nouvelle" in found and "entrée périmée : table communes" in found


def test_the_cut_english_description_is_gone():
    """The page showed « Alert contacts of élus (personal data » (the English declaration cut
    at its first colon)."""
    contacts = next(t for t in schema.TABLES if t.name == "elu_contacts")
    description, _source = view.table_text(contacts)
    assert description.startswith("Contacts des élus pour les alertes (données personnelles")
    assert view.source_label("contacts") == ("Contacts des élus pour les alertes SMS (données "
                                             "personnelles)")
    assert view.source_label("inconnue") == "inconnue"


def test_times_are_said_in_paris_time():
    # winter (UTC+1): 23:31 UTC is already the next day in Paris; summer (UTC+2)
    assert paris_time_text(datetime(2026, 12, 7, 23, 31)) == "08/12/2026 00:31"
    assert paris_time_text(pd.Timestamp("2026-07-01 12:00")) == "01/07/2026 14:00"
    assert paris_time_text(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "01/07/2026 14:00"
    assert paris_time_text(None) == "" and paris_time_text(pd.NaT) == ""
    assert clock.local(datetime(2026, 3, 29, 0, 59)) == datetime(2026, 3, 29, 1, 59)
    assert clock.local(datetime(2026, 3, 29, 1, 0)) == datetime(2026, 3, 29, 3, 0)


def test_the_load_history_in_french():
    history = pd.DataFrame({
        "source": ["build", "contacts"], "dernier_chargement": [datetime(2026, 12, 7, 23, 31),
                                                                  None],
        "chargements": [1, 2], "echecs": [0, 2], "lignes_chargees": [None, 10.0],
        "lignes_rejetees": [0, None], "synthetique": [False, True]})
    frame = view.history_frame(history)
    assert frame["libelle"].tolist() == ["Construction de l'entrepôt", view.SOURCES["contacts"]]
    assert frame["dernier_chargement"].tolist() == ["08/12/2026 00:31", ""]
    assert frame["nature"].tolist() == ["réelle", "synthétique"]
    assert frame["lignes_chargees"].tolist() == [0, 10]

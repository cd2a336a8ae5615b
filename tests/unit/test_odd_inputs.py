"""Odd inputs closed with French reasons and nothing stored (#21 item 5): dates of another age
on every form source, direction controls in free text and SMS, numbers no SMS reaches."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from etl.alerts import workflow
from etl.ops import records, store
from etl.ops.record_tables import FORM_SOURCES
from etl.sources.phones import normalise_phone, sms_refusal
from etl.sources.validate import BIDI_REFUSED, TOO_EARLY, TOO_LATE, Known

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('odd') / 'operations.sqlite'}"
    eng = store.get_engine(url)
    yield eng
    store._engines.pop(url).dispose()


def example(name: str) -> tuple[dict, Known]:
    """The source's example row (its id left out: the store makes it), and the codes it uses."""
    source = FORM_SOURCES[name]
    header, first = source.example.splitlines()[:2]
    values = dict(zip(header.split(";"), first.split(";"), strict=True))
    values.pop(source.key[0])
    kinds = {f.name: f.kind for f in source.fields}
    return values, Known(
        communes={v for k, v in values.items() if kinds[k] == "insee"},
        departements={v for k, v in values.items() if kinds[k] == "departement"},
        brigades={v for k, v in values.items() if kinds[k] == "brigade"})


def stored(engine) -> int:
    with engine.connect() as con:
        return con.execute(select(func.count()).select_from(store.record_history)).scalar_one()


DATES = [(name, f.name) for name, s in FORM_SOURCES.items() for f in s.fields
         if f.kind in ("date", "datetime")]


@pytest.mark.parametrize(("source", "field"), DATES)
@pytest.mark.parametrize("day", ["0000-01-01", "0001-01-01", "1677-09-22", "1800-01-01"])
def test_dates_before_1900_are_refused_in_french_on_every_form(engine, source, field, day):
    values, known = example(source)
    before = stored(engine)
    result = records.submit(engine, source, values | {field: day}, "bta", lambda _v: True,
                            f"k-{source}-{field}-{day}", known, today=TODAY)
    assert not result.ok and result.errors == {field: TOO_EARLY}
    assert stored(engine) == before


def test_a_planned_immersion_more_than_two_years_ahead_is_refused(engine):
    values, known = example("immersions")
    planned = values | {"statut": "planifiee", "note": "", "commentaire": ""}
    far = records.submit(engine, "immersions", planned | {"date_immersion": "9999-12-31"},
                         "bta", lambda _v: True, "k-far", known, today=TODAY)
    assert far.errors == {"date_immersion": TOO_LATE}
    assert records.submit(engine, "immersions", planned | {"date_immersion": "2027-06-01"},
                          "bta", lambda _v: True, "k-near", known, today=TODAY).ok


@pytest.mark.parametrize("control", ["\u202e", "\u2066", "\u200f", "\u061c"])
def test_direction_controls_are_refused_in_free_text_and_sms(engine, control):
    values, known = example("immersions")
    result = records.submit(engine, "immersions", values | {
        "commentaire": f"Très {control}instructif"}, "bta", lambda _v: True, f"k-{control}",
        known, today=TODAY)
    assert result.errors == {"commentaire": BIDI_REFUSED}
    assert workflow.check_message(f"Gendarmerie : {control}vols signalés.") == (
        None, BIDI_REFUSED)


@pytest.mark.parametrize(("number", "kind"), [
    ("08 92 68 02 33", "numéro surtaxé"), ("08 99 23 45 67", "numéro surtaxé"),
    ("01 53 71 53 71", "numéro fixe"), ("08 00 12 34 56", "numéro vert")])
def test_premium_rate_and_fixed_numbers_are_refused_as_sms_contacts(engine, number, kind):
    assert sms_refusal(normalise_phone(number)).startswith(kind)
    values, known = example("contacts")
    result = records.submit(engine, "contacts", values | {"telephone": number}, "bta",
                            lambda _v: True, f"k-{number}", known, today=TODAY)
    assert result.errors["telephone"].startswith(kind)

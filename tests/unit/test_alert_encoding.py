"""SMS encoding and part counting on known strings (DOMAIN.md « SMS facts »): GSM-7 at 160 and
161 characters, é (still GSM-7), ê and ’ (UCS-2), € (two septets), UCS-2 at 70 and 71, and the
one-click replacement that brings a message back to GSM-7."""

from __future__ import annotations

import pytest

from etl.alerts.encoding import (
    GSM7,
    MAX_PARTS,
    REPLACEMENTS,
    UCS2,
    SmsCount,
    analyse,
    replace_ucs2,
    septets,
    split,
)
from etl.alerts.workflow import TEMPLATES
from etl.sources.alerts import ALERT_CATEGORIES


def test_pure_gsm7_at_160_characters_is_one_sms():
    assert analyse("a" * 160) == SmsCount(GSM7, 160, 160, 1, 160, ())


def test_pure_gsm7_at_161_characters_is_two_parts_of_153():
    assert analyse("a" * 161) == SmsCount(GSM7, 161, 161, 2, 153, ())
    assert analyse("a" * 306).parts == 2
    assert analyse("a" * 307).parts == 3


def test_e_acute_stays_gsm7():
    count = analyse("é" + "a" * 159)
    assert (count.encoding, count.units, count.parts, count.offending) == (GSM7, 160, 1, ())
    # the other accented letters of the GSM alphabet too
    assert analyse("à è ù ì ò ü Ç É").encoding == GSM7


def test_e_circumflex_forces_ucs2():
    count = analyse("Fermez vos fenêtres")
    assert (count.encoding, count.units, count.parts, count.per_part) == (UCS2, 19, 1, 70)
    assert count.offending == ("ê",)


def test_typographic_apostrophe_forces_ucs2():
    count = analyse("Gendarmerie : l’alerte")
    assert count.encoding == UCS2 and count.offending == ("’",)
    assert analyse("Gendarmerie : l'alerte").encoding == GSM7


def test_euro_costs_two_septets():
    assert septets("€") == 2
    count = analyse("Amende : 135 €")
    assert (count.encoding, count.characters, count.units) == (GSM7, 14, 15)
    assert analyse("€" * 80) == SmsCount(GSM7, 80, 160, 1, 160, ())
    assert analyse("€" * 81).parts == 2
    # an escape sequence is never split across two parts: 152 + 2 septets need a second part
    assert analyse("a" * 152 + "€" + "a" * 10).parts == 2
    assert analyse("a" * 151 + "€" + "a" * 153).parts == 2
    assert analyse("a" * 152 + "€" + "a" * 152).parts == 3


def test_ucs2_at_70_and_71_characters():
    assert analyse("ê" * 70) == SmsCount(UCS2, 70, 70, 1, 70, ("ê",))
    assert analyse("ê" * 71) == SmsCount(UCS2, 71, 71, 2, 67, ("ê",))
    assert analyse("ê" * 134).parts == 2
    assert analyse("ê" * 135).parts == 3


def test_offending_characters_are_unique_in_order():
    assert analyse("« Fenêtre » ’ ê « œ").offending == ("«", "ê", "»", "’", "œ")


def test_characters_outside_the_bmp_cost_two_code_units():
    count = analyse("Alerte 🚨")
    assert (count.encoding, count.characters, count.units) == (UCS2, 8, 9)


def test_replacement_makes_a_ucs2_message_gsm7():
    text = ("Gendarmerie\u00a0: l’alerte « cambriolages » concerne votre forêt, "
            "hôtel et cœur de bourg\u202f! Soyez vigilants…")
    assert analyse(text).encoding == UCS2
    fixed = replace_ucs2(text)
    assert fixed == ('Gendarmerie : l\'alerte " cambriolages " concerne votre foret, '
                     "hotel et coeur de bourg ! Soyez vigilants...")
    assert analyse(fixed).encoding == GSM7 and analyse(fixed).offending == ()
    # GSM-7 characters are left as they are, characters without a replacement too
    assert replace_ucs2("été à Noël 🚨") == "été à Noel 🚨"


def test_every_replacement_is_from_outside_gsm7_to_gsm7():
    for source, target in REPLACEMENTS.items():
        assert septets(source) is None, source
        assert analyse(target).encoding == GSM7, (source, target)


def test_the_bounds():
    assert MAX_PARTS == 6
    assert not analyse("a" * 153 * 6).too_long
    assert analyse("a" * (153 * 6 + 1)).too_long
    assert analyse("").parts == 0
    assert analyse("a").total_parts(5000) == 5000


@pytest.mark.parametrize("text", ["a" * 161, "ê" * 135, "a" * 152 + "€" + "b" * 200, "x"])
def test_split_gives_the_parts_counted(text):
    parts = split(text)
    assert "".join(parts) == text and len(parts) == analyse(text).parts
    limit = analyse(text).per_part
    for part in parts:
        assert analyse(part).units <= limit


@pytest.mark.parametrize("category", ALERT_CATEGORIES)
def test_every_category_has_a_gsm7_one_sms_template(category):
    count = analyse(TEMPLATES[category])
    assert count.encoding == GSM7 and count.parts == 1, (category, count)

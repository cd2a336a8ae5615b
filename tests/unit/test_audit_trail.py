"""The audit actions' French names (``etl.ops.audit_trail``): every action the code writes
literally has one; the forms' trails are named from their source; an unknown action is shown as
written. The audit page's pure parts: filters parsed safely, pages counted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.queries import journal as queries
from dashboard.views import journal as view
from etl.ops.audit_trail import ACTION_LABELS, label

ROOT = Path(__file__).resolve().parents[2]
#: ``audit(engine, "x", ...)``, ``_audit_in(con, "x", ...)``, ``action="x"`` and the like
WRITTEN = re.compile(r'(?:\w*(?:audit|refusal)\w*\(\s*(?:[\w.()]+,\s*)?|action=|'
                     r'_close\([^)]*?, "\w+", )"([a-z_]+)"')


def test_every_action_written_in_the_code_has_a_french_name():
    found = set()
    for path in [*ROOT.glob("etl/**/*.py"), *ROOT.glob("dashboard/**/*.py")]:
        found |= set(WRITTEN.findall(path.read_text(encoding="utf-8")))
    found -= {"store_true", "ignore"}  # argparse's, csv's extrasaction
    assert {"connexion", "acces_refuse", "alerte_creation"} <= found
    assert sorted(a for a in found if label(a) == a) == []


def test_labels():
    assert label("connexion") == "Connexion"
    assert label("saisie_dcas") == "Saisie : consultation DCAS"
    assert label("saisie_immersions_suppression") == "Suppression : immersion"
    assert label("saisie_inconnue") == "saisie_inconnue"
    assert label("action_nouvelle") == "action_nouvelle"
    assert all(text[0].isupper() for text in ACTION_LABELS.values())


@pytest.mark.parametrize("values", [
    {"login": "x" * 65}, {"start": "2026-02-30"}, {"end": "1999-12-31"}, {"start": "2026-W01-1"},
    {"departement": "35 OR 1=1"}, {"action": 3}, {"login": "a\x00"}])
def test_odd_filters_are_refused(values):
    with pytest.raises(queries.InvalidFilter, match="^Requête invalide"):
        queries.parse_filters(**values)


def test_filters_and_pages():
    parsed = queries.parse_filters(" cdt ", "", "2A", "2026-03-29", "2026-03-29")
    assert (parsed.login, parsed.action, parsed.departement) == ("cdt", None, "2A")
    # the change to summer time: France's 29 March 2026 began at 23:00 UTC the day before
    assert str(queries.utc_start(parsed.start)) == "2026-03-28 23:00:00"
    assert [view.pages(n, 50) for n in (0, 1, 50, 51)] == [1, 1, 1, 2]
    assert view.pager_text(2, 51, 50) == "Page 2 sur 2 (51 lignes)"
    assert queries.parse_page(None) == 1

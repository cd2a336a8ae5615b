"""The input forms in real headless Chromium, as a brigade: a DCAS consultation submitted with
one invalid field, corrected and recorded; at once in the DCAS work list (read from the
operational store), and on the brigade's profile once the background refresh has published it
into the warehouse; then a cyber self-diagnostic whose score comes with its colour.

The server here refreshes every second (PRESENCE_REFRESH_SECONDS=1) so that the test waits for
the publication, not for a timer; the default is 15 s (benchmarks/forms_refresh.py measures the
latency with it)."""

from __future__ import annotations

import re
import time

import pytest

from dashboard.views.saisie import input_dom_id, option_dom_id, summary_id
from etl.sources.complaints import FONCTIONS_ELU
from etl.sources.dcas import DCAS, THEMES
from etl.sources.diagnostics import ANSWERS, QUESTIONS
from tests.browser.conftest import SCREENSHOTS, choose_option, serve, sign_in
from tests.support.dashboard_fixture import add_account, add_operational_data, build_small_warehouse

#: a date inside the fixture's months (its last month is 2026-10): the profile's default period
CONSULTATION_DAY = "2026-10-15"
ID = re.compile(r"DC-\d{4}-S\d+")


@pytest.fixture(scope="module")
def forms_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("saisie")
    add_operational_data(build_small_warehouse(data_dir / "warehouse.duckdb"))
    add_account(data_dir, "brigade.test", "brigade", "35", "B35047")
    with serve(data_dir, PRESENCE_REFRESH_SECONDS="1") as base:
        yield base


def css(dom_id: str) -> str:
    """A selector for an element id that is a Dash dict id (JSON text)."""
    return f"[id='{dom_id}']"


def radio(page, form: str, field: str, value: str, values) -> None:
    page.locator(css(option_dom_id(form, field, list(values).index(value)))).check()


def test_brigade_records_a_consultation_then_a_diagnostic(forms_server, watched):
    page = watched.page
    sign_in(page, forms_server + "/saisie/dcas", "brigade.test")
    page.wait_for_selector("#dcas-enregistrer")

    # one invalid field first: a date in the future
    date_input = page.locator(css(input_dom_id("dcas", "date_consultation")))
    date_input.fill("2031-01-15")
    choose_option(page, css(input_dom_id("dcas", "code_commune")), "Bruz (35047)", "Bruz")
    radio(page, "dcas", "fonction_elu", "maire", FONCTIONS_ELU)
    radio(page, "dcas", "canal", "telephone", DCAS.field("canal").enum)
    radio(page, "dcas", "priorite", "haute", DCAS.field("priorite").enum)
    page.locator(css(option_dom_id("dcas", "attentes", THEMES.index("cambriolages")))).check()
    page.click("#dcas-enregistrer")
    summary = page.locator(css(summary_id("dcas")))
    summary.wait_for()
    assert "Le formulaire contient 1 erreur" in summary.inner_text()
    assert "futur" in summary.inner_text()
    assert "futur" in page.locator("#dcas-erreur-date_consultation").inner_text()
    # the summary's link leads to the field
    summary.get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.id") == input_dom_id(
        "dcas", "date_consultation")

    date_input.fill(CONSULTATION_DAY)
    page.click("#dcas-enregistrer")
    page.wait_for_selector("#saisie-confirmation")
    ident = ID.search(page.locator("#saisie-confirmation").inner_text()).group(0)
    assert page.locator("#dcas-erreur-date_consultation").inner_text() == ""

    # the work list reads the operational store: the consultation is there at once
    page.goto(forms_server + "/suivi-dcas")
    page.wait_for_selector(f"#suivi-dcas-liste >> text={ident}")

    # the brigade's profile reads the warehouse: there once the refresh has published it
    deadline = time.monotonic() + 120
    while True:
        page.goto(forms_server + "/brigade?id=B35047")
        page.wait_for_selector("#contenu h1")
        page.wait_for_load_state("networkidle")
        if page.locator(f"text={ident}").count():
            break
        assert time.monotonic() < deadline, f"{ident} never reached the brigade's profile"

    # a cyber self-diagnostic: weak on the five first questions → orange, with its advice
    page.goto(forms_server + "/saisie/diagnostic")
    page.wait_for_selector("#diagnostic-enregistrer")
    choose_option(page, css(input_dom_id("diagnostic", "code_commune")), "Bruz (35047)",
                  "Bruz")
    for i, question in enumerate(QUESTIONS):
        radio(page, "diagnostic", question, "non" if i < 5 else "oui", ANSWERS)
    page.click("#diagnostic-enregistrer")
    score = page.locator("#diagnostic-score")
    score.wait_for()
    assert "30,8" in score.inner_text() and "orange" in score.inner_text().lower()
    assert page.locator("#diagnostic-bilan .saisie-orange").count() == 1
    assert page.locator("#diagnostic-bilan li").count() == 5
    page.screenshot(path=str(SCREENSHOTS / "saisie-diagnostic.png"), full_page=True)
    watched.assert_clean()

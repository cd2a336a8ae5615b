"""A brigade's day in real headless Chromium (issues #11 and #19): signed in, it lands on its
own profile, with data; a DCAS consultation submitted with one invalid field, corrected and
recorded, « Enregistrer » clicked again after the confirmation storing nothing (« déjà
enregistrée »; « Mes saisies » lists it once); the consultation at once in the DCAS work list
(read from the operational store); a cyber self-diagnostic of today, its score with its colour,
then both on the brigade's profile once the background refresh has published them (the
profile's period runs to today: the facts' own figures stop at their last month); the training
form's dropdowns, their search box and list named by their labels.

The server here refreshes every second (PRESENCE_REFRESH_SECONDS=1) so that the test waits for
the publication, not for a timer; the default is 15 s (benchmarks/forms_refresh.py measures the
latency with it)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from dashboard.views import saisie_formation as formation
from dashboard.views.saisie import dom_id, field_id, input_dom_id, option_dom_id, summary_id
from etl import clock
from etl.sources.complaints import FONCTIONS_ELU
from etl.sources.dcas import DCAS, THEMES
from etl.sources.diagnostics import ANSWERS, QUESTIONS
from tests.browser.conftest import SCREENSHOTS, choose_option, serve, sign_in
from tests.support.dashboard_fixture import add_account, add_operational_data, build_small_warehouse

#: today, in France: after the fixture's last month of facts (2026-10), inside the profile's
#: default period all the same
TODAY = clock.today().isoformat()
ID = re.compile(r"DC-\d{4}-S\d+")
#: how long a record may take to reach the profile: the refresh runs every second here (its
#: default is 15 s); the rest is a busy machine's margin
PUBLISHED_WITHIN = 60


@pytest.fixture(scope="module")
def forms_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("saisie")
    add_operational_data(build_small_warehouse(data_dir / "warehouse.duckdb"))
    add_account(data_dir, "brigade.test", "brigade", "35", "B35047")
    add_account(data_dir, "admin.test", "admin")
    with serve(data_dir, PRESENCE_REFRESH_SECONDS="1") as base:
        yield base


def css(dom_id: str) -> str:
    """A selector for an element id that is a Dash dict id (JSON text)."""
    return f"[id='{dom_id}']"


def radio(page, form: str, field: str, value: str, values) -> None:
    page.locator(css(option_dom_id(form, field, list(values).index(value)))).check()


def _on_profile(page, base: str, wanted: dict[str, str]) -> None:
    """Opens the brigade's profile again until each text of ``wanted`` (table id → text) is in
    its table (the refresh publishes the forms' records), within :data:`PUBLISHED_WITHIN`
    seconds."""
    deadline = time.monotonic() + PUBLISHED_WITHIN
    while True:
        page.goto(base + "/brigade?id=B35047")
        page.wait_for_selector("#fiche-brigade-communes-tableau")
        page.wait_for_load_state("networkidle")
        missing = {table: text for table, text in wanted.items()
                   if not page.locator(f"#{table} >> text={text}").count()}
        if not missing:
            return
        assert time.monotonic() < deadline, f"{missing} never reached the brigade's profile"


def test_brigade_lands_on_its_profile_records_once_and_sees_its_records_published(
        forms_server, watched):
    page = watched.page
    # signed in from the home page, a brigade lands on its profile, with its figures
    sign_in(page, forms_server + "/", "brigade.test")
    page.wait_for_url("**/brigade?id=B35047")
    page.wait_for_selector("#fiche-brigade-communes-tableau >> text=Chartres-de-Bretagne")
    assert page.locator("#acces-refuse").count() == 0
    assert page.locator("#fiche-brigade-chiffres .kpi-value").count() >= 5

    page.goto(forms_server + "/saisie/dcas")
    page.wait_for_selector("#dcas-enregistrer")
    # one invalid field first: a date in the future
    date_input = page.locator(css(input_dom_id("dcas", "date_consultation")))
    assert date_input.input_value() == TODAY  # today by default
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

    date_input.fill(TODAY)
    page.click("#dcas-enregistrer")
    page.wait_for_selector("#saisie-confirmation >> text=Consultation enregistrée")
    ident = ID.search(page.locator("#saisie-confirmation").inner_text()).group(0)
    assert page.locator("#dcas-erreur-date_consultation").inner_text() == ""
    # a second click on the same filled form: the same consultation, nothing stored again
    page.click("#dcas-enregistrer")
    page.wait_for_selector("#saisie-confirmation >> text=Consultation déjà enregistrée")
    assert ID.search(page.locator("#saisie-confirmation").inner_text()).group(0) == ident
    page.screenshot(path=str(SCREENSHOTS / "saisie-deja-enregistree.png"), full_page=True)
    # « Nouvelle saisie »: the form empty again, ready for the next consultation
    page.click(css(dom_id({"type": "dcas-nouvelle-saisie", "index": 0})))
    page.wait_for_selector("#saisie-confirmation", state="detached")
    assert page.locator(css(input_dom_id("dcas", "code_commune"))).inner_text() == "Choisir…"
    page.goto(forms_server + "/saisie/mes-saisies")
    page.wait_for_selector(f"#mes-saisies-liste >> text={ident}")
    assert page.locator("#mes-saisies-liste tbody tr").count() == 1

    # the work list reads the operational store: the consultation is there at once
    page.goto(forms_server + "/suivi-dcas")
    page.wait_for_selector(f"#suivi-dcas-liste >> text={ident}")

    # a cyber self-diagnostic of today: weak on the five first questions → orange, advice
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

    # the profile reads the warehouse: both there once the refresh has published them, in a
    # period that runs to today (the fixture's facts stop in October)
    day = clock.today().strftime("%d/%m/%Y")
    _on_profile(page, forms_server, {"fiche-brigade-dcas-tableau": ident,
                                     "fiche-brigade-cyber-tableau": day})
    assert "Orange" in page.locator("#fiche-brigade-cyber-tableau tbody tr").filter(
        has_text=day).inner_text()
    watched.assert_clean()


def test_the_training_forms_dropdowns_are_named_by_their_labels(forms_server, watched):
    """Each dropdown of the training form (theme, commune, each attendee's function and
    commune), its search box and its list once open, are named by the field's label."""
    page = watched.page
    sign_in(page, forms_server + "/saisie/formation", "brigade.test")
    page.wait_for_selector("#formation-enregistrer")
    page.click("#formation-ajouter")  # a second attendee: rows drawn by a callback too
    page.wait_for_selector(css(dom_id(formation.attendee_id(1, "code_commune_participant"))))
    fields = [(dom_id(field_id("formation", n)), label)
              for n, label in (("theme", "Thème de la formation"),
                               ("code_commune_session", "Commune où s'est tenue la session"))]
    fields += [(dom_id(formation.attendee_id(i, n)), label) for i in (0, 1)
               for n, label in (("fonction_participant", "Fonction du participant"),
                                ("code_commune_participant", "Commune du participant"))]
    for dom, label in fields:
        name = re.compile("^" + re.escape(label) + r" \(obligatoire\)")
        button = page.locator(css(dom))
        expect(button).to_have_accessible_name(name)
        button.focus()
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("searchbox")).to_have_accessible_name(name)
        expect(page.get_by_role("listbox")).to_have_accessible_name(name)
        page.keyboard.press("Escape")
        expect(page.get_by_role("searchbox")).to_have_count(0)
    watched.assert_clean()


def test_a_national_user_finds_a_commune_by_typing_it(forms_server, watched):
    """An administrator's forms carry no national list of communes: typed, a name is searched
    on the server (accents aside), and the choice stays when the attendee rows are drawn
    again."""
    page = watched.page
    sign_in(page, forms_server + "/saisie/formation", "admin.test")
    page.wait_for_selector("#formation-enregistrer")
    session = css(dom_id(field_id("formation", "code_commune_session")))
    attendee = css(dom_id(formation.attendee_id(0, "code_commune_participant")))
    choose_option(page, session, "Fougères (35115)", "fougeres")
    choose_option(page, attendee, "Schœlcher (97229)", "schoelcher")
    page.click("#formation-ajouter")
    page.wait_for_selector(css(dom_id(formation.attendee_id(1, "code_commune_participant"))))
    assert page.locator(session).inner_text() == "Fougères (35115)"
    assert page.locator(attendee).inner_text() == "Schœlcher (97229)"
    watched.assert_clean()

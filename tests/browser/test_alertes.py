"""An SMS alert end to end in real headless Chromium: a brigade composes it — its brigade's
communes, the category's template, then a ’ typed in: « UCS-2 » and more SMS parts, until one
click replaces the special characters (« GSM-7 » again) — and submits it; a commandant of the
département, in another browser context, validates it on the alert's page; that page then shows
the deliveries arriving (the worker started by `python -m dashboard` sends through the simulated
gateway), without being reloaded.

The server's worker rounds every second (PRESENCE_ALERTS_WORKER_SECONDS=1) so that the test
waits for the deliveries, not for a timer. Every wait is for a condition, never a fixed sleep."""

from __future__ import annotations

import re

import duckdb
import pytest

from etl.alerts.encoding import analyse, replace_ucs2
from etl.alerts.workflow import TEMPLATES
from tests.browser.conftest import SCREENSHOTS, Watched, choose_option, serve, sign_in
from tests.browser.test_accessibility import AXE
from tests.browser.test_accessibility import _check as check_axe
from tests.support.dashboard_fixture import _insert as insert_rows
from tests.support.dashboard_fixture import (
    add_account,
    add_alert_contacts,
    add_operational_data,
    build_small_warehouse,
)

ADDED = " Merci d’avertir vos administrés."
ALERT_ID = re.compile(r"AL-\d{4}-S\d{6}")
#: a busy machine (2 cores shared by the server, its worker and Chromium): generous, but each
#: wait ends as soon as its condition holds
WAIT = 60_000
#: contacts of Saint-Aubin-du-Cormier added for the contacts page's timing (issue #19: 412 in
#: Ille-et-Vilaine, 16-17 s to draw): with the fixture's others, 412 in the département
MANY = 405
#: Javené: its only élu declined the alerts here, so that an alert to it has no recipient
NO_RECIPIENT = ("35142", "Javené")
#: from the page's navigation to its table drawn: 16 s before pagination, under 2 s on an idle
#: machine after; generous for a busy one (the server, its worker and Chromium on 2 cores)
CONTACTS_BOUND_MS = 5_000


def add_many_contacts(path) -> None:
    """:data:`MANY` opted-in contacts in Saint-Aubin-du-Cormier (fictional mobiles, 06 39 98
    xx xx), and no recipient left in Javené."""
    con = duckdb.connect(str(path))
    try:
        base = {"synthetique": True, "fichier": "fixture", "run_id": "fixture", "empreinte": "0"}
        functions = ("maire", "adjoint", "conseiller_municipal", "secretaire_mairie")
        insert_rows(con, "elu_contacts", [
            {**base, "id_contact": f"CT-35253-{100 + i}", "code_commune": "35253",
             "fonction": functions[i % 4], "telephone": f"+3363998{5000 + i:04d}",
             "opt_in": True, "date_opt_in": "2025-01-15", "canal_opt_in": "courriel"}
            for i in range(MANY)])
        con.execute("UPDATE elu_contacts SET opt_in = FALSE WHERE code_commune = ?",
                    [NO_RECIPIENT[0]])
        con.execute("CHECKPOINT")
    finally:
        con.close()


@pytest.fixture(scope="module")
def alerts_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("alertes")
    warehouse = add_alert_contacts(add_operational_data(build_small_warehouse(
        data_dir / "warehouse.duckdb")))
    add_many_contacts(warehouse)
    add_account(data_dir, "brigade.test", "brigade", "35", "B35047")
    add_account(data_dir, "commandant.test", "commandant", "35")
    with serve(data_dir, PRESENCE_ALERTS_WORKER_SECONDS="1",
               PRESENCE_REFRESH_SECONDS="1") as base:
        yield base


def _text_is(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s);"
        " return e && e.innerText.trim() === t; }",
        arg=[selector, expected], timeout=WAIT)


def test_a_brigade_composes_a_commandant_validates_deliveries_arrive(alerts_server, watched,
                                                                     browser):
    page = watched.page
    sign_in(page, alerts_server + "/alertes/nouvelle", "brigade.test")
    page.wait_for_selector("#alerte-soumettre", timeout=WAIT)

    # the area: the brigade's communes; the recipients are counted at once
    page.click("#alerte-ajouter-brigade")
    _text_is(page, "#alerte-selection", "2 communes sélectionnées")
    page.wait_for_selector("#alerte-destinataires >> text=4 destinataires", timeout=WAIT)

    # the category's template, GSM-7; then a typographic apostrophe: UCS-2, more parts
    choose_option(page, "#alerte-categorie", "Cambriolages")
    message = page.get_by_label("Message", exact=True)
    page.wait_for_function("(t) => document.getElementById('alerte-message').value === t",
                           arg=TEMPLATES["cambriolages"], timeout=WAIT)
    template = analyse(TEMPLATES["cambriolages"])
    page.wait_for_selector(f"#alerte-caracteres >> text=/^{template.characters}$/",
                           timeout=WAIT)
    _text_is(page, "#alerte-codage", "GSM-7")
    assert page.locator("#alerte-parties").inner_text().startswith(f"{template.parts} (")
    typed = TEMPLATES["cambriolages"] + ADDED
    message.fill(typed)
    _text_is(page, "#alerte-codage", "UCS-2")
    ucs2 = analyse(typed)
    assert ucs2.parts > template.parts
    page.wait_for_selector(f"#alerte-parties >> text=/^{ucs2.parts} \\(/", timeout=WAIT)
    page.wait_for_selector(f"#alerte-total >> text=/^{ucs2.parts * 4} SMS/", timeout=WAIT)
    assert "« ’ »" in page.locator("#alerte-caracteres-speciaux").inner_text()

    # one click: GSM-7 again, fewer parts
    page.get_by_role("button", name="Remplacer les caractères spéciaux").click()
    _text_is(page, "#alerte-codage", "GSM-7")
    gsm = analyse(replace_ucs2(typed))
    assert gsm.parts < ucs2.parts
    page.wait_for_selector(f"#alerte-parties >> text=/^{gsm.parts} \\(/", timeout=WAIT)
    assert "’" not in message.input_value() and "d'avertir" in message.input_value()
    assert page.locator("#alerte-caracteres-speciaux-bloc").is_hidden()

    page.get_by_role("button", name="Soumettre à validation").click()
    confirmation = page.locator("#alerte-confirmation")
    confirmation.wait_for(timeout=WAIT)
    ident = ALERT_ID.search(confirmation.inner_text()).group(0)
    page.screenshot(path=str(SCREENSHOTS / "alerte-nouvelle.png"), full_page=True)
    watched.assert_clean()

    # a commandant of the département, in another browser context, validates it
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
    try:
        other = Watched(context.new_page())
        review = other.page
        sign_in(review, f"{alerts_server}/alertes/alerte?id={ident}", "commandant.test")
        statement = review.locator("#fiche-alerte-engagement")
        statement.wait_for(timeout=WAIT)
        assert "4 destinataires" in statement.inner_text()
        assert f"{gsm.parts * 4} SMS" in statement.inner_text()
        assert review.locator("#fiche-alerte-texte").inner_text() == replace_ucs2(typed)
        if AXE.exists():  # the validation view (statement, buttons, the refusal's reason)
            problems = check_axe(review, "/alertes/alerte (validation)", "#fiche-alerte-engagement")
            assert problems == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(problems)
        review.get_by_role("button", name="Valider l'envoi").click()
        review.wait_for_selector("#fiche-alerte-ok", timeout=WAIT)
        # the deliveries arrive on the page, refreshed without a reload
        review.wait_for_function(
            "() => { const e = document.getElementById('fiche-alerte-remis');"
            " return e && parseInt(e.innerText, 10) > 0; }", timeout=WAIT)
        review.wait_for_selector("#fiche-alerte-messages >> text=Remis", timeout=WAIT)
        assert "Validation" in review.locator("#fiche-alerte-journal").inner_text()
        review.screenshot(path=str(SCREENSHOTS / "alerte-envoi.png"), full_page=True)
        other.assert_clean()
    finally:
        context.close()



def test_the_contacts_of_a_departement_are_drawn_within_seconds(alerts_server, watched):
    """412 contacts in Ille-et-Vilaine: the page shows one page of them, searchable, in less
    than :data:`CONTACTS_BOUND_MS` from its navigation (measured by the browser's clock)."""
    page = watched.page
    url = alerts_server + "/alertes/contacts"
    sign_in(page, url, "commandant.test")
    page.wait_for_selector("#contacts-table tbody tr", timeout=WAIT)
    page.goto(url)  # the measured visit: signed in, the scripts in the browser's cache
    drawn = page.wait_for_function(
        "() => { const t = document.querySelector('#contacts-table tbody tr');"
        " return t && t.offsetParent !== null && performance.now(); }",
        timeout=WAIT, polling="raf").json_value()
    print(f"contacts page drawn in {drawn:.0f} ms")
    assert drawn < CONTACTS_BOUND_MS, f"contacts page drawn in {drawn:.0f} ms"
    assert "412 contacts" in page.locator("#contacts-compte").inner_text()
    assert page.locator("#contacts-table tbody tr").count() <= 50
    # the search: a commune's name, accents or not
    page.get_by_label("Rechercher un contact").fill("javene")
    page.wait_for_selector("#contacts-compte >> text=/^1 contact sur 412/", timeout=WAIT)
    assert "Javené (35142)" in page.locator("#contacts-table").inner_text()
    watched.assert_clean()


def test_an_alert_without_any_recipient_is_refused_before_validation(alerts_server, watched):
    """Javené's only élu declined the alerts: the composer says at once that nobody would
    receive it, and a submission is refused with that reason (nothing reaches a validator)."""
    page = watched.page
    sign_in(page, alerts_server + "/alertes/nouvelle", "commandant.test")
    page.wait_for_selector("#alerte-soumettre", timeout=WAIT)
    # « Rayon (km) » under « Autour de la commune », its label above it (it stood beside it)
    centre, km = (page.locator(s).bounding_box() for s in ("#alerte-centre", "#alerte-rayon"))
    label = page.locator("label[for=alerte-rayon]").bounding_box()
    assert abs(km["x"] - centre["x"]) < 1 and abs(label["x"] - centre["x"]) < 1
    assert label["y"] + label["height"] <= km["y"]
    code, name = NO_RECIPIENT
    choose_option(page, "#alerte-communes", f"{name} ({code})", search=name)
    warning = page.locator("#alerte-destinataires")
    page.wait_for_selector("#alerte-destinataires >> text=Aucun destinataire", timeout=WAIT)
    assert "ne peut pas être soumise" in warning.inner_text()
    choose_option(page, "#alerte-categorie", "Cambriolages")
    page.wait_for_function("(t) => document.getElementById('alerte-message').value === t",
                           arg=TEMPLATES["cambriolages"], timeout=WAIT)
    page.get_by_role("button", name="Soumettre à validation").click()
    page.wait_for_selector("#alerte-erreurs, #alerte-confirmation", timeout=WAIT)
    assert page.locator("#alerte-confirmation").count() == 0, "an alert nobody would receive"
    assert "aucun destinataire" in page.locator("#alerte-erreurs").inner_text()
    watched.assert_clean()

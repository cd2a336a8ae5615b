"""Every page checked by a real accessibility engine: axe-core (node_modules, pinned in
package.json) runs in headless Chromium on each page once its content is rendered, signed out
(the sign-in page, also with its error message) and signed in, against the WCAG 2.1 A and AA
rules. A violation fails the test with its rule, impact and first targets."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ROOT, choose_option, sign_in

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: every page once rendered: Dash has no callback pending (its renderer shows
#: ._dash-loading-callback meanwhile), no component is loading, no spinner turns
SETTLED = """() => document.querySelector('#_pages_content, form') && !document.querySelector(
    '._dash-loading, ._dash-loading-callback, [data-dash-is-loading="true"], .dash-spinner')"""
UNKNOWN = "/adresse-inconnue"
#: (address, what shows that its content is rendered), signed in
PAGES = [
    ("/", "#organisation-tableau-donnees tbody tr"),
    ("/vue-ensemble?perimetre=departement:35", "#kpi-plaintes .kpi-value"),
    ("/carte?perimetre=departement:35&maille=commune", "#carte-tableau-donnees tbody tr"),
    ("/tendances?perimetre=brigade:B35047", "#tendances-calendrier .heatmaplayer .hm"),
    ("/commune?code=35047", "#fiche-commune-plaintes-tableau"),
    ("/brigade?id=B35047", "#fiche-brigade-communes-tableau"),
    ("/recommandations?perimetre=departement:35", "#reco-tableau-donnees tbody tr"),
    ("/methodologie", "#methodologie-sources"),
    (UNKNOWN, "text=Page introuvable"),
]
#: the input forms and the DCAS work list, as a commandant (who may write): (address, rendered)
FORM_PAGES = [
    ("/saisie/dcas", "#dcas-enregistrer"),
    ("/saisie/plainte", "#plainte-enregistrer"),
    ("/saisie/formation", "#formation-enregistrer"),
    ("/saisie/immersion", "#immersion-enregistrer"),
    ("/saisie/diagnostic", "#diagnostic-enregistrer"),
    ("/suivi-dcas", "#suivi-dcas-liste"),
]
#: the SMS alert pages, as a commandant (who writes and validates alerts): (address, rendered);
#: an alert's own page is checked once the test has written one (``ALERT_PAGE``)
ALERT_PAGES = [
    ("/alertes", "#alertes-liste .empty-state, #alertes-liste table"),
    ("/alertes/contacts", "#contacts-table tbody tr"),
    ("/alertes/nouvelle", "#alerte-comptes dl"),
]
ALERT_PAGE = "#fiche-alerte-journal table"
#: third-party violations that cannot be fixed here: (rule id, target selector) -> reason
ALLOWED: dict[tuple[str, str], str] = {}


def _axe(page) -> list[dict]:
    """axe-core's violations on the page. Evaluated through the DevTools protocol, so that a
    strict Content-Security-Policy (``script-src 'self'``) does not stop it."""
    run = """
        return await window.axe.run(document, {runOnly: {type: "tag", values: tags},
                                               resultTypes: ["violations"]})
            .then((r) => r.violations.map((v) => ({
                id: v.id, impact: v.impact,
                targets: v.nodes.map((n) => n.target.join(" "))})));
    """
    return page.evaluate(f"async (tags) => {{ {AXE.read_text()}\n;{run} }}", TAGS)


def _check(page, url: str, rendered: str) -> list[str]:
    page.wait_for_selector(rendered, state="attached")
    page.wait_for_function(SETTLED, polling="raf")
    problems = []
    for violation in _axe(page):
        targets = [t for t in violation["targets"] if (violation["id"], t) not in ALLOWED]
        if targets:
            problems.append(f"{url}: {violation['id']} ({violation['impact']}, "
                            f"{len(targets)} elements) {targets[:4]}")
    return problems


@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core absent: run npm ci")
def test_signed_out_pages_pass_axe(server, watched):
    page = watched.page
    page.goto(server + "/carte")  # any page: the sign-in page comes first
    problems = _check(page, "/connexion", "#login")
    sign_in(page, server + "/", "analyste.test", "mauvais mot de passe")
    problems += _check(page, "/connexion (erreur)", ".alert")
    assert problems == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(problems)
    watched.assert_clean()


@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core absent: run npm ci")
def test_signed_in_pages_pass_axe(server, watched):
    page = watched.page
    problems = []
    for number, (url, rendered) in enumerate(PAGES):
        seen = len(watched.errors)
        if number == 0:
            sign_in(page, server + url, "analyste.test")
        else:
            page.goto(server + url)
        problems += _check(page, url, rendered)
        if url == UNKNOWN:  # answered with a 404, which Chromium reports as a console error
            watched.errors[seen:] = [e for e in watched.errors[seen:] if "status of 404" not in e]
    assert problems == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(problems)
    watched.assert_clean()


@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core absent: run npm ci")
def test_form_pages_pass_axe(server, watched):
    """The forms as those who fill them see them (a commandant: every form, his département's
    communes), and the work list."""
    page = watched.page
    problems = []
    for number, (url, rendered) in enumerate(FORM_PAGES):
        if number == 0:
            sign_in(page, server + url, "commandant.test")
        else:
            page.goto(server + url)
        problems += _check(page, url, rendered)
    assert problems == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(problems)
    watched.assert_clean()


@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core absent: run npm ci")
def test_alert_pages_pass_axe(server, watched):
    """The alert pages as a commandant, then the page of an alert he writes (its composer
    filled first: recipients, counts and the special characters' block shown)."""
    page = watched.page
    problems = []
    for number, (url, rendered) in enumerate(ALERT_PAGES):
        if number == 0:
            sign_in(page, server + url, "commandant.test")
        else:
            page.goto(server + url)
        problems += _check(page, url, rendered)
    # still on the composer: an area, a message with a ’, then the alert's page
    choose_option(page, "#alerte-brigade", "Bruz (B35047)", "Bruz")
    page.click("#alerte-ajouter-brigade")
    page.wait_for_selector("#alerte-destinataires table")
    choose_option(page, "#alerte-categorie", "Rodéos motorisés", "Rodéos")
    page.wait_for_function("() => document.getElementById('alerte-message').value !== ''")
    page.get_by_label("Message", exact=True).fill("Gendarmerie : l’accès au parc est fermé.")
    page.wait_for_selector("#alerte-caracteres-speciaux-bloc:not([hidden])")
    problems += _check(page, "/alertes/nouvelle (remplie)", "#alerte-destinataires table")
    page.click("#alerte-soumettre")
    page.click("#alerte-lien")
    problems += _check(page, "/alertes/alerte", ALERT_PAGE)
    assert problems == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(problems)
    watched.assert_clean()

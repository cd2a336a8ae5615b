"""Every page checked by a real accessibility engine: axe-core (node_modules, pinned in
package.json) runs in headless Chromium on each page once its content is rendered, signed out
(the sign-in page, also with its error message) and signed in, against the WCAG 2.1 A and AA
rules, at 1280 px and again on a phone's 390 px (the same visit, the window narrowed: the menu
folded, and no page wider than the screen). A violation fails the test with its rule, impact
and first targets; so does a page that scrolls sideways on the phone. One more test opens and
closes the folded menu on the phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import ROOT, choose_option, sign_in

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: every page once rendered: Dash has no callback pending (its renderer shows
#: ._dash-loading-callback meanwhile), no component is loading, no spinner turns
SETTLED = """() => document.querySelector('#_pages_content, form') && !document.querySelector(
    '._dash-loading, ._dash-loading-callback, [data-dash-is-loading="true"], .dash-spinner')"""
UNKNOWN = "/adresse-inconnue"
ALERT_PAGE = "#fiche-alerte-journal table"
COMPOSER = "/alertes/nouvelle"
#: how each registered page is visited: (address, what shows that its content is rendered,
#: who). ``analyste``: signed in as an analyst; ``saisie``: the input forms and the DCAS work
#: list, as a commandant (who may write: every form, his département's communes); ``alertes``:
#: the SMS alert pages, as a commandant (who writes and validates alerts; the composer last,
#: then filled); ``alerte``: an alert's own page, once the test has written one; ``admin``: the
#: administrators' pages, as an administrator. A registered
#: page not listed here is visited with DEFAULT_VISIT.
VISITS: dict[str, tuple[str | None, str, str]] = {
    "/": ("/", "#organisation-tableau-donnees tbody tr", "analyste"),
    "/vue-ensemble": ("/vue-ensemble?perimetre=departement:35", "#kpi-plaintes .kpi-value",
                      "analyste"),
    "/carte": ("/carte?perimetre=departement:35&maille=commune",
               "#carte-tableau-donnees tbody tr", "analyste"),
    "/tendances": ("/tendances?perimetre=brigade:B35047",
                   "#tendances-calendrier .heatmaplayer .hm", "analyste"),
    "/commune": ("/commune?code=35047", "#fiche-commune-plaintes-tableau", "analyste"),
    "/brigade": ("/brigade?id=B35047", "#fiche-brigade-communes-tableau", "analyste"),
    "/recommandations": ("/recommandations?perimetre=departement:35",
                         "#reco-tableau-donnees tbody tr", "analyste"),
    "/methodologie": ("/methodologie", "#methodologie-sources", "analyste"),
    "/404": (UNKNOWN, "text=Page introuvable", "analyste"),
    "/saisie/dcas": ("/saisie/dcas", "#dcas-enregistrer", "saisie"),
    "/saisie/plainte": ("/saisie/plainte", "#plainte-enregistrer", "saisie"),
    "/saisie/formation": ("/saisie/formation", "#formation-enregistrer", "saisie"),
    "/saisie/immersion": ("/saisie/immersion", "#immersion-enregistrer", "saisie"),
    "/saisie/diagnostic": ("/saisie/diagnostic", "#diagnostic-enregistrer", "saisie"),
    "/saisie/mes-saisies": ("/saisie/mes-saisies",
                            "#mes-saisies-saisies .empty-state, #mes-saisies-liste", "saisie"),
    "/suivi-dcas": ("/suivi-dcas", "#suivi-dcas-liste", "saisie"),
    "/alertes": ("/alertes", "#alertes-liste .empty-state, #alertes-liste table", "alertes"),
    "/alertes/contacts": ("/alertes/contacts", "#contacts-table tbody tr", "alertes"),
    COMPOSER: (COMPOSER, "#alerte-comptes dl", "alertes"),
    "/alertes/alerte": (None, ALERT_PAGE, "alerte"),
    "/fiche": ("/fiche?perimetre=departement:35", "#fiche-communes-tableau tbody tr",
               "analyste"),
    "/plan-brigade": ("/plan-brigade?perimetre=departement:35",
                      "#plan-brigade-liste tbody tr", "analyste"),
    "/administration/journal": ("/administration/journal", "#journal-tableau tbody tr",
                                "admin"),
}
#: a page with no entry in VISITS: its own address, signed in as an analyst, once its title is
#: drawn
DEFAULT_VISIT = ("#_pages_content h1", "analyste")


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> list[str]:
    """The paths of the pages the app registers (``dash.page_registry``, which creating the
    app fills), in the registry's order."""
    import dash

    from dashboard.app import create_app
    from tests.conftest import make_settings

    create_app(make_settings(tmp_path_factory.mktemp("registry")))
    return [p["path"] for p in dash.page_registry.values()]


def _visit(path: str) -> tuple[str | None, str, str]:
    return VISITS.get(path, (path, *DEFAULT_VISIT))


def visits(registered: list[str], who: str) -> list[tuple[str, str]]:
    """(address, rendered) of the registered pages ``who`` visits, in the registry's order (the
    alert composer last)."""
    out = [(address, rendered) for address, rendered, by in map(_visit, registered) if by == who]
    return sorted(out, key=lambda v: v[0] == COMPOSER)
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


#: the desktop window the visits open at, and a phone's (an iPhone 12 to 15: 390 × 844)
DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
#: the page has reflowed on the phone: Plotly's graphs are redrawn at the new width (they follow
#: their block), and each block that now scrolls sideways is reachable with the keyboard
#: (dashboard/assets/tables.js)
REFLOWED = """(width) => window.innerWidth === width
    && [...document.querySelectorAll('.js-plotly-plot .main-svg')].every(
        (svg) => svg.getBoundingClientRect().right <= width + 1 || svg.closest('.table-responsive'))
    && [...document.querySelectorAll('.table-responsive')].every(
        (block) => block.scrollWidth <= block.clientWidth + 1 || block.hasAttribute('tabindex'))"""
#: what makes a page wider than the window (the elements wider than their parent), for the
#: message of a failure
WIDER = """(width) => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 1
            && e.parentElement.getBoundingClientRect().right <= width + 1)
    .slice(0, 4).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (typeof e.className === 'string' && e.className
                        ? '.' + e.className.trim().split(/ +/).join('.') : ''))"""


def _violations(page, url: str) -> list[str]:
    problems = []
    for violation in _axe(page):
        targets = [t for t in violation["targets"] if (violation["id"], t) not in ALLOWED]
        if targets:
            problems.append(f"{url}: {violation['id']} ({violation['impact']}, "
                            f"{len(targets)} elements) {targets[:4]}")
    return problems


def _check(page, url: str, rendered: str) -> list[str]:
    """axe-core at the desktop's width, then on the phone's within the same visit (no second
    load: the window is narrowed, the layout reflows), where the page may not scroll
    sideways; the window is widened again for what follows."""
    page.wait_for_selector(rendered, state="attached")
    page.wait_for_function(SETTLED, polling="raf")
    problems = _violations(page, url)
    page.set_viewport_size(PHONE)
    try:
        try:  # what does not reflow is said below, by axe-core and the page's width
            page.wait_for_function(REFLOWED, arg=PHONE["width"], polling="raf", timeout=15_000)
        except PlaywrightTimeout:
            pass
        page.wait_for_function(SETTLED, polling="raf")
        problems += _violations(page, f"{url} ({PHONE['width']} px)")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{url} ({PHONE['width']} px): the page is {width} px wide, "
                            f"scrolled sideways by {page.evaluate(WIDER, PHONE['width'])}")
    finally:
        page.set_viewport_size(DESKTOP)
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


def test_every_registered_page_is_visited(registered):
    """Every page the app registers is visited by one of the tests below (as VISITS says, or
    as DEFAULT_VISIT); an entry for a page no longer registered, or for nobody, is an error."""
    assert set(VISITS) <= set(registered), set(VISITS) - set(registered)
    by = {path: _visit(path)[2] for path in registered}
    assert set(by.values()) == {"analyste", "saisie", "alertes", "alerte", "admin"}, by
    assert [p for p, who in by.items() if who == "alerte"] == ["/alertes/alerte"]
    assert all(_visit(p)[0] for p, who in by.items() if who != "alerte")


@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core absent: run npm ci")
def test_signed_in_pages_pass_axe(server, watched, registered):
    page = watched.page
    problems = []
    for number, (url, rendered) in enumerate(visits(registered, "analyste")):
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
def test_form_pages_pass_axe(server, watched, registered):
    """The forms as those who fill them see them (a commandant: every form, his département's
    communes), and the work list."""
    page = watched.page
    problems = []
    for number, (url, rendered) in enumerate(visits(registered, "saisie")):
        if number == 0:
            sign_in(page, server + url, "commandant.test")
        else:
            page.goto(server + url)
        problems += _check(page, url, rendered)
    assert problems == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(problems)
    watched.assert_clean()


@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core absent: run npm ci")
def test_alert_pages_pass_axe(server, watched, registered):
    """The alert pages as a commandant, then the page of an alert he writes (its composer
    filled first: recipients, counts and the special characters' block shown)."""
    page = watched.page
    problems = []
    pages = visits(registered, "alertes")
    assert pages[-1][0] == COMPOSER
    for number, (url, rendered) in enumerate(pages):
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


@pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core absent: run npm ci")
def test_admin_pages_pass_axe(server, watched, registered):
    """The administrators' pages (the audit log: its filters and a page of records) as an
    administrator."""
    page = watched.page
    problems = []
    for number, (url, rendered) in enumerate(visits(registered, "admin")):
        if number == 0:
            sign_in(page, server + url, "admin.test")
        else:
            page.goto(server + url)
        problems += _check(page, url, rendered)
    assert problems == [], "axe-core (WCAG 2.1 A/AA):\n" + "\n".join(problems)
    watched.assert_clean()


EXPANDED = "() => document.getElementById('menu-bouton').getAttribute('aria-expanded') === '{}'"


def test_the_menu_folds_on_a_phone(server, watched):
    """On a phone the menu is one « Menu » button: it unfolds the links and the user's menu
    (aria-expanded), a link opens its page and folds the menu again, the button folds it too.
    The analyst's « Recommandations » opens without a territory: none of the plan's callbacks
    may fire on its missing inputs (a console error before)."""
    page = watched.page
    page.set_viewport_size(PHONE)
    sign_in(page, server + "/methodologie", "analyste.test")
    page.wait_for_selector("#methodologie-sources", state="attached")
    button = page.get_by_role("button", name="Menu", exact=True)
    menu = page.locator("#menu")
    assert button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "menu" and not menu.is_visible()
    assert page.locator("nav.navbar").bounding_box()["height"] < 80  # 420 px unfolded before
    button.click()
    page.wait_for_function(EXPANDED.format("true"), polling="raf")
    link = page.get_by_role("link", name="Recommandations", exact=True)
    link.wait_for(state="visible")
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    link.click()
    page.wait_for_selector("#_pages_content h1:text-is('Recommandations')")
    page.wait_for_function(EXPANDED.format("false"), polling="raf")
    menu.wait_for(state="hidden")
    page.wait_for_function(SETTLED, polling="raf")
    button.click()
    page.wait_for_function(EXPANDED.format("true"), polling="raf")
    menu.wait_for(state="visible")
    button.click()
    page.wait_for_function(EXPANDED.format("false"), polling="raf")
    menu.wait_for(state="hidden")
    watched.assert_clean()

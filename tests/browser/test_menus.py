"""Each role's menu, in Chromium, as the role meets it after signing in: it lands on a page with
data, its menu holds what it may open and not what it may not, and every link of it opens its
page without a refusal and without a console error (« ID not found in layout », « nonexistent
object »: a callback of one page variant waiting for a component another lacks) (also without
a browser in tests/app/test_shell.py) (issue #19: « Organisation » and « Recommandations »
stayed in a brigade's menu and refused it; préfets saw « Saisie », read-only for them)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

#: the menu's links, and the page each role lands on (what shows it holds data)
LINKS = "#menu a.nav-link"
#: (login, where it lands, what shows that page's data, links that must be in its menu, links
#: that must not): written from the roles' rights (README « Rôles »), not read from the code
ROLES = [
    ("brigade.test", "**/brigade?id=B35047", "#fiche-brigade-communes-tableau tbody tr",
     {"/vue-ensemble", "/saisie/dcas", "/plan-brigade", "/alertes", "/methodologie"},
     {"/", "/recommandations"}),
    ("prefet.test", "**/", "#organisation-tableau-donnees tbody tr",
     {"/", "/vue-ensemble", "/carte", "/recommandations", "/fiche", "/methodologie"},
     {"/saisie/dcas", "/saisie/plainte", "/saisie/mes-saisies", "/alertes/nouvelle"}),
    ("commandant.test", "**/", "#organisation-tableau-donnees tbody tr",
     {"/", "/vue-ensemble", "/carte", "/recommandations", "/fiche", "/plan-brigade",
      "/saisie/dcas", "/alertes", "/methodologie"}, set()),
]


@pytest.mark.parametrize(("login", "lands", "data", "present", "absent"), ROLES,
                         ids=[r[0] for r in ROLES])
def test_a_role_lands_on_data_and_opens_every_link_of_its_menu(server, watched, login, lands,
                                                              data, present, absent):
    page = watched.page
    sign_in(page, server + "/", login)
    page.wait_for_url(lands)
    page.wait_for_selector(data)
    assert page.locator("#acces-refuse").count() == 0
    links = page.eval_on_selector_all(LINKS, "(as) => as.map((a) => a.getAttribute('href'))")
    assert present <= set(links), f"{login}: missing {present - set(links)} in {links}"
    assert not absent & set(links), f"{login}: {absent & set(links)} in its menu"
    for link in links:
        page.click(f"{LINKS}[href='{link}']")
        page.wait_for_function("(path) => window.location.pathname === path", arg=link)
        page.wait_for_selector("#_pages_content h1")
        page.wait_for_load_state("networkidle")
        assert page.locator("#acces-refuse").count() == 0, f"{login}: {link} refused"
    watched.assert_clean()

"""The methodology page in real headless Chromium: loads clean, shows the synthetic notice."""

from __future__ import annotations

from tests.browser.conftest import SCREENSHOTS, sign_in


def test_methodology_page_loads_clean(server, watched):
    page = watched.page
    sign_in(page, server + "/methodologie", "prefet.test")
    page.wait_for_selector("#methodologie-sources", timeout=20_000)
    text = page.locator("main").inner_text()
    assert "Sources et chargements" in text
    assert "n'est pas toute la délinquance" in text
    # the synthetic-data banner is on every page while demo data are loaded
    assert page.locator("#bandeau-synthetique").is_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "methodologie.png"), full_page=True)
    watched.assert_clean()

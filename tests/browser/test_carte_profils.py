"""The « Carte » and profile pages in real headless Chromium: no console error, nothing fetched
from outside, a département chosen in the filter bar redraws the map, a click on a commune opens
its profile, a new indicator only recolours the map, and the CSV export downloads."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import SCREENSHOTS, address, dropdown_option, sign_in

SHAPES = "#carte-carte path.choroplethlocation"


def _shape_count(page, n: int, timeout: int = 15_000) -> None:
    page.wait_for_function(f"() => document.querySelectorAll('{SHAPES}').length === {n}",
                           timeout=timeout)


def test_map_departement_choice_then_commune_profile(server, watched):
    page = watched.page
    geo_requests: list[str] = []
    page.on("request", lambda r: geo_requests.append(r.url) if "/geo/" in r.url else None)
    sign_in(page, server + "/carte", "analyste.test")
    page.wait_for_selector(SHAPES, timeout=20_000)
    _shape_count(page, 2)  # the two metropolitan départements; Martinique is linked above
    assert page.locator("#carte-outre-mer").get_by_role("link", name="Martinique").count() == 1
    assert page.locator("#carte-titre").inner_text().startswith("Départements — France entière")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "carte_france.png"), full_page=True)

    # the list opened with the keyboard, searched, the option clicked once shown: the page is
    # rendered again for the new address, and the focus comes back to the territory's control
    # instead of the top of the page (RGAA)
    option = dropdown_option(page, "#carte-perimetre", "35 — Ille-et-Vilaine", "Ille-et-Vilaine")
    assert page.locator(".dash-dropdown-search").get_attribute("placeholder") == "Rechercher"
    option.click()
    page.wait_for_function(
        "() => document.querySelector('#carte-titre')?.textContent"
        ".startsWith('Communes — 35 — Ille-et-Vilaine')", timeout=15_000)
    page.wait_for_function("() => document.activeElement?.closest('#carte-perimetre')")
    _shape_count(page, 6)  # facts: every commune, police zone included
    query = parse_qs(urlsplit(address(page)).query)
    assert query["perimetre"] == ["departement:35"]
    # the table follows once the map is drawn
    page.wait_for_function(
        "() => document.querySelectorAll('#carte-tableau-donnees tbody tr').length === 6",
        timeout=15_000)
    page.screenshot(path=str(SCREENSHOTS / "carte_35_communes.png"), full_page=True)

    # a new indicator recolours the same shapes: the geometry is not fetched again
    fetched = len(geo_requests)
    page.click("#carte-indicateur")
    page.get_by_role("option", name="Élus — Élus satisfaits (DCAS, %)").click()
    page.wait_for_function(
        "() => document.querySelector('#carte-titre')?.textContent"
        ".includes('Élus satisfaits')", timeout=15_000)
    _shape_count(page, 6)  # 4 communes in the gendarmerie zone, 2 grey in the police zone
    assert "Zone police nationale" in page.locator("#carte-legende-gris").inner_text()
    assert parse_qs(urlsplit(address(page)).query)["indicateur"] == ["satisfaction"]
    assert len(geo_requests) == fetched

    # a click on Bruz (the first coloured commune) opens its profile
    page.locator("#carte-carte").scroll_into_view_if_needed()
    box = page.locator(SHAPES).nth(0).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_selector("#fiche-commune-identite", timeout=15_000)
    assert page.locator("#fiche-commune-identite").inner_text() == "Bruz (35047)"
    assert urlsplit(address(page)).path == "/commune"
    # another page: its title takes the focus, as after a page load
    page.wait_for_function("() => document.activeElement?.tagName === 'H1'")
    page.wait_for_selector("#kpi-faits .kpi-value", timeout=15_000)
    page.wait_for_selector("#fiche-commune-plaintes-tableau", timeout=15_000)
    assert page.locator("#fiche-commune-plaintes-tableau tbody tr").count() == 3
    page.screenshot(path=str(SCREENSHOTS / "fiche_commune.png"), full_page=True)
    watched.assert_clean()


#: JavaScript: the screen position of a commune's point on the national commune map
POINT_OF = """(code) => {
    const gd = document.querySelector('#carte-carte .js-plotly-plot');
    const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    for (const t of gd._fullData) {
        const i = (t.ids || []).indexOf(code);
        if (i >= 0) { return [box.left + xa.l2p(t.x[i]), box.top + ya.l2p(t.y[i])]; }
    }
    return null;
}"""


def test_national_commune_map_hover_and_click(server, watched):
    """Every commune of France as WebGL points (drawn under the page's Content-Security-Policy,
    overseas in an inset): the hover names the commune as stored, a click opens its profile."""
    page = watched.page
    sign_in(page, server + "/carte?perimetre=france&maille=commune", "analyste.test")
    page.wait_for_function(
        "() => { const gd = document.querySelector('#carte-carte .js-plotly-plot');"
        " return gd && gd._fullData && gd._fullData[0].type === 'scattergl'; }", timeout=20_000)
    assert page.locator("#carte-carte .no-webgl").count() == 0  # WebGL drew it
    assert page.locator("#carte-titre").inner_text().startswith("Communes — France entière")
    assert "Vue nationale par commune" in page.locator("#carte-legende").inner_text()
    # the table follows the drawn map: the 12 communes, Martinique's included
    page.wait_for_function(
        "() => document.querySelectorAll('#carte-tableau-donnees tbody tr').length === 12",
        timeout=15_000)
    page.locator("#carte-carte").scroll_into_view_if_needed()
    x, y = page.evaluate(POINT_OF, "35047")
    page.mouse.move(x, y)
    # the fixture's communes of a département share one point: the hover names one of them
    page.wait_for_function(
        "() => /^.+ \\(35\\d{3}\\)Faits enregistrés pour 1 000 habitants : [0-9]/.test("
        "document.querySelector('#carte-carte .hoverlayer .hovertext')?.textContent)",
        timeout=15_000)
    hovered = page.text_content("#carte-carte .hoverlayer .hovertext").split(")")[0] + ")"
    page.screenshot(path=str(SCREENSHOTS / "carte_communes_france.png"), full_page=True)
    page.mouse.click(x, y)
    page.wait_for_selector("#fiche-commune-identite", timeout=15_000)
    assert page.locator("#fiche-commune-identite").inner_text() == hovered
    watched.assert_clean()


def test_csv_export_of_the_map_and_brigade_profile(server, watched):
    page = watched.page
    sign_in(page, server + "/carte", "prefet.test")
    page.wait_for_selector(SHAPES, timeout=20_000)
    # (the sign-in page keeps only the first parameter of the address it returns to)
    page.goto(server + "/carte?perimetre=departement:35&maille=brigade"
              "&indicateur=faits_nombre&debut=2025-11&fin=2026-10")
    page.wait_for_function(
        "() => document.querySelector('#carte-titre')?.textContent"
        ".startsWith('Brigades — 35')", timeout=20_000)
    _shape_count(page, 2)
    with page.expect_download(timeout=15_000) as info:
        page.click("#carte-export")
    download = info.value
    assert download.suggested_filename == "carte_faits_nombre_brigade_departement_35.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Code", "Brigade", "Faits enregistrés (nombre)", "Rang", "Remarque"]
    assert [r[1] for r in rows[1:]] == ["Bruz", "Saint-Aubin-du-Cormier"]
    assert [r[3] for r in rows[1:]] == ["1", "2"]

    page.get_by_role("link", name="Bruz").first.click()
    page.wait_for_selector("#fiche-brigade-identite", timeout=15_000)
    page.wait_for_selector("#fiche-brigade-communes-tableau", timeout=15_000)
    communes = page.locator("#fiche-brigade-communes-tableau").inner_text()
    assert "Bruz" in communes and "Chartres-de-Bretagne" in communes
    assert "+336" not in page.content()  # a prefect never sees élus' phone numbers
    page.screenshot(path=str(SCREENSHOTS / "fiche_brigade.png"), full_page=True)
    watched.assert_clean()

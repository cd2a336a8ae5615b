"""The organisation page in real headless Chromium: map, drill-down, shareable URL, CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

from tests.browser.conftest import SCREENSHOTS, address, sign_in

MAP_SHAPES = "#organisation-carte path.choroplethlocation"


def _shapes(page) -> int:
    return page.locator(MAP_SHAPES).count()


def _kpi(page, key: str, value: str) -> None:
    page.wait_for_function(
        "([key, value]) => document.querySelector(`#kpi-${key} .kpi-value`)?.textContent "
        "=== value", arg=[key, value], timeout=10_000)


def test_sign_in_then_national_map_then_departement_drill_down(server, watched):
    page = watched.page
    sign_in(page, server + "/", "analyste.test", "mauvais mot de passe")
    assert "Identifiant ou mot de passe incorrect" in page.locator(".alert").inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "connexion.png"), full_page=True)
    sign_in(page, server + "/", "analyste.test")
    page.wait_for_selector(MAP_SHAPES, timeout=20_000)
    # metropolitan départements only; Martinique is reached from the list
    assert _shapes(page) == 2
    _kpi(page, "communes", "12")  # the key figures follow the map (their own callback)
    assert "organisation de la gendarmerie modélisée" in page.locator("#provenance").inner_text()
    rows = page.locator("#organisation-tableau-donnees tbody tr")
    assert rows.count() == 3  # the table also lists the overseas département
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "organisation_france.png"), full_page=True)

    page.click("#organisation-departement")
    page.get_by_role("option", name="35 — Ille-et-Vilaine").click()
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Brigades — 35')", timeout=10_000)
    page.wait_for_function(
        f"() => document.querySelectorAll('{MAP_SHAPES}').length === 2 && "
        "document.querySelectorAll('#organisation-tableau-donnees tbody tr').length === 2",
        timeout=10_000)
    assert urlsplit(address(page)).query == "departement=35"
    table = page.locator("#organisation-tableau-donnees").inner_text()
    assert "Bruz" in table and "Saint-Aubin-du-Cormier" in table
    _kpi(page, "brigades", "2")
    page.screenshot(path=str(SCREENSHOTS / "organisation_35.png"), full_page=True)

    # Back returns to the national map (the address was pushed, not replaced) ...
    page.go_back()
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Départements')", timeout=10_000)
    assert urlsplit(address(page)).query == ""
    # ... where a click on a département opens its brigades
    page.wait_for_selector(MAP_SHAPES, timeout=10_000)
    # Plotly's geo layer catches the mouse above the shapes: click where Morbihan is drawn
    page.locator("#organisation-carte").scroll_into_view_if_needed()
    box = page.locator(MAP_SHAPES).nth(1).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Brigades — 56')", timeout=10_000)
    assert urlsplit(address(page)).query == "departement=56"
    watched.assert_clean()


def test_shared_link_opens_overseas_departement_and_exports_csv(server, watched):
    page = watched.page
    sign_in(page, server + "/?departement=972", "analyste.test")
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Brigades — 972')", timeout=20_000)
    page.wait_for_selector(MAP_SHAPES, timeout=10_000)
    assert _shapes(page) == 1
    page.get_by_label("Effectif").check()
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.endsWith('Effectif')", timeout=10_000)
    assert urlsplit(address(page)).query == "departement=972&indicateur=effectif"

    with page.expect_download(timeout=10_000) as download_info:
        page.click("#organisation-export")
    download = download_info.value
    assert download.suggested_filename == "organisation_departement_972.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: French Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Code", "Brigade", "Population desservie", "Communes desservies", "Effectif"],
        ["B97213", "Le Lamentin", "59000", "2", "30"],
    ]
    watched.assert_clean()



def test_prefet_sees_only_his_departement(server, watched):
    page = watched.page
    sign_in(page, server + "/?departement=56", "prefet.test")
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Brigades — 35')", timeout=20_000)
    assert "pas dans votre périmètre" in page.content()
    assert "prefet.test" in page.locator("nav.navbar").inner_text()
    page.click("text=Se déconnecter")
    page.wait_for_selector("#login")
    watched.assert_clean()

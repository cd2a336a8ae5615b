"""The organisation page in real headless Chromium: map, drill-down, shareable URL, CSV export."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.dashboard_fixture import add_account, build_small_warehouse

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
VENDOR = ROOT / "dashboard" / "assets" / "vendor"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MAP_SHAPES = "#organisation-carte path.choroplethlocation"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} absent: install Debian's chromium package "
                              "(make setup-test) to run the browser tests"),
    pytest.mark.skipif(not (VENDOR / "topojson" / "world_110m.json").exists(),
                       reason="front-end files missing in dashboard/assets/vendor: "
                              "run make assets"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`python -m dashboard` on a free port, reading the small fixture warehouse."""
    data_dir = tmp_path_factory.mktemp("data")
    build_small_warehouse(data_dir / "warehouse.duckdb")
    add_account(data_dir, "analyste.test", "analyste")
    add_account(data_dir, "prefet.test", "prefet", "35")
    port = _free_port()
    env = os.environ | {"PRESENCE_DATA_DIR": str(data_dir), "PRESENCE_HOST": "127.0.0.1",
                        "PRESENCE_PORT": str(port)}
    log = (data_dir / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("dashboard did not start:\n" + (data_dir / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose outside requests are aborted and recorded, with its console errors."""

    def __init__(self, page):
        self.page = page
        self.outside: list[str] = []
        self.errors: list[str] = []
        page.route("**/*", self._route)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def assert_clean(self):
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def watched(browser):
    # sync Playwright dispatches route handlers only while the test calls into it: wait with
    # page.wait_for_*, never time.sleep
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True,
                                  locale="fr-FR")
    yield Watched(context.new_page())
    context.close()


def _sign_in(page, url: str, login: str, password: str = "mot-de-passe-de-test") -> None:
    """Open ``url``: the sign-in page comes first, then the page asked for."""
    page.goto(url)
    page.wait_for_selector("#login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")


def _shapes(page) -> int:
    return page.locator(MAP_SHAPES).count()


def test_sign_in_then_national_map_then_departement_drill_down(server, watched):
    page = watched.page
    _sign_in(page, server + "/", "analyste.test", "mauvais mot de passe")
    assert "Identifiant ou mot de passe incorrect" in page.locator(".alert").inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "connexion.png"), full_page=True)
    _sign_in(page, server + "/", "analyste.test")
    page.wait_for_selector(MAP_SHAPES, timeout=20_000)
    # metropolitan départements only; Martinique is reached from the list
    assert _shapes(page) == 2
    assert page.locator("#kpi-communes .kpi-value").inner_text() == "12"
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
    assert urlsplit(page.url).query == "departement=35"
    table = page.locator("#organisation-tableau-donnees").inner_text()
    assert "Bruz" in table and "Saint-Aubin-du-Cormier" in table
    assert page.locator("#kpi-brigades .kpi-value").inner_text() == "2"
    page.screenshot(path=str(SCREENSHOTS / "organisation_35.png"), full_page=True)

    # Back returns to the national map (the address was pushed, not replaced) ...
    page.go_back()
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Départements')", timeout=10_000)
    assert urlsplit(page.url).query == ""
    # ... where a click on a département opens its brigades
    page.wait_for_selector(MAP_SHAPES, timeout=10_000)
    # Plotly's geo layer catches the mouse above the shapes: click where Morbihan is drawn
    box = page.locator(MAP_SHAPES).nth(1).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Brigades — 56')", timeout=10_000)
    assert urlsplit(page.url).query == "departement=56"
    watched.assert_clean()


def test_shared_link_opens_overseas_departement_and_exports_csv(server, watched):
    page = watched.page
    _sign_in(page, server + "/?departement=972", "analyste.test")
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Brigades — 972')", timeout=20_000)
    page.wait_for_selector(MAP_SHAPES, timeout=10_000)
    assert _shapes(page) == 1
    page.get_by_label("Effectif").check()
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.endsWith('Effectif')", timeout=10_000)
    assert urlsplit(page.url).query == "departement=972&indicateur=effectif"

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
    _sign_in(page, server + "/?departement=56", "prefet.test")
    page.wait_for_function(
        "() => document.querySelector('#organisation-carte-titre')"
        "?.textContent.startsWith('Brigades — 35')", timeout=20_000)
    assert "pas dans votre périmètre" in page.content()
    assert "prefet.test" in page.locator("nav.navbar").inner_text()
    page.click("text=Se déconnecter")
    page.wait_for_selector("#login")
    watched.assert_clean()

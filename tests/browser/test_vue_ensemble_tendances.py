"""The overview and trends pages in real headless Chromium: figures, territory in the address,
CSV export, and no console error nor request leaving 127.0.0.1."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import SCREENSHOTS, address, sign_in


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(address(page)).query)


def _csv(download) -> list[list[str]]:
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _value(page, key: str) -> str:
    return page.locator(f"#kpi-{key} .kpi-value").inner_text()


def test_overview_follows_the_territory_and_exports(server, watched):
    page = watched.page
    sign_in(page, server + "/vue-ensemble?perimetre=departement:35", "analyste.test")
    page.wait_for_function(
        "() => document.querySelector('#kpi-plaintes .kpi-value')?.textContent === '12'",
        timeout=20_000)
    assert page.locator("#vue-ensemble-titre").inner_text() == (
        "Chiffres clés — 35 — Ille-et-Vilaine")
    assert _value(page, "alertes") == "1"
    assert _value(page, "heures_presence") == "126"
    departement_burglaries = _value(page, "faits_cambriolages_logement")
    link = page.locator("#kpi-faits_cambriolages_logement a")
    assert "/tendances?perimetre=departement%3A35" in link.get_attribute("href")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "vue_ensemble_35.png"), full_page=True)

    page.click("#vue-ensemble-perimetre")
    page.get_by_role("option", name="Brigade de Bruz (35)").click()
    page.wait_for_function(
        "() => document.querySelector('#vue-ensemble-titre')?.textContent"
        " === 'Chiffres clés — Brigade de Bruz (35)'", timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('#kpi-plaintes .kpi-value')?.textContent === '6'",
        timeout=10_000)
    assert _query(page)["perimetre"] == ["brigade:B35047"]
    assert _query(page)["fin"] == ["2026-10"]
    assert _value(page, "heures_presence") == "45"
    assert _value(page, "faits_cambriolages_logement") != departement_burglaries

    with page.expect_download(timeout=10_000) as info:
        page.click("#vue-ensemble-export")
    download = info.value
    assert download.suggested_filename == "vue_ensemble_brigade_B35047_2025-11_2026-10.csv"
    rows = _csv(download)
    assert rows[0][:4] == ["Rubrique", "Indicateur", "Unité", "Période"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["Atteintes aux élus (plaintes)"][3] == "6,0"
    assert by_name["Heures de présence"][3] == "45,0"
    assert len(rows) == 18  # header + one row per card
    page.screenshot(path=str(SCREENSHOTS / "vue_ensemble_brigade.png"), full_page=True)

    # a card leads to its trends, with the same territory and period
    page.click("#kpi-faits_cambriolages_logement a")
    page.wait_for_function(
        "() => (document.querySelector('#tendances-serie-titre')?.textContent || '')"
        ".startsWith('Cambriolages de logement — Brigade de Bruz')", timeout=20_000)
    assert _query(page)["debut"] == ["2025-11"]
    watched.assert_clean()


def test_trends_flags_the_spike_compares_and_exports(server, watched):
    page = watched.page
    sign_in(page, server + "/tendances?perimetre=brigade:B35047", "prefet.test")
    page.wait_for_function(
        "() => (document.querySelector('#tendances-serie-legende')?.textContent || '')"
        ".includes('octobre 2026 (hausse)')", timeout=20_000)
    page.wait_for_selector("#tendances-serie .barlayer .point", state="attached",
                           timeout=10_000)
    page.wait_for_selector("#tendances-calendrier .heatmaplayer .hm", state="attached",
                           timeout=10_000)
    assert page.locator("#tendances-serie .barlayer .point").count() == 36
    flags = page.locator("#tendances-inhabituels-donnees tbody tr")
    assert flags.first.locator("th").inner_text() == "octobre 2026"
    compstat = page.locator("#tendances-compstat-donnees").inner_text()
    assert "Cambriolages de logement" in compstat and "Atteintes aux élus" in compstat
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tendances_brigade.png"), full_page=True)

    # a second territory, side by side
    page.click("#tendances-comparer")
    page.get_by_role("option", name="35 — Ille-et-Vilaine").click()
    page.wait_for_function(
        "() => (document.querySelector('#tendances-comparaison-titre')?.textContent || '')"
        ".endsWith('Brigade de Bruz (35) et 35 — Ille-et-Vilaine')", timeout=10_000)
    assert _query(page)["comparer"] == ["departement:35"]
    assert page.locator("#tendances-comparaison-synthese-donnees thead th").count() == 3

    # another category: the address, the series and its table follow
    page.click("#tendances-categorie")
    page.get_by_role("option", name="Escroqueries et fraudes aux moyens de paiement").click()
    page.wait_for_function(
        "() => (document.querySelector('#tendances-serie-titre')?.textContent || '')"
        ".startsWith('Escroqueries')", timeout=10_000)
    assert _query(page)["categorie"] == ["escroqueries"]
    assert _query(page)["perimetre"] == ["brigade:B35047"]

    with page.expect_download(timeout=10_000) as info:
        page.click("#tendances-export-serie")
    download = info.value
    assert download.suggested_filename == "tendances_serie_escroqueries_brigade_B35047.csv"
    rows = _csv(download)
    assert rows[0][:3] == ["Mois (date)", "Mois", "Nombre"]
    assert len(rows) == 37 and rows[1][0] == "2023-11" and rows[-1][0] == "2026-10"
    page.locator("#tendances-comparaison").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "tendances_comparaison.png"), full_page=True)
    watched.assert_clean()

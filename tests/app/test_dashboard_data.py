"""Read-only access to the published warehouse, including its replacement by a new build."""

import threading

import duckdb
import pytest

from dashboard.core import reference
from dashboard.core.warehouse import Warehouse, WarehouseUnavailable
from dashboard.queries import organisation as organisation_queries
from tests.support.dashboard_fixture import build_small_warehouse


@pytest.fixture
def warehouse(tmp_path):
    path = build_small_warehouse(tmp_path / "warehouse.duckdb")
    wh = Warehouse(path)
    yield wh
    wh.close()


def test_departements_and_brigades(warehouse):
    assert warehouse.departements()["code"].tolist() == ["35", "56", "972"]
    assert warehouse.brigades("35")["brigade_id"].tolist() == ["B35047", "B35253"]


def test_values_travel_as_parameters(warehouse):
    assert warehouse.brigades("35' OR '1'='1").empty
    nothing = organisation_queries.summary(warehouse, "35' OR '1'='1")
    assert nothing["nb_communes"] == 0
    # a scope without ZGN counts 0 inhabitants there, not "unknown"
    assert (nothing["population_zgn"], nothing["superficie_zgn_km2"], nothing["effectif"]) == (
        0, 0, 0)


def test_summary_national_and_departement(warehouse):
    france = organisation_queries.summary(warehouse)
    assert france["nb_communes"] == 12 and france["nb_communes_zgn"] == 8
    assert france["population_zgn"] == 103_000 and isinstance(france["population_zgn"], int)
    assert france["nb_brigades"] == 4 and france["effectif"] == 84
    assert france["nb_departements"] == 3 and france["nb_departements_om"] == 1
    ille = organisation_queries.summary(warehouse, "35")
    assert (ille["nb_communes"], ille["nb_brigades"], ille["nb_compagnies"]) == (6, 2, 2)


def test_connection_is_read_only(warehouse):
    with pytest.raises(duckdb.Error):
        warehouse.query("DELETE FROM brigades")


def test_national_shapes_can_leave_overseas_out(warehouse):
    assert warehouse.shapes("departement", "national")["code"].tolist() == ["35", "56", "972"]
    assert warehouse.shapes("departement", "national", metropole=True)["code"].tolist() == [
        "35", "56"]


def test_geojson_is_cached_until_the_file_is_replaced(warehouse):
    first = warehouse.geojson("brigade", "departement", "35")
    assert [f["id"] for f in first["features"]] == ["B35047", "B35253"]
    assert warehouse.geojson("brigade", "departement", "35") is first
    assert reference.organisation_sources(warehouse) == {"modele": 4}

    build_small_warehouse(warehouse.path, source="fichier")  # built aside, then os.replace

    assert reference.organisation_sources(warehouse) == {"fichier": 4}
    assert warehouse.geojson("brigade", "departement", "35") is not first


def test_reference_lists_are_kept_until_the_file_is_replaced(warehouse):
    sql = "SELECT DISTINCT source FROM brigades"
    first = warehouse.query_reference(sql)
    assert first["source"].tolist() == ["modele"]
    first.loc[0, "source"] = "changed by the caller"  # each caller gets its own copy
    assert warehouse.query_reference(sql)["source"].tolist() == ["modele"]
    assert warehouse.query_reference(sql, None) is not warehouse.query_reference(sql)

    build_small_warehouse(warehouse.path, source="fichier")  # built aside, then os.replace

    assert warehouse.query_reference(sql)["source"].tolist() == ["fichier"]
    assert warehouse.departements()["code"].tolist() == ["35", "56", "972"]


def test_missing_file(tmp_path):
    with pytest.raises(WarehouseUnavailable):
        Warehouse(tmp_path / "absent.duckdb").departements()


def test_concurrent_readers_survive_a_rebuild(warehouse):
    errors: list[BaseException] = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            try:
                assert organisation_queries.summary(warehouse)["nb_brigades"] == 4
            except BaseException as exc:  # noqa: BLE001 - reported to the main thread
                errors.append(exc)
                return

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for source in ("fichier", "modele", "fichier"):
            build_small_warehouse(warehouse.path, source=source)
            reference.organisation_sources(warehouse)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert errors == []
    assert reference.organisation_sources(warehouse) == {"fichier": 4}

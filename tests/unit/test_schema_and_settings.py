"""Declared schemas: DDL that DuckDB accepts, a documented dictionary, settings from the env."""

from __future__ import annotations

import duckdb

from etl.settings import (
    PROJECT_ROOT,
    SETTINGS_HELP,
    SETTINGS_TABLE_HEADER,
    get_settings,
    settings_markdown,
    with_settings_table,
)
from etl.warehouse import schema


def test_ddl_runs_and_keys_hold():
    con = duckdb.connect()
    for t in schema.TABLES:
        con.execute(t.ddl())
        assert len(t.columns) == len(set(t.column_names))
        assert set(t.primary_key) <= set(t.column_names)
        assert set(t.order_by) <= set(t.column_names)


def test_required_published_names():
    required = {
        "communes": {"code", "nom", "departement", "population", "zone", "brigade_id"},
        "departements": {"code", "nom", "region"},
        "brigades": {"brigade_id", "nom", "departement", "compagnie_id", "type",
                     "commune_siege", "effectif"},
        "load_runs": {"source", "fichier", "sha256", "lignes_lues", "lignes_chargees",
                      "lignes_rejetees", "debut", "fin", "statut", "message"},
    }
    for name, cols in required.items():
        assert cols <= set(schema.table(name).column_names)


def test_data_dictionary_is_generated_and_current():
    doc = (PROJECT_ROOT / "docs" / "data-dictionary.md").read_text("utf-8")
    assert doc.strip() == schema.data_dictionary_markdown().strip(), (
        "docs/data-dictionary.md is stale: run `make dictionary`")
    for t in schema.TABLES:
        for c in t.columns:
            assert f"`{c.name}`" in doc


def test_readme_settings_table_is_generated_and_current():
    """The README's « Settings » table is the one etl/settings.py declares, row for row."""
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    table = settings_markdown()
    assert table.count("\n") == len(SETTINGS_HELP) + 1
    assert readme.count(SETTINGS_TABLE_HEADER) == 1
    assert with_settings_table(readme) == readme, (
        "README.md's settings table is stale: run `python -m etl settings --readme`")
    assert with_settings_table(readme.replace("| `PRESENCE_PORT` | `8050` |",
                                              "| `PRESENCE_PORT` | `8051` |")) == readme


def test_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRESENCE_DEMO_SEED", "7")
    monkeypatch.delenv("PRESENCE_OPS_URL", raising=False)
    s = get_settings()
    assert s.warehouse_path == tmp_path / "warehouse.duckdb"
    assert s.demo_seed == 7
    assert s.ops_url == f"sqlite:///{tmp_path / 'operations.sqlite'}"
    monkeypatch.setenv("PRESENCE_DATA_DIR", "relative")
    assert get_settings().data_dir == PROJECT_ROOT / "relative"


def test_sql_identifiers_are_checked_at_declaration():
    import pytest

    from etl.warehouse.tables import Column, Table, ident

    assert ident("communes") == '"communes"'
    for bad in ('x"; DROP TABLE communes; --', "Communes", "a b", ""):
        with pytest.raises(ValueError):
            ident(bad)
    with pytest.raises(ValueError):
        Table("t", "", "", (Column('c"', "VARCHAR", ""),))


def test_every_parent_reference_points_to_a_source_loaded_before():
    """A ``Ref`` names a declared table and column, filled by a source that `build` loads
    earlier (the registry's order), so that a demo or national build has no orphans."""
    from etl.sources.registry import SOURCES

    order = list(SOURCES)
    refs = [(name, f) for name, s in SOURCES.items() for f in s.fields if f.ref]
    assert {(n, f.name) for n, f in refs} == {("dlr", "id_alerte"), ("dlr", "id_contact")}
    for name, f in refs:
        parent = next(s for s in SOURCES.values() if s.table == f.ref.table)
        assert f.ref.column in parent.key, (name, f.name)
        assert order.index(parent.name) < order.index(name), (name, parent.name)
        assert f"doit exister dans `{f.ref.table}.{f.ref.column}`" in f.doc_type()

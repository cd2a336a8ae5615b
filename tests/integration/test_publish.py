"""Atomic publication on a tiny warehouse: success replaces, failure leaves the old file."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.warehouse import parts, publish


def regions(n):
    return pd.DataFrame({"code": [f"{i:02d}" for i in range(n)], "nom": ["r"] * n,
                         "extra": 1})


def count(path):
    with parts.connect(str(path)) as con:
        return con.execute("SELECT count(*) FROM regions").fetchall()[0][0]


def test_publish_then_failed_build_keeps_previous(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    with publish.building(target, "r1") as con:
        publish.write_table(con, "regions", regions(3))
    assert count(target) == 3
    with pytest.raises(RuntimeError), publish.building(target, "r2") as con:
        publish.write_table(con, "regions", regions(5))
        raise RuntimeError("panne")
    assert count(target) == 3
    # the file and its init SQL (every table from any DuckDB client), nothing left by r2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb", "warehouse.sql"]


def test_write_table_requires_declared_columns(tmp_path):
    with pytest.raises(ValueError, match="colonnes absentes"), \
            publish.building(tmp_path / "w.duckdb", "r") as con:
        publish.write_table(con, "regions", pd.DataFrame({"code": ["01"]}))


def test_stale_build_files_are_removed(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    stale = tmp_path / "warehouse.duckdb.building-20260101T000000-1"
    stale.write_bytes(b"half written")
    other = tmp_path / "keep.duckdb"
    other.write_bytes(b"x")
    publish.remove_stale_builds(target)
    assert not stale.exists() and other.exists()

"""A published warehouse seen from a benchmark's temporary data folder: every part is read, and
whatever a server started there writes stays there."""

from __future__ import annotations

import duckdb
import pytest

from etl.warehouse import parts
from tests.support.published import link_published


def _tables(published) -> set[str]:
    with parts.connect(published) as con:
        return {r[0] for r in con.execute(
            "SELECT DISTINCT table_name FROM information_schema.tables").fetchall()}


def test_a_split_warehouse_is_linked_with_its_parts_and_only_read(tmp_path):
    published = tmp_path / "data" / "warehouse.duckdb"
    with parts.building(published, "r1"):
        pass
    source_files = sorted(p.name for p in parts.parts_dir(published).iterdir())
    view_dir = tmp_path / "view"
    view_dir.mkdir()
    view = link_published(published, view_dir)
    assert view == view_dir / "warehouse.duckdb"
    assert parts.read_manifest(view) == parts.read_manifest(published)
    assert view.resolve() == published.resolve()  # the link to the main file, for tools
    tables = _tables(view)
    assert {"communes", "facts_monthly", "load_runs"} <= tables  # main file and parts
    assert tables == _tables(published)
    with parts.writer_lock(view):  # a writer's lock file: in the view's own folder
        pass
    assert (parts.parts_dir(view) / parts.LOCK).exists()
    assert sorted(p.name for p in parts.parts_dir(published).iterdir()) == source_files


def test_the_main_file_alone_is_refused(tmp_path):
    """The link resolved names the main file without its parts: the benchmark's old mistake."""
    published = tmp_path / "data" / "warehouse.duckdb"
    with parts.building(published, "r1"):
        pass
    (tmp_path / "view").mkdir()
    with pytest.raises(ValueError, match="published path"):
        link_published(published.resolve(), tmp_path / "view")


def test_a_warehouse_in_one_file_is_linked(tmp_path):
    one = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(one)) as con:
        con.execute("CREATE TABLE communes (code VARCHAR)")
    (tmp_path / "view").mkdir()
    view = link_published(one, tmp_path / "view")
    assert view.resolve() == one.resolve()
    assert _tables(view) == {"communes"}

"""The manifest of the split warehouse: one atomic step publishes a change, and a replaced
file keeps its grace period from the moment it is replaced."""

from __future__ import annotations

import os
import time

from etl.warehouse import parts


def _files(published, *names: str) -> None:
    folder = parts.parts_dir(published)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")


def test_publish_names_the_new_files_and_links_the_main_one(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    _files(published, "main-1.duckdb", "dcas-1.duckdb")
    parts.publish(published, {parts.MAIN: "main-1.duckdb", "dcas": "dcas-1.duckdb"})
    assert parts.read_manifest(published).files == {parts.MAIN: "main-1.duckdb",
                                                     "dcas": "dcas-1.duckdb"}
    assert published.resolve() == parts.parts_dir(published).resolve() / "main-1.duckdb"
    _files(published, "dcas-2.duckdb")
    parts.publish(published, {"dcas": "dcas-2.duckdb"})
    assert parts.read_manifest(published).files["dcas"] == "dcas-2.duckdb"
    assert parts.read_manifest(published).files[parts.MAIN] == "main-1.duckdb"


def test_a_replaced_file_is_kept_for_its_grace_period_however_old(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    _files(published, "main-1.duckdb", "dcas-1.duckdb")
    parts.publish(published, {parts.MAIN: "main-1.duckdb", "dcas": "dcas-1.duckdb"})
    old = parts.parts_dir(published) / "dcas-1.duckdb"
    long_ago = time.time() - 10 * parts.STALE_SECONDS
    os.utime(old, (long_ago, long_ago))  # written long before it is replaced
    _files(published, "dcas-2.duckdb")
    parts.publish(published, {"dcas": "dcas-2.duckdb"})
    assert old.exists()  # a reader that read the previous manifest may still attach it
    parts.remove_stale(published, parts.read_manifest(published),
                       now=time.time() + parts.STALE_SECONDS + 1)
    assert not old.exists()
    assert (parts.parts_dir(published) / "main-1.duckdb").exists()

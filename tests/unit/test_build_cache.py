"""The test session's build cache (tests/support/build_cache.py): an entry is used only whole and
intact, a failed build leaves none, a second caller waits for the first one's build, and the
session sees an entry through links."""

from __future__ import annotations

import json
import os
import threading

import pytest

from tests.support import build_cache as bc


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(bc, "CACHE_ROOT", tmp_path / "cache")
    calls = []

    def build(data_dir):
        calls.append(data_dir)
        (data_dir / "warehouse.parts").mkdir()
        (data_dir / "warehouse.parts" / "main-1.duckdb").write_bytes(os.urandom(bc.COPY_BELOW))
        (data_dir / "warehouse.parts" / "manifest.json").write_text('{"files": {}}')
        os.symlink("warehouse.parts/main-1.duckdb", data_dir / "warehouse.duckdb")

    return build, calls


def test_built_once_then_reused(cache):
    build, calls = cache
    first = bc.cached_build("x", "k1", build)
    assert bc.cached_build("x", "k1", build) == first and len(calls) == 1
    assert bc.cached_build("x", "k2", build) != first and len(calls) == 2  # another key
    listed = json.loads((first.parent / bc.COMPLETE).read_text())["files"]
    assert set(listed) == {"warehouse.duckdb", "warehouse.parts/main-1.duckdb",
                           "warehouse.parts/manifest.json"}
    assert not list(bc.CACHE_ROOT.glob(".building-*"))


@pytest.mark.parametrize("damage", ["changed", "truncated", "extra", "missing", "incomplete"])
def test_a_damaged_or_partial_entry_is_built_again(cache, damage):
    build, calls = cache
    data = bc.cached_build("x", "k", build)
    main = data / "warehouse.parts" / "main-1.duckdb"
    if damage == "changed":
        with open(main, "r+b") as f:
            f.seek(100)
            f.write(bytes([main.read_bytes()[100] ^ 1]))
    elif damage == "truncated":
        os.truncate(main, 10)
    elif damage == "extra":
        (data / "warehouse.duckdb.wal").write_bytes(b"x")
    elif damage == "missing":
        (data / "warehouse.parts" / "manifest.json").unlink()
    else:
        (data.parent / bc.COMPLETE).unlink()
    assert bc.cached_build("x", "k", build) == data and len(calls) == 2
    assert bc._valid(data.parent)


def test_a_failed_build_leaves_no_entry(cache):
    build, calls = cache

    def failing(data_dir):
        build(data_dir)
        raise OSError("disque plein (simulé)")

    with pytest.raises(OSError, match="disque plein"):
        bc.cached_build("x", "k", failing)
    assert not (bc.CACHE_ROOT / "x-k").exists()
    assert not list(bc.CACHE_ROOT.glob(".building-*"))
    bc.cached_build("x", "k", build)
    assert len(calls) == 2


def test_a_second_caller_waits_for_the_first_build(cache):
    build, calls = cache
    started, release = threading.Event(), threading.Event()

    def slow(data_dir):
        started.set()
        assert release.wait(30)
        build(data_dir)

    first = threading.Thread(target=bc.cached_build, args=("x", "k", slow))
    first.start()
    assert started.wait(30)
    got = []
    second = threading.Thread(target=lambda: got.append(bc.cached_build("x", "k", build)))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the lock, not building
    release.set()
    first.join(30)
    second.join(30)
    assert got == [bc.CACHE_ROOT / "x-k" / bc.DATA] and len(calls) == 1


def test_the_session_sees_an_entry_through_links(cache, tmp_path):
    build, _ = cache
    data = bc.cached_build("x", "k", build)
    view = bc.link_entry(data, tmp_path / "session")
    main = view / "warehouse.parts" / "main-1.duckdb"
    assert main.is_symlink() and main.resolve() == (data / "warehouse.parts" / "main-1.duckdb")
    manifest = view / "warehouse.parts" / "manifest.json"
    assert manifest.is_file() and not manifest.is_symlink()  # small files copied
    assert os.readlink(view / "warehouse.duckdb") == "warehouse.parts/main-1.duckdb"
    assert (view / "warehouse.duckdb").resolve() == main.resolve()


def test_the_key_follows_the_code_and_the_parameters(tmp_path, monkeypatch):
    wheel = tmp_path / "w.whl"
    wheel.write_bytes(b"wheel")
    base = bc.entry_key(bc.DEMO, wheel, "code")
    assert bc.entry_key(bc.DEMO, wheel, "code") == base
    assert bc.entry_key(bc.DEMO, wheel, "other code") != base
    assert bc.entry_key(bc.NATIONAL, wheel, "code") != base
    monkeypatch.setattr(bc, "DEMO_SEED", bc.DEMO_SEED + 1)
    assert bc.entry_key(bc.DEMO, wheel, "code") != base
    monkeypatch.undo()
    wheel.write_bytes(b"another wheel")
    assert bc.entry_key(bc.DEMO, wheel, "code") != base


def test_the_builds_a_session_needs():
    assert bc.needed({"tmp_path"}) == []
    assert bc.needed({"wh"}) == [bc.REFERENCE, bc.NATIONAL]
    assert bc.needed({"national_demo", "reference_result"}) == [bc.REFERENCE, bc.DEMO]

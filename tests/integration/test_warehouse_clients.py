"""The warehouse in one step from any tool (#20): the init SQL each publication writes beside
the published warehouse (``warehouse.sql``), the README's recipes — DuckDB's command line,
pandas, DBeaver, SQLAlchemy — each run in a fresh process that imports nothing of the project,
and ``python -m etl export --format parquet DEST``.

The warehouse is the small fixture one (a few communes, 36 months of facts) published in the
split layout (a main file and one part per source, as a build publishes it, then a load):
about a second to make, no national build needed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl import cli
from etl.settings import PROJECT_ROOT
from etl.sources.categories import CATEGORIES
from etl.warehouse import export, parts, publish
from tests.support import dashboard_fixture as fx
from tests.support.published import copy_published


def _split(single: Path, published: Path) -> Path:
    """The single-file fixture warehouse ``single`` published in the split layout."""
    with parts.building(published, "r1") as con:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(single)])
        for part, tables in parts.part_tables().items():
            for t in tables:
                con.execute(f'INSERT INTO {parts.catalog(part)}.main."{t.name}" '  # noqa: S608
                            f'SELECT * FROM src.main."{t.name}"')
        con.execute("DETACH src")
    return published


def _facts(published: Path) -> None:
    """36 months of every category for each commune, and two SSMSI years: rows in two parts
    besides the main file's (made in SQL: a second, where the dashboard's fixture takes 18)."""
    base = "true AS synthetique, 'test' AS fichier, 'r2' AS run_id, '0' AS empreinte"
    with parts.changing(published, "r2", ["facts", "crime"]) as con:
        con.execute(f"""INSERT INTO facts_monthly BY NAME
            SELECT c.code AS code_commune, DATE '2024-01-01' + to_months(m) AS mois,
                   k.categorie, (m + length(c.code)) % 7 AS nombre, {base}
            FROM communes AS c, range(36) AS r(m),
                 (VALUES {", ".join(f"('{k}')" for k in CATEGORIES)}) AS k(categorie)""")  # noqa: S608
        con.execute(f"""INSERT INTO crime_annual BY NAME
            SELECT c.code AS code_commune, y AS annee, 'Cambriolages de logement' AS indicateur,
                   'diff' AS est_diffuse, 40 AS nombre, {base}
            FROM communes AS c, (VALUES (2024), (2025)) AS t(y)""")  # noqa: S608


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clients")
    published = _split(fx.build_small_warehouse(root / "single.duckdb"),
                       root / "data" / "warehouse.duckdb")
    _facts(published)
    return published


@pytest.fixture(scope="module")
def expected(warehouse) -> dict[str, int]:
    """Every table of the published warehouse and its rows, read the project's way."""
    with parts.connect(warehouse) as con:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1").fetchall()]
        counts = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0]  # noqa: S608
                  for n in names}
    assert counts["communes"] == len(fx.COMMUNES) and counts["facts_monthly"] > 1000
    assert counts["crime_annual"] == 2 * len(fx.COMMUNES) and counts["brigades"] > 0
    return counts


def _fresh(script: str, tables: list[str], cwd: Path | None = None,
           env: dict[str, str] | None = None) -> dict[str, int]:
    """Run ``script`` in a new Python process (not the project's path: only what the recipe
    imports) with ``TABLES`` given; it prints a JSON object table → rows."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), json.dumps(tables)],
        cwd=cwd or Path("/"), capture_output=True, text=True, timeout=120,
        env={k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


COUNT_ALL = """
tables = json.loads(sys.argv[1])
print(json.dumps({t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
                  for t in tables}))
"""


def _cli_like(sql: Path, prelude: str = "") -> str:
    """DuckDB's command line (`duckdb -init warehouse.sql`, `.read warehouse.sql`): the file's
    statements run in order in a new in-memory database. The DuckDB Python package ships no
    command-line binary, and the `duckdb-cli` wheel (1.5) cannot read DuckDB 2.0 files."""
    return f"""
import json, sys, duckdb
con = duckdb.connect()
{prelude}
con.execute(open({str(sql)!r}, encoding="utf-8").read())
""" + COUNT_ALL


# --- the init SQL ---------------------------------------------------------------------------

def test_the_init_sql_names_the_manifests_files_and_follows_each_publication(tmp_path):
    published = _split(fx.build_small_warehouse(tmp_path / "one.duckdb"),
                       tmp_path / "warehouse.duckdb")
    sql = publish.init_sql_path(published)
    assert sql == tmp_path / "warehouse.sql"
    manifest = parts.read_manifest(published)
    text = sql.read_text("utf-8")
    for name in manifest.files.values():
        assert f"'/warehouse.parts/{name}'" in text
    assert text.count(" (READ_ONLY);") == len(manifest.files)

    def rows_seen() -> int:
        with duckdb.connect() as con:
            con.execute(sql.read_text("utf-8"))
            return con.execute("SELECT count(*) FROM regions").fetchall()[0][0] + \
                con.execute("SELECT count(*) FROM trainings").fetchall()[0][0]

    before = rows_seen()
    with parts.changing(published, "r2", ["trainings"]) as con:
        con.execute("INSERT INTO trainings (id_participation, synthetique, fichier, run_id, "
                    "empreinte) VALUES ('P-1', true, 'test', 'r2', '0')")
    assert "'/warehouse.parts/trainings-r2.duckdb'" in sql.read_text("utf-8")
    assert rows_seen() == before + 1
    # read again in the same connection: the newest publication (catalogs detached first)
    with duckdb.connect() as con:
        con.execute(sql.read_text("utf-8"))
        with parts.changing(published, "r3", ["trainings"]) as w:
            w.execute("DELETE FROM trainings")
        con.execute(sql.read_text("utf-8"))
        assert con.execute("SELECT count(*) FROM trainings").fetchall() == [(0,)]
    assert not list(tmp_path.glob(".warehouse.sql.*"))  # written aside, then renamed


def test_a_single_file_warehouse_gets_its_init_sql_too(tmp_path):
    target = tmp_path / "warehouse.duckdb"
    with publish.building(target, "r1") as con:
        con.execute("INSERT INTO regions (code, nom) VALUES ('53', 'Bretagne')")
    with duckdb.connect() as con:
        con.execute(publish.init_sql_path(target).read_text("utf-8"))
        assert con.execute("SELECT nom FROM regions").fetchall() == [("Bretagne",)]


# --- the README's recipes, each from a fresh process ----------------------------------------------

def readme_recipe(tool: str) -> list[str]:
    """The code spans of the README's recipe row for ``tool`` (« From other tools »)."""
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith(f"| {tool} ")]
    return row.split(" | ", 1)[1].split("`")[1::2]


def _as_written(code: str, warehouse: Path) -> str:
    """A README line, with the data folder of the test instead of ``data/``."""
    assert '"data/warehouse.sql"' in code
    return code.replace('"data/warehouse.sql"', repr(str(publish.init_sql_path(warehouse))))


def test_duckdb_command_line_recipe(warehouse, expected):
    """`duckdb -init data/warehouse.sql`, from any working directory."""
    assert readme_recipe("DuckDB's command line")[0] == "duckdb -init data/warehouse.sql"
    sql = publish.init_sql_path(warehouse)
    assert _fresh(_cli_like(sql), list(expected)) == expected


def test_pandas_recipe(warehouse, expected):
    [line] = readme_recipe("pandas")
    script = "import json, sys, duckdb\n" + _as_written(line, warehouse) + f"""
assert len(df) == {expected["facts_monthly"]} and "categorie" in df.columns
""" + COUNT_ALL
    assert _fresh(script, list(expected)) == expected


def test_dbeaver_recipe_statement_by_statement(warehouse, expected):
    """DBeaver (`@include data/warehouse.sql` in an SQL editor on a DuckDB connection) sends a
    script's statements one at a time, over the DuckDB driver of the same version: here, one
    `execute` per statement, in a connection opened on the main file itself, read-only (a
    DBeaver connection to data/warehouse.duckdb)."""
    assert any(code.startswith("@include ") for code in readme_recipe("DBeaver"))
    script = f"""
import json, sys, duckdb
con = duckdb.connect({str(warehouse)!r}, read_only=True)
text = open({str(publish.init_sql_path(warehouse))!r}, encoding="utf-8").read()
statements = [s for s in text.splitlines() if s and not s.startswith("--")]
assert all(s.endswith(";") for s in statements)
for s in statements:
    con.execute(s)
""" + COUNT_ALL
    assert _fresh(script, list(expected)) == expected


def test_sqlalchemy_recipe(warehouse, expected):
    """duckdb-engine: every new connection of the pool runs the init SQL."""
    setup, read = readme_recipe("SQLAlchemy")
    script = f"""
import json, sys
import pandas as pd
from sqlalchemy import create_engine, event, text
{_as_written(setup, warehouse)}
df = {read}
out = {{}}
with engine.connect() as con:
    for t in json.loads(sys.argv[1]):
        out[t] = con.execute(text(f'SELECT count(*) FROM "{{t}}"')).scalar_one()
assert len(df) == out["communes"] and "nom" in df.columns
print(json.dumps(out))
"""  # noqa: S608 - a test script, not a query
    assert _fresh(script, list(expected)) == expected


def test_a_moved_data_folder_is_read_with_its_variable_then_rewritten(
        warehouse, expected, tmp_path, monkeypatch, capsys):
    copy = copy_published(warehouse, (tmp_path / "d1").resolve())
    export.rewrite_init_sql(copy)  # as its publication would have written it there
    first = copy.parent
    moved = tmp_path / "ailleurs" / "donnees"
    shutil.copytree(first, moved, symlinks=True)
    shutil.rmtree(first)
    sql = moved / "warehouse.sql"
    tables = list(expected)
    proc = subprocess.run([sys.executable, "-c", _cli_like(sql), json.dumps(tables)],
                          capture_output=True, text=True, timeout=120, cwd="/")
    assert proc.returncode != 0 and str(first) in proc.stderr  # the old absolute path
    assert _fresh(_cli_like(sql, f"con.execute(\"SET VARIABLE presence_data = '{moved}'\")"),
                  tables) == expected
    # from inside the folder itself
    assert _fresh(_cli_like(sql, "con.execute(\"SET VARIABLE presence_data = '.'\")"), tables,
                  cwd=moved) == expected
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(moved))
    assert cli.main(["export", "--format", "sql"]) == 0
    assert "SQL d'initialisation écrit" in capsys.readouterr().out
    assert _fresh(_cli_like(sql), tables) == expected


# --- python -m etl export --format parquet DEST ------------------------------------------------

def test_parquet_export_from_the_command_line(warehouse, expected, tmp_path, monkeypatch,
                                              capsys):
    dest = tmp_path / "export"
    proc = subprocess.run(
        [sys.executable, "-m", "etl", "export", "--format", "parquet", str(dest)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PRESENCE_DATA_DIR": str(warehouse.parent)})
    assert proc.returncode == 0, proc.stderr
    assert f"{len(expected)} tables exportées" in proc.stdout
    manifest = json.loads((dest / "manifest.json").read_text("utf-8"))
    assert {t["table"]: t["lignes"] for t in manifest["tables"]} == expected
    assert sorted(manifest["fichiers_entrepot"].values()) == sorted(
        parts.read_manifest(warehouse).files.values())
    assert "| `facts_monthly` | `facts_monthly.parquet` |" in \
        (dest / "LISEZMOI.md").read_text("utf-8")
    script = f"""
import json, sys
import pandas as pd
print(json.dumps({{t: len(pd.read_parquet({str(dest)!r} + f"/{{t}}.parquet"))
                  for t in json.loads(sys.argv[1])}}))
"""
    assert _fresh(script, list(expected)) == expected
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [f"{t}.parquet" for t in expected] + ["LISEZMOI.md", "manifest.json"])
    # the same destination again: refused in French, the export as it was
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(warehouse.parent))
    assert cli.main(["export", "--format", "parquet", str(dest)]) == 2
    assert "n'est pas vide" in capsys.readouterr().err
    assert json.loads((dest / "manifest.json").read_text("utf-8")) == manifest
    assert cli.main(["export", "--format", "parquet"]) == 2
    assert "demande un dossier de destination" in capsys.readouterr().err


def test_parquet_export_refuses_bad_destinations_in_french(warehouse, tmp_path):
    a_file = tmp_path / "fichier.txt"
    a_file.write_text("x")
    with pytest.raises(export.ExportError, match="n'est pas un dossier"):
        export.export_parquet(warehouse, a_file)
    with pytest.raises(export.ExportError, match="n'existe pas"):
        export.export_parquet(warehouse, tmp_path / "absent" / "export")
    with pytest.raises(export.ExportError, match="Aucun entrepôt publié"):
        export.export_parquet(tmp_path / "rien" / "warehouse.duckdb", tmp_path / "e1")
    locked = tmp_path / "verrouille"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anyway
        with pytest.raises(export.ExportError, match="droits insuffisants"):
            export.export_parquet(warehouse, locked / "export")
    empty = tmp_path / "vide"
    empty.mkdir()
    assert export.export_parquet(warehouse, empty).tables  # an empty folder is fine
    assert not a_file.with_name("e1").exists()


def test_a_failed_export_leaves_nothing_that_looks_complete(warehouse, tmp_path, monkeypatch):
    dest = tmp_path / "export"
    killed = tmp_path / ".export.export-99999.tmp"  # what a killed export leaves
    killed.mkdir()
    (killed / "communes.parquet").write_bytes(b"partial")
    written = []
    real = export.fsync

    def failing(path: Path) -> None:
        written.append(path)
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        real(path)

    monkeypatch.setattr(export, "fsync", failing)
    with pytest.raises(export.ExportError, match="rien n'est laissé"):
        export.export_parquet(warehouse, dest)
    assert len(written) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # neither DEST nor a temp folder
    monkeypatch.setattr(export, "fsync", real)
    done = export.export_parquet(warehouse, dest)
    assert pd.read_parquet(dest / "communes.parquet").shape[0] == done.tables["communes"]

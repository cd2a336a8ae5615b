"""The format documentation is generated from the source declarations and kept current."""

from __future__ import annotations

from etl import cli
from etl.settings import PROJECT_ROOT
from etl.sources.docs import formats_markdown
from etl.sources.registry import SOURCES


def test_formats_doc_is_generated_and_current():
    doc = (PROJECT_ROOT / "docs" / "formats.md").read_text("utf-8")
    assert doc.strip() == formats_markdown().strip(), (
        "docs/formats.md is stale: run `.venv/bin/python -m etl formats > docs/formats.md`")


def test_formats_doc_covers_every_source_and_field():
    doc = formats_markdown()
    for s in SOURCES.values():
        section = doc.split(f"## `{s.name}`\n", 1)[1].split("\n## ", 1)[0]
        assert s.description in section
        assert f"Table de l'entrepôt : `{s.table}`" in section
        assert "Clé naturelle : " + ", ".join(f"`{k}`" for k in s.key) in section
        assert "UTF-8 avec ou sans BOM" in section and "Parquet" in section
        assert s.example in section
        for f in s.fields:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{f.name}` |"))
            assert f.doc_type().replace("|", "\\|") in row
            assert ("| non |" in row) != f.required
            for alias in f.aliases:
                assert f"`{alias}`" in row
    assert "`CODGEO_\\d{4}`" in doc  # the yearly header of the communal base


def test_cli_prints_the_formats(capsys):
    assert cli.main(["formats"]) == 0
    assert capsys.readouterr().out.strip() == formats_markdown().strip()

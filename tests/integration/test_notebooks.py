"""Analyst notebooks run on the published warehouse: every code cell executes without error."""

from __future__ import annotations

import json

import pytest

from etl.settings import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, national_warehouse, monkeypatch):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(national_warehouse.parent))
    cells = json.loads(path.read_text("utf-8"))["cells"]
    namespace: dict = {"__name__": "__notebook__"}
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        # the last expression of a cell is what Jupyter would display: evaluate it too
        exec(compile(source, f"{path.name}[{i}]", "exec"), namespace)  # noqa: S102


def test_there_is_a_notebook():
    assert NOTEBOOKS

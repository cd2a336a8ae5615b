"""Analyst notebooks run on a published warehouse: every code cell executes without error.

The organisation notebook runs on the national reference warehouse; the recommendation notebook
needs facts, presence and DCAS data, and runs on the small fixture warehouse with its
operational data (`tests/support/dashboard_fixture.py`)."""

from __future__ import annotations

import json

import pytest

from etl.settings import PROJECT_ROOT
from tests.support.dashboard_fixture import add_operational_data, build_small_warehouse

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
#: notebooks that need operational data: run on the fixture warehouse
ON_FIXTURE = {"02_recommandations.ipynb"}


def _run(path) -> dict:
    cells = json.loads(path.read_text("utf-8"))["cells"]
    namespace: dict = {"__name__": "__notebook__"}
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        # the last expression of a cell is what Jupyter would display: evaluate it too
        exec(compile(source, f"{path.name}[{i}]", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name not in ON_FIXTURE],
                         ids=lambda p: p.name)
def test_notebook_runs(path, national_warehouse, monkeypatch):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(national_warehouse.parent))
    _run(path)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name in ON_FIXTURE],
                         ids=lambda p: p.name)
def test_notebook_runs_on_the_fixture(path, tmp_path, monkeypatch):
    add_operational_data(build_small_warehouse(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    namespace = _run(path)
    if path.name == "02_recommandations.ipynb":
        assert {"modele", "derniers_4", "annee_precedente", "moyenne_12"} <= set(
            namespace["result"].table["methode"])
        assert len(namespace["compare"]) and not namespace["plan"].errors


def test_there_is_a_notebook():
    assert NOTEBOOKS

"""Analyst notebooks run on a published warehouse: every code cell executes without error.

The organisation notebook runs on the national reference warehouse; the recommendation notebook
needs facts, presence and DCAS data, and runs on the small fixture warehouse with its
operational data (`tests/support/dashboard_fixture.py`)."""

from __future__ import annotations

import ast
import contextlib
import io
import json

import pandas as pd
import pytest

from etl.settings import PROJECT_ROOT
from tests.support.dashboard_fixture import add_operational_data, build_small_warehouse

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
#: notebooks that need operational data: run on the fixture warehouse
ON_FIXTURE = {"02_recommandations.ipynb"}
ON_NATIONAL = [p for p in NOTEBOOKS if p.name not in ON_FIXTURE]
#: what a cell must never print (a caught exception's trace or name)
ERROR_WORDS = ("Traceback", "Error", "Exception")


def _code_cells(path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text("utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


def _run(path) -> tuple[dict, list[tuple[str, str, object]]]:
    """Every code cell run in order as Jupyter would: its namespace, and per cell (its name,
    what it printed, the value it displays: its last expression, or None)."""
    namespace: dict = {"__name__": "__notebook__"}
    outputs = []
    for i, source in _code_cells(path):
        name = f"{path.name}[{i}]"
        tree = ast.parse(source, name)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(tree, name, "exec"), namespace)  # noqa: S102
            shown = (eval(compile(ast.Expression(last.value), name, "eval"), namespace)  # noqa: S307
                     if last is not None else None)
        outputs.append((name, printed.getvalue(), shown))
    return namespace, outputs


def _assert_outputs_clean(outputs) -> None:
    """No cell prints an error, and what a cell displays is not empty (a table with rows, a
    figure with data)."""
    for name, printed, shown in outputs:
        assert not any(w in printed for w in ERROR_WORDS), f"{name} printed:\n{printed}"
        if isinstance(shown, pd.DataFrame | pd.Series):
            assert len(shown), f"{name} displays an empty table"
        elif hasattr(shown, "to_plotly_json"):
            assert shown.data, f"{name} displays an empty figure"


@pytest.mark.slow
@pytest.mark.parametrize("path", ON_NATIONAL, ids=lambda p: p.name)
def test_notebook_runs(path, national_warehouse, monkeypatch):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(national_warehouse.parent))
    _namespace, outputs = _run(path)
    _assert_outputs_clean(outputs)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name in ON_FIXTURE],
                         ids=lambda p: p.name)
def test_notebook_runs_on_the_fixture(path, tmp_path, monkeypatch):
    add_operational_data(build_small_warehouse(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(tmp_path))
    namespace, outputs = _run(path)
    _assert_outputs_clean(outputs)
    if path.name == "02_recommandations.ipynb":
        assert {"modele", "derniers_4", "annee_precedente", "moyenne_12"} <= set(
            namespace["result"].table["methode"])
        assert len(namespace["compare"]) and not namespace["plan"].errors


def test_every_notebook_is_run_and_stores_no_error():
    """Each notebook of notebooks/ is run by one of the tests above (on the national or the
    fixture warehouse), its code compiles, and it is committed without an error output."""
    names = [p.name for p in NOTEBOOKS]
    assert ON_FIXTURE <= set(names), ON_FIXTURE - set(names)
    assert sorted(ON_NATIONAL + [p for p in NOTEBOOKS if p.name in ON_FIXTURE]) == NOTEBOOKS
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text("utf-8"))["cells"]
        assert _code_cells(path), f"{path.name}: no code cell"
        for i, source in _code_cells(path):
            compile(source, f"{path.name}[{i}]", "exec")
        errors = [(i, o.get("ename")) for i, c in enumerate(cells)
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert errors == [], f"{path.name}: cells committed with an error output {errors}"

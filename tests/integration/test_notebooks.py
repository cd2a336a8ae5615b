"""Analyst notebooks run on a published warehouse: every code cell executes without error.

The organisation notebook runs on the national reference warehouse; the others need facts,
complaints, DCAS, trainings or diagnostics, and run on the small fixture warehouse with its
operational data (`tests/support/dashboard_fixture.py`). The notebooks parameterised by
département (a cell tagged ``parameters``, papermill's convention) run with their default and
with another département injected after that cell, as papermill does: what they show must
change with it, and name no commune or brigade of another département."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re

import pandas as pd
import pytest

from etl.settings import PROJECT_ROOT
from tests.support.dashboard_fixture import (
    BRIGADES,
    COMMUNES,
    add_earlier_engagement,
    add_operational_data,
    build_small_warehouse,
)

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
#: notebooks parameterised by département: the default value of their ``parameters`` cell, and
#: the one the test injects instead
PARAMETERISED = {"03_atteintes_elus.ipynb", "04_attentes_dcas_faits.ipynb",
                 "05_couverture_formation_cyber.ipynb", "06_taux_petites_zones.ipynb"}
DEFAULT_DEPARTEMENT, OTHER_DEPARTEMENT = "35", "56"
#: notebooks that need operational data: run on the fixture warehouse
ON_FIXTURE = {"02_recommandations.ipynb"} | PARAMETERISED
ON_NATIONAL = [p for p in NOTEBOOKS if p.name not in ON_FIXTURE]
#: what a cell must never print (a caught exception's trace or name)
ERROR_WORDS = ("Traceback", "Error", "Exception")
#: the fixture's units (communes and brigades) → their département
UNIT_DEPARTEMENT = {c[0]: c[2] for c in COMMUNES} | {b[0]: b[2] for b in BRIGADES}


def _code_cells(path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text("utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


def _parameters_cell(path) -> int | None:
    """Index of the cell tagged ``parameters`` (papermill's convention), None without one."""
    cells = json.loads(path.read_text("utf-8"))["cells"]
    tagged = [i for i, c in enumerate(cells)
              if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) <= 1, f"{path.name}: several cells tagged parameters"
    return tagged[0] if tagged else None


def _run(path, parameters: dict | None = None) -> tuple[dict, list[tuple[str, str, object]]]:
    """Every code cell run in order as Jupyter would: its namespace, and per cell (its name,
    what it printed, the value it displays: its last expression, or None). ``parameters`` are
    assigned right after the cell tagged ``parameters``, as papermill's injected cell does."""
    namespace: dict = {"__name__": "__notebook__"}
    outputs = []
    tagged = _parameters_cell(path)
    if parameters:
        assert tagged is not None, f"{path.name}: no cell tagged parameters"
    for i, source in _code_cells(path):
        name = f"{path.name}[{i}]"
        tree = ast.parse(source, name)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(tree, name, "exec"), namespace)  # noqa: S102
            shown = (eval(compile(ast.Expression(last.value), name, "eval"), namespace)  # noqa: S307
                     if last is not None else None)
            if i == tagged and parameters:
                injected = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
                exec(compile(injected, f"{path.name}[injected-parameters]", "exec"),  # noqa: S102
                     namespace)
        outputs.append((name, printed.getvalue(), shown))
    return namespace, outputs


def _rendering(shown) -> str:
    """What a displayed value shows, as text (tables as CSV, figures as their JSON)."""
    if isinstance(shown, pd.DataFrame | pd.Series):
        return shown.to_csv()
    if hasattr(shown, "to_plotly_json"):
        return json.dumps(shown.to_plotly_json(), default=str, sort_keys=True)
    return "" if shown is None else repr(shown)


def _units_shown(outputs) -> set[str]:
    """The fixture's communes and brigades a run names in its printed and displayed outputs."""
    text = " ".join(printed + _rendering(shown) for _name, printed, shown in outputs)
    return {unit for unit in UNIT_DEPARTEMENT
            if re.search(rf"(?<![\w.]){unit}(?![\w.])", text)}


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


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory):
    """The fixture warehouse with its operational data and a year of earlier DCAS consultations
    and complaints, built once for the notebooks (which only read it)."""
    folder = tmp_path_factory.mktemp("notebooks")
    add_earlier_engagement(add_operational_data(build_small_warehouse(
        folder / "warehouse.duckdb")))
    return folder


def test_recommendations_notebook_runs_on_the_fixture(fixture_warehouse, monkeypatch):
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(fixture_warehouse))
    namespace, outputs = _run(PROJECT_ROOT / "notebooks" / "02_recommandations.ipynb")
    _assert_outputs_clean(outputs)
    assert {"modele", "derniers_4", "annee_precedente", "moyenne_12"} <= set(
        namespace["result"].table["methode"])
    assert len(namespace["compare"]) and not namespace["plan"].errors


@pytest.mark.parametrize("name", sorted(PARAMETERISED))
def test_notebook_runs_for_two_departements(name, fixture_warehouse, monkeypatch):
    """Run with its default département and with another one injected: both clean, each
    showing its own département's units only, and what they show differs beyond the
    département's name (the parameter reaches the tables and figures)."""
    monkeypatch.setenv("PRESENCE_DATA_DIR", str(fixture_warehouse))
    path = PROJECT_ROOT / "notebooks" / name
    runs = {}
    for departement in (DEFAULT_DEPARTEMENT, OTHER_DEPARTEMENT):
        # as `papermill -p DEPARTEMENT 56` injects it: a number, which the notebook reads as
        # the code « 56 »
        injected = None if departement == DEFAULT_DEPARTEMENT else {
            "DEPARTEMENT": int(departement)}
        namespace, outputs = _run(path, injected)
        assert namespace["DEPARTEMENT"] == departement
        _assert_outputs_clean(outputs)
        shown = _units_shown(outputs)
        assert shown, f"{name} ({departement}) names no commune nor brigade"
        foreign = {u for u in shown if UNIT_DEPARTEMENT[u] != departement}
        assert not foreign, f"{name} ({departement}) shows units of another département {foreign}"
        runs[departement] = [_rendering(s) for _n, _p, s in outputs if s is not None]
    first, second = runs[DEFAULT_DEPARTEMENT], runs[OTHER_DEPARTEMENT]
    assert len(first) == len(second)
    changed = sum(a != b for a, b in zip(first, second, strict=True))
    assert changed >= len(first) // 2, f"{name}: only {changed} of {len(first)} outputs changed"


def test_every_notebook_is_run_and_stores_no_error():
    """Each notebook of notebooks/ is run by one of the tests above (on the national or the
    fixture warehouse), its code compiles, and it is committed without an error output."""
    names = [p.name for p in NOTEBOOKS]
    assert ON_FIXTURE <= set(names), ON_FIXTURE - set(names)
    for path in NOTEBOOKS:
        tagged = _parameters_cell(path)
        assert (tagged is not None) == (path.name in PARAMETERISED), path.name
        if tagged is not None:  # papermill's default: one plain assignment per parameter
            source = "".join(json.loads(path.read_text("utf-8"))["cells"][tagged]["source"])
            assert ast.literal_eval(ast.parse(source).body[0].value) == DEFAULT_DEPARTEMENT
    assert sorted(ON_NATIONAL + [p for p in NOTEBOOKS if p.name in ON_FIXTURE]) == NOTEBOOKS
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text("utf-8"))["cells"]
        assert _code_cells(path), f"{path.name}: no code cell"
        for i, source in _code_cells(path):
            compile(source, f"{path.name}[{i}]", "exec")
        errors = [(i, o.get("ename")) for i, c in enumerate(cells)
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert errors == [], f"{path.name}: cells committed with an error output {errors}"

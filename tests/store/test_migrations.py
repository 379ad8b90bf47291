from __future__ import annotations

from sqlalchemy import inspect

from airwave.runtime import Runtime
from airwave.store.engine import migrate
from airwave.store.schema import Base


def test_migrations_create_every_table_and_rerun_cleanly(runtime: Runtime) -> None:
    migrate(runtime.db.engine)  # a second run changes nothing and does not fail
    tables = set(inspect(runtime.db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_models_and_migrations_agree(runtime: Runtime) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with runtime.db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], "store/tables.py changed without a migration: add one under store/migrations/versions"

from __future__ import annotations

from sqlalchemy import inspect

from airwave.runtime import Runtime
from airwave.store.engine import migrate
from airwave.store.tables import Base


def test_migrations_create_every_table_and_rerun_cleanly(runtime: Runtime) -> None:
    migrate(runtime.db.engine)  # a second run changes nothing and does not fail
    tables = set(inspect(runtime.db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables

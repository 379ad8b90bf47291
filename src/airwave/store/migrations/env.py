"""Alembic environment: runs on the connection Airwave hands over (see ``store.engine.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from airwave.store.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the alembic CLI, e.g. `alembic revision --autogenerate`
    connection = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://").connect()
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

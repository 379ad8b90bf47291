"""Alembic environment: runs on the connection Airwave hands over (see ``store.engine.migrate``).

New revision, after changing tables (from ``src/airwave/store``)::

    python -c "from alembic.config import Config; from alembic import command; c = Config(); \
c.set_main_option('script_location', 'migrations'); c.set_main_option('sqlalchemy.url', 'sqlite:////tmp/a.db'); \
command.upgrade(c, 'heads'); command.revision(c, message='what changed', autogenerate=True, rev_id='000N')"
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import create_engine

from airwave.store.schema import Base
from airwave.store.tables import UTCDateTime


def render_item(kind: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations must not import live code: our UTC type is a plain timezone-aware DateTime in the schema.
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the alembic CLI, e.g. `alembic revision --autogenerate`
    connection = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://").connect()
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()

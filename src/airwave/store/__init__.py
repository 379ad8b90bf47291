"""Persistence: SQLAlchemy tables, the engine, Alembic migrations."""

"""Fixtures shared by every test: settings on a temporary data dir, a runtime on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from airwave.clock import FakeClock
from airwave.config import Settings, load_settings
from airwave.runtime import Runtime, open_runtime
from tests.services import require_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'airwave.db'}"
        return
    base = require_postgres()
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a temporary data dir, a tiny fast ladder, and the parametrised database."""
    return load_settings(
        data=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret",
        ladder=(360, 180),
        x264_preset="ultrafast",
        segment_seconds=1.0,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def runtime(settings: Settings, clock: FakeClock) -> Iterator[Runtime]:
    rt = open_runtime(settings, clock=clock)
    yield rt
    rt.close()

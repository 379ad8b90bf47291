"""Fixtures for the HTTP tests: an app with a client, accounts with tokens, a published sample title."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airwave.accounts.logins import issue_login
from airwave.accounts.users import create_user
from airwave.runtime import Runtime
from airwave.web.app import create_app
from tests.web.sample import publish, sample_dir

PASSWORD = "password123"


@dataclass
class Account:
    id: int
    email: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def make_account(runtime: Runtime, email: str, role: str) -> Account:
    with runtime.db.session() as session:
        user = create_user(session, runtime.clock, email=email, password=PASSWORD, role=role)
        token = issue_login(session, runtime.clock, user, kind="bearer", ttl=dt.timedelta(days=1))
        return Account(user.id, user.email, token)


@pytest.fixture
def admin(runtime: Runtime) -> Account:
    return make_account(runtime, "admin@example.org", "admin")


@pytest.fixture
def viewer(runtime: Runtime) -> Account:
    return make_account(runtime, "viewer@example.org", "subscriber")


@pytest.fixture
def other_viewer(runtime: Runtime) -> Account:
    return make_account(runtime, "other@example.org", "subscriber")


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_dir(tmp_path_factory.getbasetemp().parent / "airwave-sample")


@pytest.fixture
def film(runtime: Runtime, sample: Path) -> int:
    return publish(runtime, sample, name="Night Train", description="A thriller on rails", genres=["Thriller"])

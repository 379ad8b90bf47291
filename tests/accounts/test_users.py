from __future__ import annotations

import pytest

from airwave.accounts.users import WRONG_LOGIN, authenticate, create_user, list_users
from airwave.clock import FakeClock
from airwave.errors import BadRequest, Conflict, Unauthorized
from airwave.runtime import Runtime


def test_create_and_authenticate(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        created = create_user(session, clock, email=" Ann@Example.ORG ", password="password1", role="admin")
        assert created.email == "ann@example.org"
        assert created.display_name == "ann"
        assert created.password_hash.startswith("$argon2id$")
    with runtime.db.session() as session:
        assert authenticate(session, "ANN@example.org", "password1").id == created.id
        assert [user.email for user in list_users(session)] == ["ann@example.org"]


def test_wrong_password_and_unknown_email_get_the_same_message(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        create_user(session, clock, email="ann@example.org", password="password1")
    with runtime.db.session() as session:
        with pytest.raises(Unauthorized) as wrong:
            authenticate(session, "ann@example.org", "password2")
        with pytest.raises(Unauthorized) as unknown:
            authenticate(session, "bob@example.org", "password1")
    assert wrong.value.message == unknown.value.message == WRONG_LOGIN


def test_disabled_account_cannot_sign_in(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        create_user(session, clock, email="ann@example.org", password="password1").disabled = True
    with runtime.db.session() as session, pytest.raises(Unauthorized):
        authenticate(session, "ann@example.org", "password1")


def test_bad_input_is_refused(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        create_user(session, clock, email="ann@example.org", password="password1")
    with runtime.db.session() as session:
        with pytest.raises(Conflict, match="exists"):
            create_user(session, clock, email="ANN@example.org", password="password1")
        with pytest.raises(BadRequest, match="not an email"):
            create_user(session, clock, email="ann", password="password1")
        with pytest.raises(BadRequest, match="role"):
            create_user(session, clock, email="x@example.org", password="password1", role="root")
        with pytest.raises(BadRequest, match="too short"):
            create_user(session, clock, email="x@example.org", password="pw")

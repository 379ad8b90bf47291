from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from airwave.accounts.csrf import csrf_for, csrf_valid
from airwave.accounts.logins import issue_login, purge_expired, resolve_login, revoke, revoke_all
from airwave.accounts.users import create_user
from airwave.clock import FakeClock
from airwave.runtime import Runtime
from airwave.store.tables import AuthToken

DAY = dt.timedelta(days=1)


def test_login_is_stored_hashed_and_resolves_until_it_expires(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        user = create_user(session, clock, email="ann@example.org", password="password1")
        raw = issue_login(session, clock, user, kind="bearer", ttl=DAY)
    with runtime.db.session() as session:
        stored = session.scalars(select(AuthToken.token_hash)).all()
        assert raw not in stored
        login = resolve_login(session, clock, raw, kind="bearer")
        assert login is not None
        assert login.user.email == "ann@example.org"
        assert resolve_login(session, clock, raw, kind="cookie") is None
        assert resolve_login(session, clock, raw + "x") is None
    clock.advance(DAY.total_seconds())
    with runtime.db.session() as session:
        assert resolve_login(session, clock, raw) is None
        assert purge_expired(session, clock) == 1


def test_revoke_ends_one_login_and_revoke_all_every_one(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        user = create_user(session, clock, email="ann@example.org", password="password1")
        first = issue_login(session, clock, user, kind="cookie", ttl=DAY)
        second = issue_login(session, clock, user, kind="bearer", ttl=DAY)
        third = issue_login(session, clock, user, kind="bearer", ttl=DAY)
    with runtime.db.session() as session:
        assert revoke(session, first)
        assert not revoke(session, first)
        assert resolve_login(session, clock, first) is None
        assert resolve_login(session, clock, second) is not None
        assert revoke_all(session, user.id) == 2
        assert resolve_login(session, clock, third) is None


def test_csrf_token_is_bound_to_the_login_and_the_secret() -> None:
    token = csrf_for("secret", "login-a")
    assert csrf_valid("secret", "login-a", token)
    assert not csrf_valid("secret", "login-b", token)
    assert not csrf_valid("other", "login-a", token)
    assert not csrf_valid("secret", "login-a", "")

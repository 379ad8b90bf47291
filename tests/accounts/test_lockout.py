"""Login rate limiting: per account and per IP, with a message that says when to retry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from airwave.accounts import lockout
from airwave.accounts.lockout import Limit, lockout_message, retry_after
from airwave.accounts.users import create_user
from airwave.clock import FakeClock
from airwave.config import load_settings
from airwave.errors import TooManyRequests, Unauthorized
from airwave.runtime import Runtime, open_runtime

T0 = dt.datetime(2027, 5, 1, 12, 0, tzinfo=dt.UTC)
LIMIT = Limit(5, dt.timedelta(minutes=15))


def test_retry_after_counts_failures_in_the_sliding_window() -> None:
    fails = [T0 + dt.timedelta(minutes=i) for i in range(4)]
    assert retry_after(fails, LIMIT, T0 + dt.timedelta(minutes=5)) is None
    fails.append(T0 + dt.timedelta(minutes=4))
    assert retry_after(fails, LIMIT, T0 + dt.timedelta(minutes=5)) == dt.timedelta(minutes=10)
    # the oldest failure leaves the window at 12:15 and the lock lifts
    assert retry_after(fails, LIMIT, T0 + dt.timedelta(minutes=15)) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (240, "Too many attempts; try again in 4 minutes"),
        (181, "Too many attempts; try again in 4 minutes"),
        (60, "Too many attempts; try again in 1 minute"),
        (0.2, "Too many attempts; try again in 1 second"),
        (42, "Too many attempts; try again in 42 seconds"),
    ],
)
def test_lockout_message_says_when_to_retry(seconds: float, text: str) -> None:
    assert lockout_message(dt.timedelta(seconds=seconds)) == text


def _attempt(runtime: Runtime, email: str, password: str, ip: str = "198.51.100.7") -> None:
    with runtime.db.session() as session:
        lockout.sign_in(runtime, session, email, password, ip)


def test_account_locks_after_repeated_failures_and_unlocks_later(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        create_user(session, clock, email="ann@example.org", password="correct horse")
    for _ in range(runtime.settings.login_max_failures):
        with pytest.raises(Unauthorized):
            _attempt(runtime, "ann@example.org", "wrong guess")
        clock.advance(30)
    with pytest.raises(TooManyRequests) as locked:
        _attempt(runtime, "ANN@example.org", "correct horse")  # even the right password waits
    assert locked.value.message == "Too many attempts; try again in 13 minutes"
    assert locked.value.details["retry_after"] == 750  # 5 failures from t=0 s, now t=150 s, window 900 s
    clock.advance(13 * 60)
    _attempt(runtime, "ann@example.org", "correct horse")


def test_success_clears_the_accounts_failures(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        create_user(session, clock, email="ann@example.org", password="correct horse")
    for _round in range(3):
        for _ in range(runtime.settings.login_max_failures - 1):
            with pytest.raises(Unauthorized):
                _attempt(runtime, "ann@example.org", "wrong guess", ip=f"203.0.113.{_round}")
        _attempt(runtime, "ann@example.org", "correct horse", ip=f"203.0.113.{_round}")


def test_ip_lock_covers_every_account(tmp_path: Path, clock: FakeClock) -> None:
    settings = load_settings(data=tmp_path / "var", secret_key="k", login_max_failures_ip=3)
    runtime = open_runtime(settings, clock=clock)
    try:
        for number in range(3):
            with pytest.raises(Unauthorized):
                _attempt(runtime, f"user{number}@example.org", "whatever1", ip="192.0.2.9")
        with pytest.raises(TooManyRequests, match="try again in 15 minutes"):
            _attempt(runtime, "someone.else@example.org", "whatever1", ip="192.0.2.9")
        with pytest.raises(Unauthorized):  # another address is not locked
            _attempt(runtime, "someone.else@example.org", "whatever1", ip="192.0.2.10")
    finally:
        runtime.close()

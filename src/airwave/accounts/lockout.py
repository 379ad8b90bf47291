"""Login rate limiting: too many failed sign-ins lock an account, or an IP address, for a while.

Failures are counted in a sliding window (``Settings.login_window_minutes``), separately per account
(``login_max_failures``) and per client IP (``login_max_failures_ip``): guessing one account's password
and spraying one password over many accounts are both stopped. A locked caller is told when to retry
("Too many attempts; try again in 4 minutes"). A successful sign-in clears the account's failures.

Failures are written in their own transaction, so they count even though the request that made them fails.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airwave.accounts.users import authenticate, normalise_email
from airwave.errors import BadRequest, TooManyRequests, Unauthorized
from airwave.runtime import Runtime
from airwave.store.accounts import LoginFailure
from airwave.store.tables import User


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` failed attempts within ``window``."""

    failures: int
    window: dt.timedelta


def retry_after(failures: Sequence[dt.datetime], limit: Limit, now: dt.datetime) -> dt.timedelta | None:
    """How long until another attempt is allowed, or None when one is allowed now. Pure.

    Locked while ``limit.failures`` or more failures lie within the window; the lock lifts when the oldest
    of the last ``limit.failures`` failures leaves the window.
    """
    recent = sorted(at for at in failures if now - limit.window < at <= now)
    if len(recent) < limit.failures:
        return None
    return recent[-limit.failures] + limit.window - now


def lockout_message(wait: dt.timedelta) -> str:
    """ "Too many attempts; try again in 4 minutes" (rounded up, never "0 minutes")."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"Too many attempts; try again in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"Too many attempts; try again in {minutes} minute{'s' if minutes != 1 else ''}"


def keys_for(email: str, client_ip: str) -> dict[str, str]:
    """The counters one attempt touches: ``{"account": ..., "ip": ...}`` (no IP key when it is unknown)."""
    try:
        account = normalise_email(email)
    except BadRequest:
        account = email.strip().lower()[:320]
    keys = {"account": f"account:{account}"}
    if client_ip:
        keys["ip"] = f"ip:{client_ip}"
    return keys


def sign_in(runtime: Runtime, session: Session, email: str, password: str, client_ip: str) -> User:
    """Check an email and password, refusing while the account or the IP is locked out.

    Raises:
        TooManyRequests: locked out; the message says when to retry, ``details["retry_after"]`` in seconds.
        Unauthorized: wrong email or password (the failure is recorded).
    """
    keys = keys_for(email, client_ip)
    limits = _limits(runtime)
    now = runtime.clock.now()
    with runtime.db.session() as counter:
        _check(counter, keys, limits, now)
    try:
        user = authenticate(session, email, password)
    except Unauthorized:
        with runtime.db.session() as counter:
            counter.add_all(LoginFailure(key=key, at=now) for key in keys.values())
            cutoff = now - max(limit.window for limit in limits.values())
            counter.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys.values()), LoginFailure.at <= cutoff))
        raise
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys["account"]))
    return user


def purge(session: Session, runtime: Runtime) -> int:
    """Forget failures older than the window; returns how many."""
    cutoff = runtime.clock.now() - dt.timedelta(minutes=runtime.settings.login_window_minutes)
    result = session.execute(delete(LoginFailure).where(LoginFailure.at <= cutoff))
    return int(getattr(result, "rowcount", 0))


def _limits(runtime: Runtime) -> dict[str, Limit]:
    window = dt.timedelta(minutes=runtime.settings.login_window_minutes)
    return {
        "account": Limit(runtime.settings.login_max_failures, window),
        "ip": Limit(runtime.settings.login_max_failures_ip, window),
    }


def _check(session: Session, keys: dict[str, str], limits: dict[str, Limit], now: dt.datetime) -> None:
    waits = []
    for kind, key in keys.items():
        limit = limits[kind]
        statement = select(LoginFailure.at).where(LoginFailure.key == key, LoginFailure.at > now - limit.window)
        wait = retry_after(list(session.scalars(statement)), limit, now)
        if wait is not None:
            waits.append(wait)
    if waits:
        wait = max(waits)
        raise TooManyRequests(lockout_message(wait), retry_after=math.ceil(wait.total_seconds()))

"""Logins: a browser's cookie session or an API bearer token, stored only as a SHA-256 hash.

The raw token is handed to the client once; the database holds ``sha256(token)``, so a leaked database
does not let anyone sign in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airwave.clock import Clock
from airwave.errors import BadRequest
from airwave.store.tables import AuthToken, User

KINDS = ("cookie", "bearer")


def token_hash(raw: str) -> str:
    """The stored form of a raw login token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_login(
    session: Session, clock: Clock, user: User, *, kind: str, ttl: dt.timedelta, user_agent: str = ""
) -> str:
    """Start a login for ``user`` lasting ``ttl`` and return its raw token (shown once, never stored).

    Raises:
        BadRequest: ``kind`` is not "cookie" or "bearer".
    """
    if kind not in KINDS:
        raise BadRequest(f"unknown login kind {kind!r}")
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        AuthToken(
            token_hash=token_hash(raw),
            user_id=user.id,
            kind=kind,
            created_at=now,
            expires_at=now + ttl,
            user_agent=user_agent[:400],
        )
    )
    session.flush()
    return raw


def resolve_login(session: Session, clock: Clock, raw: str, *, kind: str | None = None) -> AuthToken | None:
    """Return the live login for a raw token (its ``user`` loaded), or None.

    None when the token is unknown, expired, of another ``kind`` than asked, or its user is disabled.
    """
    if not raw:
        return None
    login = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_hash(raw)))
    if login is None or login.expires_at <= clock.now() or login.user.disabled:
        return None
    if kind is not None and login.kind != kind:
        return None
    return login


def revoke(session: Session, raw: str) -> bool:
    """End the login of a raw token; True if there was one."""
    result = session.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(raw)))
    return bool(getattr(result, "rowcount", 0))


def revoke_all(session: Session, user_id: int) -> int:
    """End every login of a user (after a password change, say); returns how many ended."""
    result = session.execute(delete(AuthToken).where(AuthToken.user_id == user_id))
    return int(getattr(result, "rowcount", 0))


def purge_expired(session: Session, clock: Clock) -> int:
    """Delete expired logins; returns how many."""
    result = session.execute(delete(AuthToken).where(AuthToken.expires_at <= clock.now()))
    return int(getattr(result, "rowcount", 0))

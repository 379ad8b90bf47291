"""How many streams an account may hold, how long a lease lasts, and how fast sessions may be started."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from airwave.accounts import entitlements
from airwave.errors import TooManyRequests
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession, User


def stream_limit(session: Session, user: User, runtime: Runtime) -> int:
    """The account's concurrent-stream limit: its plan's ``max_streams`` when billing knows one, else the default."""
    facts_for = getattr(entitlements, "facts_for", None)
    if facts_for is not None:
        facts = facts_for(session, user, runtime.clock.now())
        limit = getattr(facts, "max_streams", None)
        if isinstance(limit, int) and limit > 0:
            return limit
    return runtime.settings.max_streams


def lease_seconds(runtime: Runtime, row: PlaybackSession) -> float:
    """How long the session's lease lasts without a renewal.

    Live players reload their playlist every target duration, so ``lease_seconds`` (about three of them) is
    enough. An on-demand player loads its playlists once and then only comes back for the next content key,
    so its lease also spans one key period.
    """
    settings = runtime.settings
    if row.title_id is not None and settings.vod_encryption:
        return settings.lease_seconds + settings.key_rotation_minutes * 60
    return float(settings.lease_seconds)


def check_start_rate(session: Session, runtime: Runtime, user: User) -> None:
    """Refuse a new session when the account started too many in the last minute.

    Raises:
        TooManyRequests: with ``retry_after`` seconds.
    """
    since = runtime.clock.now() - dt.timedelta(minutes=1)
    started = session.scalar(
        select(func.count()).where(PlaybackSession.user_id == user.id, PlaybackSession.created_at > since)
    )
    limit = runtime.settings.session_starts_per_minute
    if (started or 0) >= limit:
        raise TooManyRequests(
            f"too many playback starts: at most {limit} a minute; wait a moment and try again", retry_after=60
        )

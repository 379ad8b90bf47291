"""Admitting a new playback session: start rate, concurrent-stream lease, and the 429 that lists the others.

The lease is taken *before* the session row is written (the caller passes the id it will use), so with SQLite
the lease store's own transaction never waits on the request's; if the start then fails, release it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.delivery.leases import Leases
from airwave.delivery.limits import check_start_rate, stream_limit
from airwave.errors import TooManyRequests
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession, Title, User

log = logging.getLogger(__name__)


def admit(session: Session, runtime: Runtime, leases: Leases, user: User, session_id: str, ttl: float) -> None:
    """Take a stream lease for ``session_id``, or refuse the start.

    Raises:
        TooManyRequests: too many starts this minute, or every stream is in use (``sessions`` lists them,
            each with ``session_id``, ``device``, ``watching``, ``since``, ``client_ip``).
    """
    check_start_rate(session, runtime, user)
    limit = stream_limit(session, user, runtime)
    held = leases.admit(user.id, session_id, limit, ttl)
    if not held:
        return
    log.info("stream limit: user %s has %d of %d streams in use", user.id, len(held), limit)
    raise TooManyRequests(
        f"your plan allows {limit} stream{'s' if limit != 1 else ''} at a time and all are in use: "
        "stop one of these (DELETE /api/v1/playback/<session_id>) and try again",
        limit=limit,
        sessions=describe(session, held),
    )


def describe(session: Session, session_ids: list[str]) -> list[dict[str, Any]]:
    """The sessions as a person recognises them: device, what is playing, since when."""
    rows = session.scalars(select(PlaybackSession).where(PlaybackSession.id.in_(session_ids))).all()
    titles = {row.title_id for row in rows if row.title_id is not None}
    names = {row.id: row.name for row in session.execute(select(Title.id, Title.name).where(Title.id.in_(titles)))}
    return [
        {
            "session_id": row.id,
            "device": row.user_agent or "unknown device",
            "watching": names.get(row.title_id, "") if row.title_id is not None else f"channel {row.channel}",
            "since": _iso(row.created_at),
            "client_ip": row.client_ip,
        }
        for row in sorted(rows, key=lambda row: row.created_at)
    ]


def active_sessions(session: Session, runtime: Runtime, user: User) -> list[dict[str, Any]]:
    """The user's sessions that have not ended or expired (newest last)."""
    ids = session.scalars(
        select(PlaybackSession.id).where(
            PlaybackSession.user_id == user.id,
            PlaybackSession.ended_at.is_(None),
            PlaybackSession.expires_at > runtime.clock.now(),
        )
    ).all()
    return describe(session, list(ids))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()

"""Playback sessions: starting one for a title (a signed URL), looking it up, and ending it."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from airwave.accounts.entitlements import Content, check_playback
from airwave.catalog.titles import get_title
from airwave.clock import Clock
from airwave.delivery.progress import get_progress, resume_point
from airwave.delivery.tokens import ClientBinding, Signer
from airwave.errors import BadRequest, Conflict, Forbidden, NotFound
from airwave.store.tables import PlaybackSession, User


@dataclass(frozen=True)
class PlaybackStart:
    """What a client needs to start playing: the session, its master playlist URL, where to resume."""

    session_id: str
    url: str
    expires_at: dt.datetime
    resume_from: float


def new_session_id() -> str:
    """A fresh, unguessable playback session id (URL-safe, no '.')."""
    return secrets.token_urlsafe(16)


def title_prefix(title_id: int) -> str:
    """The path prefix a title's playback token signs."""
    return f"/t/{title_id}/"


def start_title(
    session: Session,
    clock: Clock,
    signer: Signer,
    user: User,
    title_id: int,
    *,
    ttl_seconds: int,
    client_ip: str = "",
    user_agent: str = "",
    session_id: str | None = None,
    territory: str | None = None,
    binding: ClientBinding | None = None,
) -> PlaybackStart:
    """Open a playback session for a film or episode and sign its URL.

    ``binding`` (``delivery.binding.for_start``) ties the session to its client; None: the signer's default.

    Raises:
        NotFound: no such title.
        BadRequest: the title is a series (play an episode) .
        Conflict: the title has no published media yet.
        Forbidden: the account may not watch it (plan, subscription, rights), with the reason.
    """
    title = get_title(session, title_id)
    if title.kind == "series":
        raise BadRequest(f"{title.name!r} is a series: start playback of one of its episodes")
    if not title.media_path or not any(r.kind == "video" for r in title.renditions):
        raise Conflict(f"{title.name!r} has no playable media yet: wait for its ingest to finish")
    decision = check_playback(session, user, Content(title_id=title.id), clock, territory)
    if not decision:
        raise Forbidden(decision.reason)
    now = clock.now()
    row = PlaybackSession(
        id=session_id or new_session_id(),
        user_id=user.id,
        title_id=title.id,
        client_ip=client_ip[:64],
        client_binding=binding.kind if binding else "none",
        client_asn=binding.asn if binding else None,
        user_agent=user_agent[:400],
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_seconds),
    )
    session.add(row)
    session.flush()
    prefix = title_prefix(title.id)
    # Whole seconds, and never past the row's expiry: the token must not outlive the session.
    # A watermarked title's token carries its code length (edges pick each segment's A/B copy from it), and
    # with IP binding a keyed hash of the client's address (edges refuse every other address).
    token = signer.sign(row.id, prefix, int(row.expires_at.timestamp()), marked=title.watermark, client=client_ip,
                        binding=binding)  # fmt: skip
    return PlaybackStart(
        session_id=row.id,
        url=f"/p/{token}{prefix}master.m3u8",
        expires_at=row.expires_at,
        resume_from=resume_point(get_progress(session, user.id, title.id)),
    )


def end_session(session: Session, clock: Clock, session_id: str, user: User) -> PlaybackSession:
    """End a playback session: its URLs stop working. Only its owner or an admin may.

    Raises:
        NotFound: no such session.
        Forbidden: the session belongs to someone else.
    """
    row = session.get(PlaybackSession, session_id)
    if row is None:
        raise NotFound(f"no playback session {session_id}")
    if row.user_id != user.id and user.role != "admin":
        raise Forbidden("this playback session belongs to another account")
    if row.ended_at is None:
        row.ended_at = clock.now()
    return row


def session_live(session: Session, clock: Clock, session_id: str, title_id: int) -> bool:
    """Tell whether the session exists, is for this title, has not ended and has not expired."""
    row = session.get(PlaybackSession, session_id)
    return row is not None and row.title_id == title_id and row.ended_at is None and row.expires_at > clock.now()

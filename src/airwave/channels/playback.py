"""Starting to watch a channel: live, from the start of the current programme, or a past one (catch-up).

The session's token signs the channel's prefix ``/c/{slug}/``; the URL is the live master playlist, or for
start-over and catch-up the archive master the guide's ``channels.archive`` names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from airwave.accounts.entitlements import Content, check_playback
from airwave.channels.service import get_channel
from airwave.clock import Clock
from airwave.delivery.playback import PlaybackStart, new_session_id
from airwave.delivery.tokens import ClientBinding, Signer
from airwave.errors import BadRequest, Conflict, Forbidden
from airwave.store.tables import PlaybackSession, User


def channel_prefix(slug: str) -> str:
    """The path prefix a channel's playback token signs."""
    return f"/c/{slug}/"


def start_channel(
    session: Session,
    clock: Clock,
    signer: Signer,
    user: User,
    slug: str,
    *,
    ttl_seconds: int,
    client_ip: str = "",
    user_agent: str = "",
    session_id: str | None = None,
    territory: str | None = None,
    programme: int | None = None,
    start_over: bool = False,
    binding: ClientBinding | None = None,
) -> PlaybackStart:
    """Open a playback session for a channel and sign its URL.

    ``binding`` (``delivery.binding.for_start``) ties the session to its client; None: the signer's default.

    Raises:
        NotFound: no such channel.
        Conflict: the channel is stopped.
        Forbidden: the account may not watch it, with the reason.
        BadRequest: start-over or catch-up is not possible (no guide, programme outside the DVR window).
    """
    channel = get_channel(session, slug)
    if not channel.enabled:
        raise Conflict(f"{channel.name} is off air at the moment")
    decision = check_playback(session, user, Content(channel=slug), clock, territory)
    if not decision:
        raise Forbidden(decision.reason)
    path = "master.m3u8"
    if programme is not None or start_over:
        path = _archive_path(session, channel, programme, clock.now())
    now = clock.now()
    row = PlaybackSession(
        id=session_id or new_session_id(),
        user_id=user.id,
        channel=slug,
        client_ip=client_ip[:64],
        client_binding=binding.kind if binding else "none",
        client_asn=binding.asn if binding else None,
        user_agent=user_agent[:400],
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_seconds),
    )
    session.add(row)
    session.flush()
    prefix = channel_prefix(slug)
    # A watermarked channel's token carries its code length: edges pick each encrypted segment's A/B copy from it.
    token = signer.sign(row.id, prefix, int(row.expires_at.timestamp()), marked=channel.watermark, client=client_ip,
                        binding=binding)  # fmt: skip
    return PlaybackStart(session_id=row.id, url=f"/p/{token}{prefix}{path}", expires_at=row.expires_at,
                         resume_from=0.0)  # fmt: skip


def _archive_path(session: Session, channel: Any, programme_id: int | None, now: dt.datetime) -> str:
    try:
        from airwave.channels import archive
    except ImportError:
        raise BadRequest("start-over and catch-up are not available on this server") from None
    programme = None
    if programme_id is not None:
        from airwave.store.epg import Programme

        programme = session.get(Programme, programme_id)
        if programme is None or programme.channel_id != channel.id:
            raise BadRequest(f"programme {programme_id} is not in {channel.name}'s guide")
    path: str = archive.archive_path(channel, programme, now)
    return path

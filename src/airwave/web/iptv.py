"""``/iptv/{token}/...``: a subscriber's personal M3U playlist, XMLTV guide, and the stream URLs in them.

IPTV apps (VLC, Kodi, TiviMate, ffmpeg) keep no cookies, so the token in the path is the whole credential.
A stream URL starts a playback session for the token's account, admitted like any other (stream limit,
entitlements), and redirects to the session's signed master playlist.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from airwave.accounts.entitlements import allowed_channels
from airwave.accounts.rights import blackout_notice, blackouts_by_channel
from airwave.channels.epg import export_xmltv
from airwave.channels.guide import GUIDE_DAYS, ensure_guides
from airwave.channels.iptv import parse_epoch, render_m3u, user_for_token
from airwave.errors import BadRequest, NotFound
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from airwave.store.tables import User
from airwave.web.api.schemas import PlaybackIn
from airwave.web.deps import DbSession, client_territory, get_runtime

router = APIRouter(prefix="/iptv/{token}", include_in_schema=False)
M3U_TYPE = "audio/x-mpegurl; charset=utf-8"
NO_STORE = {"Cache-Control": "private, no-store"}


def base_url(request: Request) -> str:
    """Where subscribers reach us: ``Settings.public_url``, else this request's own base."""
    return get_runtime(request).settings.public_url or str(request.base_url).rstrip("/")


def _subscriber(request: Request, session: Session, token: str) -> User:
    user = user_for_token(session, token)
    if user is None:
        raise NotFound("this IPTV link is not valid: copy the current one from your account page")
    return user


def _channels(request: Request, session: Session, user: User) -> list[Channel]:
    allowed = allowed_channels(session, user, get_runtime(request).clock.now(), client_territory(request))
    query = select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.number, Channel.name)
    return [c for c in session.scalars(query) if allowed is None or c.slug in allowed]


@router.get("/playlist.m3u")
def playlist(token: str, request: Request, session: DbSession) -> Response:
    """The channels this subscriber may watch, with guide ids, logos and catch-up attributes."""
    user = _subscriber(request, session, token)
    channels = _channels(request, session, user)
    text = render_m3u(channels, base_url(request), token, _blackout_notices(request, session, channels))
    return Response(text, media_type=M3U_TYPE, headers=NO_STORE)


def _blackout_notices(request: Request, session: Session, channels: list[Channel]) -> dict[str, str]:
    now, territory = get_runtime(request).clock.now(), client_territory(request)
    rules = blackouts_by_channel(session, [c.id for c in channels], territory, now, now + dt.timedelta(seconds=1))
    notices = {c.slug: blackout_notice(rules.get(c.id, []), territory, now) for c in channels}
    return {slug: notice for slug, notice in notices.items() if notice}


@router.get("/epg.xml")
def epg(token: str, request: Request, session: DbSession) -> Response:
    """The guide of those channels, from a day back to a week ahead, as XMLTV."""
    user = _subscriber(request, session, token)
    runtime = get_runtime(request)
    now = runtime.clock.now()
    ensure_guides(session, runtime.settings, now, now + dt.timedelta(days=GUIDE_DAYS))
    slugs = {c.slug for c in _channels(request, session, user)}
    body = export_xmltv(session, now - dt.timedelta(days=1), now + dt.timedelta(days=GUIDE_DAYS), slugs)
    return Response(body, media_type="application/xml", headers=NO_STORE)


@router.get("/live/{slug}.m3u8")
def live(token: str, slug: str, request: Request, session: DbSession) -> Response:
    """Start watching a channel (or, with ``?utc=&utcend=``, a past programme) and redirect to the stream."""
    utc = request.query_params.get("utc")
    if utc:
        return catchup(token, slug, request, session)
    return _start(request, session, token, PlaybackIn(channel=slug))


@router.get("/catchup/{slug}")
def catchup(token: str, slug: str, request: Request, session: DbSession) -> Response:
    """Catch-up (or start-over) of the programme starting at ``utc``, as IPTV apps ask for it."""
    try:
        start = parse_epoch(request.query_params.get("utc", ""))
    except ValueError:
        raise BadRequest("utc: the programme's start as Unix seconds") from None
    channel = session.scalar(select(Channel).where(Channel.slug == slug))
    if channel is None:
        raise NotFound(f"no channel {slug!r}")
    programme = session.scalar(
        select(Programme)
        .where(Programme.channel_id == channel.id, Programme.start <= start, Programme.stop > start)
        .order_by(Programme.start.desc())
    )
    if programme is None:
        raise NotFound(f"{channel.name} has no programme at that time in its guide")
    return _start(request, session, token, PlaybackIn(channel=slug, programme=programme.id))


def _start(request: Request, session: Session, token: str, body: PlaybackIn) -> Response:
    from airwave.web.api.channels import start_channel_playback

    user = _subscriber(request, session, token)
    started = start_channel_playback(body, request, user, session)
    url = started.url if "://" in started.url else base_url(request) + started.url
    return RedirectResponse(url, status_code=302, headers=NO_STORE)

"""Start-over and catch-up: a programme's stretch of a channel's DVR as its own playlist.

A programme from ``a`` to ``b`` (Unix seconds, the guide's times) lives at
``/p/{token}/c/{slug}/archive/{a}-{b}/master.m3u8`` with media playlists ``.../{a}-{b}/<rendition>/index.m3u8``
whose segment URIs climb back to the channel root. While the programme is on air (start-over) the playlist is
an EVENT playlist that grows with the live edge; once it has ended (catch-up) it is a VOD playlist with
EXT-X-ENDLIST, cut at the guide's times (to the segment: the first segment holding the start, the last
holding the end). Anything before the channel's DVR window is gone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import fields

from sqlalchemy.orm import object_session

from airwave.channels.epg import now_next
from airwave.channels.feeds import Feed
from airwave.channels.vodmedia import ChannelRendition
from airwave.errors import BadRequest
from airwave.hls.live import render_live
from airwave.hls.master import RenditionLike, render_master
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.epg import Programme

_RANGE = re.compile(r"^(\d{9,11})-(\d{9,11})/(master\.m3u8|([A-Za-z0-9_-]{1,40})/index\.m3u8)$")
UP_TO_CHANNEL = "../../../"  # from archive/{a}-{b}/<rendition>/ back to the channel root


def window_start(channel: Channel, now: dt.datetime) -> dt.datetime:
    """The oldest moment still in the channel's DVR."""
    return now - dt.timedelta(hours=channel.dvr_hours)


def available(channel: Channel, programme: Programme, now: dt.datetime) -> str:
    """What the portal may offer for a programme: "start-over", "catch-up", "live-only" (it began before
    the DVR window), "expired", or "future"."""
    if programme.start > now:
        return "future"
    if programme.start < window_start(channel, now):
        return "live-only" if programme.stop > now else "expired"
    return "start-over" if programme.stop > now else "catch-up"


def archive_path(channel: Channel, programme: Programme | None, now: dt.datetime) -> str:
    """The archive master playlist path (under the channel's signed prefix) for catch-up of ``programme``,
    or for start-over of the programme on air when ``programme`` is None.

    Raises:
        BadRequest: no programme on air, the programme has not started, or it left the DVR window.
    """
    if programme is None:
        session = object_session(channel)
        programme = now_next(session, channel, now)[0] if session is not None else None
        if programme is None:
            raise BadRequest(f"{channel.name} has no programme in its guide now: start-over needs one")
    state = available(channel, programme, now)
    if state == "future":
        raise BadRequest(f"{programme.title!r} has not started yet")
    if state == "expired":
        hours = f"{channel.dvr_hours:g}"
        raise BadRequest(f"{programme.title!r} is older than {channel.name}'s {hours} h catch-up window")
    start = max(programme.start, window_start(channel, now))
    return f"archive/{int(start.timestamp())}-{int(programme.stop.timestamp())}/master.m3u8"


def render_archive(runtime: Runtime, channel: Channel, feed: Feed, path: str) -> str | None:
    """The archive playlist at ``path`` (after ``archive/``), or None for a bad or expired path."""
    match = _RANGE.match(path)
    if match is None:
        return None
    now = runtime.clock.now()
    start = dt.datetime.fromtimestamp(int(match[1]), dt.UTC)
    end = dt.datetime.fromtimestamp(int(match[2]), dt.UTC)
    if end <= start or start > now or end < window_start(channel, now):
        return None
    renditions = feed.renditions()
    if match[4] is None:
        return render_master([_as_index(r) for r in renditions]) if renditions else None
    if match[4] not in {r.name for r in renditions}:
        return None
    segments = feed.segments(match[4], max(start, window_start(channel, now)), end if end <= now else None)
    ended = end <= now
    return render_live(
        segments,
        feed.target_duration(),
        window=None,
        endlist=ended,
        playlist_type="VOD" if ended else "EVENT",
        prefix=UP_TO_CHANNEL,
    )


def _as_index(rendition: RenditionLike) -> ChannelRendition:
    values = {field.name: getattr(rendition, field.name) for field in fields(ChannelRendition)}
    return ChannelRendition(**{**values, "playlist": f"{rendition.name}/index.m3u8"})

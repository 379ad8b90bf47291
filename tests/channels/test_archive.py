"""Start-over and catch-up playlists cut from a playout channel's feed at the guide's times, decoded by ffmpeg."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from airwave.channels.archive import UP_TO_CHANNEL, archive_path, available, render_archive
from airwave.channels.epg import now_next
from airwave.channels.playout import PlayoutFeed, forget_plan
from airwave.channels.programming import add_block, schedule_changed
from airwave.errors import BadRequest
from airwave.hls.playlist import parse_media_playlist
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from tests.channels.playout_setup import make_channel
from tests.media.clips import decode
from tests.web.sample import publish


def local_copy(feed: PlayoutFeed, text: str, folder: Path) -> Path:
    """The media playlist with its channel-relative URIs swapped for the files they resolve to."""
    lines = []
    for line in text.splitlines():
        if line.startswith(UP_TO_CHANNEL):
            line = str(feed.resolve(line.removeprefix(UP_TO_CHANNEL)))
        elif line.startswith('#EXT-X-MAP:URI="'):
            uri = line.removeprefix('#EXT-X-MAP:URI="').removesuffix('"').removeprefix(UP_TO_CHANNEL)
            line = f'#EXT-X-MAP:URI="{feed.resolve(uri)}"'
        lines.append(line)
    if "#EXT-X-ENDLIST" not in lines:
        lines.append("#EXT-X-ENDLIST")  # a snapshot of the growing playlist, so ffmpeg stops at its end
    out = folder / "archive.m3u8"
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.fixture
def channel(rt: Runtime, sample: Path) -> Channel:
    film = publish(rt, sample, name="Night Train")
    # The clock is at 08:00:00. The guide has a programme per block: a one-minute block from 07:58 (the 2 s
    # film, then the film again as filler) has ended; the block from 07:59 is on air.
    channel = make_channel(rt, film, start="07:58", minutes=1, fillers=True)
    with rt.db.session() as session:
        attached = session.get(Channel, channel.id)
        assert attached is not None
        add_block(session, rt.clock, attached, title_id=film, start_minute=7 * 60 + 59, minutes=60 * 23)
        schedule_changed(rt, session, attached, rt.clock.now())
    forget_plan(channel.id)
    return channel


def test_catch_up_of_a_past_programme_is_a_finished_vod_playlist(rt: Runtime, channel: Channel, tmp_path: Path) -> None:
    now = rt.clock.now()
    with rt.db.session() as session:
        film = session.scalars(select(Programme).where(Programme.title == "Night Train", Programme.stop <= now)).all()[
            -1
        ]
        assert available(channel, film, now) == "catch-up"
        path = archive_path(channel, film, now)
    assert path == f"archive/{int(film.start.timestamp())}-{int(film.stop.timestamp())}/master.m3u8"
    feed = PlayoutFeed(rt, channel)
    base = path.removeprefix("archive/").removesuffix("master.m3u8")
    master = render_archive(rt, channel, feed, base + "master.m3u8")
    assert master is not None
    assert "180p/index.m3u8" in master
    media = render_archive(rt, channel, feed, base + "180p/index.m3u8")
    assert media is not None
    playlist = parse_media_playlist(media)
    assert playlist.ended
    assert playlist.playlist_type == "VOD"
    assert len(playlist.segments) == 60  # the block's minute, cut at the guide's times
    frames, _ = decode(local_copy(feed, media, tmp_path))
    assert frames >= 60 * 25 * 0.45  # ffmpeg drops frames where the 2 s film restarts (as for start-over)


def test_start_over_is_a_growing_event_playlist_from_the_programme_start(
    rt: Runtime, channel: Channel, tmp_path: Path
) -> None:
    now = rt.clock.now()
    with rt.db.session() as session:
        attached = session.get(Channel, channel.id)
        assert attached is not None
        current, _next = now_next(session, attached, now)
        assert current is not None
        assert available(attached, current, now) == "start-over"
        path = archive_path(attached, None, now)
    feed = PlayoutFeed(rt, channel)
    base = path.removeprefix("archive/").removesuffix("master.m3u8")
    media = render_archive(rt, channel, feed, base + "180p/index.m3u8")
    assert media is not None
    playlist = parse_media_playlist(media)
    assert not playlist.ended
    assert playlist.playlist_type == "EVENT"
    assert len(playlist.segments) == 60  # 07:59:00 to 08:00:00
    assert decode(local_copy(feed, media, tmp_path))[0] >= 60 * 25 * 0.45


def test_programmes_outside_the_dvr_window_are_refused(rt: Runtime, channel: Channel) -> None:
    now = rt.clock.now()
    old = Programme(channel_id=channel.id, start=now - dt.timedelta(days=3), stop=now - dt.timedelta(days=3, hours=-1))
    old.title = "Yesterday's news"
    assert available(channel, old, now) == "expired"
    with pytest.raises(BadRequest, match="catch-up window"):
        archive_path(channel, old, now)
    feed = PlayoutFeed(rt, channel)
    start, stop = int(old.start.timestamp()), int(old.stop.timestamp())
    assert render_archive(rt, channel, feed, f"{start}-{stop}/master.m3u8") is None
    assert render_archive(rt, channel, feed, "123-abc/master.m3u8") is None

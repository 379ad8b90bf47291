"""A playout channel on a real VOD title, for the playout, archive and IPTV tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from airwave.channels.feeds import LiveSegment
from airwave.channels.playout import PlayoutFeed, forget_plan
from airwave.channels.programming import add_block, schedule_changed, set_fillers
from airwave.channels.service import create_channel
from airwave.hls.live import render_live
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from tests.media.clips import sqlite_runtime
from tests.web.sample import sample_dir


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny real HLS title (2 s, 1 s segments, 160x90 with sound)."""
    return sample_dir(tmp_path_factory.getbasetemp().parent / "airwave-sample")


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on SQLite with a fake clock (2027-01-15 08:00:00 UTC)."""
    with sqlite_runtime(tmp_path) as runtime:
        yield runtime


def make_channel(rt: Runtime, film: int, *, start: str, minutes: int, fillers: bool) -> Channel:
    hours, mins = (int(p) for p in start.split(":"))
    with rt.db.session() as session:
        channel = create_channel(session, rt.settings, rt.clock, "movies", name="Movies 24", kind="playout")
        add_block(session, rt.clock, channel, title_id=film, start_minute=hours * 60 + mins, minutes=minutes)
        set_fillers(session, channel, [film] if fillers else [])
        warnings = schedule_changed(rt, session, channel, rt.clock.now())
        assert warnings == []
        forget_plan(channel.id)
        return channel


def playable(feed: PlayoutFeed, segments: list[LiveSegment], folder: Path) -> Path:
    """The live playlist with every URI replaced by the file the feed resolves it to."""
    resolved = []
    for segment in segments:
        path, init = feed.resolve(segment.uri), feed.resolve(segment.init_uri)
        assert path is not None, segment.uri
        assert init is not None, segment.init_uri
        assert path.is_file(), path
        assert init.is_file(), init
        resolved.append(replace(segment, uri=str(path), init_uri=str(init)))
    text = render_live(resolved, feed.target_duration(), window=None, endlist=True, playlist_type=None)
    out = folder / "live.m3u8"
    out.write_text(text)
    return out

"""A playout channel stitched from a real VOD title: segments, continuity, slate, and ffmpeg decoding it."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from airwave.channels.feeds import feed_for
from airwave.channels.plan import load_plan
from airwave.channels.playout import PlayoutFeed, playout_state
from airwave.channels.service import create_channel
from airwave.clock import FakeClock
from airwave.runtime import Runtime
from tests.channels.playout_setup import make_channel, playable
from tests.media.clips import decode
from tests.web.sample import publish


def test_the_live_window_is_stitched_from_vod_segments_and_decodes(rt: Runtime, sample: Path, tmp_path: Path) -> None:
    film = publish(rt, sample, name="Night Train")
    channel = make_channel(rt, film, start="00:00", minutes=1440, fillers=True)
    feed = feed_for(rt, channel)
    assert isinstance(feed, PlayoutFeed)
    assert [r.name for r in feed.renditions()] == ["180p"]
    segments = feed.segments("180p", None, None)
    now = rt.clock.now()
    assert len(segments) == 60
    assert [s.msn for s in segments] == list(range(segments[0].msn, segments[0].msn + 60))
    assert segments[-1].pdt + dt.timedelta(seconds=segments[-1].duration) <= now
    assert all(s.uri.startswith(f"vod/{film}/180p/seg_") for s in segments)
    # the 2 s film plays over and over: an item boundary every 2 segments
    assert sum(s.discontinuity for s in segments) in (29, 30, 31)
    frames, seconds = decode(playable(feed, segments, tmp_path))
    # ffmpeg's CLI drops frames where timestamps jump back by only an item's 2 s (players reset at each
    # discontinuity); what matters is that all 60 s decode without an error.
    assert frames >= 60 * 25 * 0.45
    assert seconds > 0


def test_msn_and_discontinuity_sequence_hold_across_reloads(rt: Runtime, sample: Path) -> None:
    film = publish(rt, sample, name="Night Train")
    channel = make_channel(rt, film, start="00:00", minutes=1440, fillers=True)
    before = PlayoutFeed(rt, channel).segments("180p", None, None)
    assert isinstance(rt.clock, FakeClock)
    rt.clock.advance(7.5)
    after = PlayoutFeed(rt, channel).segments("180p", None, None)
    assert after[0].msn == before[0].msn + 7
    shared = {s.msn: s for s in before}
    for segment in after:
        if segment.msn in shared:
            assert segment == shared[segment.msn]
    for earlier, later in itertools.pairwise(after):
        assert later.discontinuity_sequence == earlier.discontinuity_sequence + later.discontinuity


def test_gaps_play_the_slate_and_still_decode(rt: Runtime, sample: Path, tmp_path: Path) -> None:
    film = publish(rt, sample, name="Night Train")
    # the clock is at 08:00:00; a one-minute block at 07:59 plays the film once, then the slate
    channel = make_channel(rt, film, start="07:59", minutes=1, fillers=False)
    feed = PlayoutFeed(rt, channel)
    segments = feed.segments("180p", None, None)
    assert segments[0].uri.startswith("vod/")
    assert segments[1].uri.startswith("vod/")
    assert all(s.uri.startswith("slate/180p/") for s in segments[2:])
    assert sum(s.discontinuity for s in segments[2:]) == 10  # 58 slate cells, loops of 6
    frames, seconds = decode(playable(feed, segments, tmp_path))
    assert frames >= 58 * 25 * 0.45
    assert seconds > 0


def test_catch_up_range_is_cut_at_cells_and_bounded_by_the_dvr(rt: Runtime, sample: Path) -> None:
    film = publish(rt, sample, name="Night Train")
    channel = make_channel(rt, film, start="00:00", minutes=1440, fillers=True)
    feed = PlayoutFeed(rt, channel)
    now = rt.clock.now()
    past = feed.segments("180p", now - dt.timedelta(minutes=10), now - dt.timedelta(minutes=9))
    assert len(past) == 60
    assert past[0].pdt == now - dt.timedelta(minutes=10)
    too_old = feed.segments("180p", now - dt.timedelta(days=2), now - dt.timedelta(days=2) + dt.timedelta(seconds=5))
    assert too_old == []
    growing = feed.segments("180p", now - dt.timedelta(seconds=30), None)
    assert growing[-1].pdt < now
    assert len(growing) == 30


def test_resolve_refuses_what_the_channel_does_not_play(rt: Runtime, sample: Path) -> None:
    film = publish(rt, sample, name="Night Train")
    other = publish(rt, sample, name="Elsewhere")
    channel = make_channel(rt, film, start="00:00", minutes=1440, fillers=True)
    feed = PlayoutFeed(rt, channel)
    assert feed.resolve(f"vod/{film}/180p/seg_00000.m4s") is not None
    assert feed.resolve(f"vod/{other}/180p/seg_00000.m4s") is None
    assert feed.resolve(f"vod/{film}/../secret.key") is None
    assert feed.resolve("slate/180p/../../x.m4s") is None


def test_the_state_is_what_the_schedule_puts_on_air(rt: Runtime, sample: Path) -> None:
    """live while a title plays, slate in a gap no filler covers, failing when nothing can play."""
    film = publish(rt, sample, name="Night Train")
    channel = make_channel(rt, film, start="08:00", minutes=60, fillers=False)  # the clock reads 08:00
    plan = PlayoutFeed(rt, channel).plan
    now = rt.clock.now()
    assert playout_state(plan, now) == ("live", "")
    assert playout_state(plan, now + dt.timedelta(minutes=10)) == ("slate", "")  # the 2 s film is long over
    with rt.db.session() as session:
        empty = create_channel(session, rt.settings, rt.clock, "empty", name="Empty", kind="playout")
        state, error = playout_state(load_plan(session, rt.settings, empty), now)
    assert state == "failing"
    assert "add titles with media" in error

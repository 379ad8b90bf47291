"""Live playlists rendered from the index: sequence numbers, discontinuities, init changes, dates."""

from __future__ import annotations

import datetime as dt

from airwave.channels.feeds import LiveSegment
from airwave.hls.live import render_live
from airwave.hls.playlist import parse_media_playlist

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=dt.UTC)


def segments(count: int, switch_at: int | None = None, first: int = 100) -> list[LiveSegment]:
    out = []
    dseq = 7
    for index in range(count):
        disc = index == switch_at
        dseq += int(disc)
        run = "b" if switch_at is not None and index >= switch_at else "a"
        out.append(LiveSegment(first + index, f"live/{run}-{index:06d}.m4s", 2.0, T0 + dt.timedelta(seconds=2 * index),
                               disc, f"live/{run}-init.mp4", dseq))  # fmt: skip
    return out


def test_window_keeps_the_newest_and_numbers_from_the_first_shown() -> None:
    text = render_live(segments(10), 2, window=4, endlist=False, playlist_type=None)
    playlist = parse_media_playlist(text)
    assert playlist.media_sequence == 106
    assert [s.uri for s in playlist.segments] == [f"live/a-{i:06d}.m4s" for i in range(6, 10)]
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:7" in text
    assert "#EXT-X-ENDLIST" not in text
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-01-02T03:04:17.678Z" in text


def test_a_switch_is_a_discontinuity_with_a_new_init_section_and_date() -> None:
    text = render_live(segments(6, switch_at=3), 2, window=None, endlist=False, playlist_type=None)
    lines = text.splitlines()
    at = lines.index("#EXT-X-DISCONTINUITY")
    assert lines[at + 1] == '#EXT-X-MAP:URI="live/b-init.mp4"'
    assert lines[at + 2].startswith("#EXT-X-PROGRAM-DATE-TIME:")
    assert lines[at + 4] == "live/b-000003.m4s"


def test_when_the_switch_is_first_in_the_window_the_sequence_counts_it() -> None:
    text = render_live(segments(6, switch_at=3), 2, window=3, endlist=False, playlist_type=None)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:8" in text
    assert "#EXT-X-DISCONTINUITY\n" not in text


def test_target_duration_covers_the_longest_segment_and_event_playlists_end() -> None:
    long = [*segments(2), LiveSegment(102, "live/a-2.m4s", 3.6, T0, False, "live/a-init.mp4", 7)]
    text = render_live(long, 2, window=None, endlist=True, playlist_type="EVENT", prefix="../")
    assert "#EXT-X-TARGETDURATION:4" in text
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    assert text.endswith("#EXT-X-ENDLIST\n")
    assert "../live/a-2.m4s" in text

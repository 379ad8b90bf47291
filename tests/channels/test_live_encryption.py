"""The pure parts of live encryption and blackouts: key tags, encrypted URIs, slate substitution, counting."""

from __future__ import annotations

import datetime as dt

from airwave.channels.blackouts import Rule, added_before, blacken
from airwave.channels.encryption import parse_path, protect_playlist
from airwave.channels.feeds import LiveSegment
from airwave.channels.vodmedia import Track
from airwave.hls.live import render_live
from airwave.hls.playlist import parse_media_playlist

T0 = dt.datetime(2027, 1, 15, 8, 0, 0, tzinfo=dt.UTC)
SLATE = Track("", "init.mp4", (("seg_00000.m4s", 2.0), ("seg_00001.m4s", 2.0)))


def segments(count: int, switch_at: int | None = None) -> list[LiveSegment]:
    out = []
    for n in range(count):
        switched = switch_at is not None and n >= switch_at
        run = "b" if switched else "a"
        out.append(LiveSegment(100 + n, f"live/{run}-{n:06d}.m4s", 2.0, T0 + dt.timedelta(seconds=2 * n),
                               n == switch_at, f"live/{run}-init.mp4", 3 + int(switched)))  # fmt: skip
    return out


def every_four_seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp() // 4)


def test_keys_change_each_period_and_every_uri_names_its_period_and_sequence() -> None:
    text = render_live(segments(4), 2, window=None, endlist=False, playlist_type=None, prefix="../")
    protected = protect_playlist(text, every_four_seconds)
    first = every_four_seconds(T0)
    assert protected.count("#EXT-X-KEY:METHOD=AES-128") == 2
    assert f'#EXT-X-KEY:METHOD=AES-128,URI="../keys/{first + 1}.key"' in protected
    uris = [s.uri for s in parse_media_playlist(protected).segments]
    assert uris == [f"../enc/{first + n // 2}/{100 + n}/live/a-{n:06d}.m4s" for n in range(4)]
    lines = protected.splitlines()
    assert lines.index('#EXT-X-MAP:URI="../live/a-init.mp4"') < lines.index(
        f'#EXT-X-KEY:METHOD=AES-128,URI="../keys/{first}.key"'
    )  # the init section comes before any key: clear


def test_an_init_section_after_a_key_is_declared_clear_and_the_key_restated() -> None:
    text = render_live(segments(4, switch_at=1), 2, window=None, endlist=False, playlist_type=None, prefix="../")
    lines = protect_playlist(text, every_four_seconds).splitlines()
    at = lines.index('#EXT-X-MAP:URI="../live/b-init.mp4"')
    assert lines[at - 1] == "#EXT-X-KEY:METHOD=NONE"
    assert lines[at + 1].startswith("#EXT-X-PROGRAM-DATE-TIME:")
    assert lines[at + 2].startswith("#EXT-X-KEY:METHOD=AES-128")


def test_archive_playlists_climb_back_to_the_channel_root_for_keys_and_segments() -> None:
    text = render_live(segments(2), 2, window=None, endlist=True, playlist_type="VOD", prefix="../../../")
    protected = protect_playlist(text, every_four_seconds)
    assert f'URI="../../../keys/{every_four_seconds(T0)}.key"' in protected
    assert f"../../../enc/{every_four_seconds(T0)}/101/live/a-000001.m4s" in protected
    assert protected.endswith("#EXT-X-ENDLIST\n")


def test_encrypted_paths_parse_and_refuse_traversal() -> None:
    parsed = parse_path("enc/12/345/live/a-000001.m4s")
    assert parsed is not None
    assert (parsed.period, parsed.msn, parsed.uri, parsed.name) == (12, 345, "live/a-000001.m4s",
                                                                    "12/345/live/a-000001.m4s")  # fmt: skip
    assert parse_path("enc/12/345/../../x.m4s") is None
    assert parse_path("enc/x/345/live/a.m4s") is None
    assert parse_path("live/a-000001.m4s") is None


def test_blacken_puts_the_slate_in_with_a_discontinuity_each_and_one_on_return() -> None:
    rule = Rule(T0 + dt.timedelta(seconds=2), T0 + dt.timedelta(seconds=6), frozenset({"GB"}))
    shown = blacken(segments(5), [rule], "live", SLATE, 2.0)
    slate = ["blackout/live/seg_00001.m4s", "blackout/live/seg_00000.m4s"]  # by msn 101, 102 mod 2
    assert [s.uri for s in shown] == ["live/a-000000.m4s", *slate, "live/a-000003.m4s", "live/a-000004.m4s"]
    assert [s.discontinuity for s in shown] == [False, True, True, True, False]
    assert [s.discontinuity_sequence for s in shown] == [3, 4, 5, 6, 6]
    assert [s.msn for s in shown] == [100, 101, 102, 103, 104]


def test_discontinuities_before_the_window_are_counted_from_the_rules_alone() -> None:
    rule = Rule(T0 + dt.timedelta(seconds=2), T0 + dt.timedelta(seconds=6), frozenset({"GB"}))
    everything = blacken(segments(5), [rule], "live", SLATE, 2.0)
    later = blacken(segments(5)[3:], [rule], "live", SLATE, 2.0)
    assert [s.discontinuity_sequence for s in later] == [s.discontinuity_sequence for s in everything[3:]]
    assert added_before([rule], T0 + dt.timedelta(seconds=60), 2.0) == 3  # two slate segments and the return

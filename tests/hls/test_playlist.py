from __future__ import annotations

import pytest

from airwave.errors import MediaError
from airwave.hls.playlist import Segment, attributes, parse_media_playlist, render_vod_playlist

FFMPEG_VOD = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.000000,
seg_00001.m4s
#EXTINF:3.960000,
seg_00002.m4s
#EXT-X-ENDLIST
"""


def test_parses_an_ffmpeg_vod_playlist() -> None:
    playlist = parse_media_playlist(FFMPEG_VOD)
    assert (playlist.version, playlist.target_duration, playlist.media_sequence) == (7, 4, 1)
    assert playlist.playlist_type == "VOD"
    assert playlist.independent_segments
    assert playlist.map_uri == "init.mp4"
    assert playlist.ended
    assert playlist.segments == [Segment("seg_00001.m4s", 4.0), Segment("seg_00002.m4s", 3.96)]
    assert playlist.duration == pytest.approx(7.96)


def test_live_playlist_without_endlist() -> None:
    playlist = parse_media_playlist("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,live\na.m4s\n")
    assert not playlist.ended
    assert playlist.segments == [Segment("a.m4s", 2.0, "live")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<html>", "EXTM3U"),
        ("#EXTM3U\nseg.m4s\n", "no #EXTINF"),
        ("#EXTM3U\n#EXTINF:abc,\nseg.m4s\n", "not a number"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:x\n", "not an integer"),
    ],
)
def test_malformed_playlists_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(MediaError, match=problem):
        parse_media_playlist(text)


def test_single_segment_subtitle_playlist_round_trips() -> None:
    text = render_vod_playlist([Segment("subs.vtt", 5.52)])
    playlist = parse_media_playlist(text)
    assert playlist.target_duration == 6  # RFC 8216 4.3.3.1: EXTINF rounded <= target
    assert playlist.segments == [Segment("subs.vtt", 5.52)]
    assert playlist.ended
    assert playlist.playlist_type == "VOD"


def test_attribute_lists_keep_commas_inside_quotes() -> None:
    assert attributes('BANDWIDTH=100,CODECS="avc1.64001F,mp4a.40.2",RESOLUTION=640x360') == {
        "BANDWIDTH": "100",
        "CODECS": "avc1.64001F,mp4a.40.2",
        "RESOLUTION": "640x360",
    }

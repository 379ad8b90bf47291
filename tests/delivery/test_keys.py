from __future__ import annotations

import pytest

from airwave.delivery import keys
from airwave.hls.playlist import parse_media_playlist

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.000,
seg_00000.m4s
#EXTINF:4.000,
seg_00001.m4s
#EXTINF:4.000,
seg_00002.m4s
#EXT-X-ENDLIST
"""


def test_keys_differ_per_content_and_period_and_are_stable() -> None:
    root = keys.keys_root("secret")
    key = keys.content_key(root, "t1", 0)
    assert len(key) == 16
    assert key == keys.content_key(keys.keys_root("secret"), "t1", 0)
    others = {keys.content_key(root, "t1", 1), keys.content_key(root, "t2", 0), keys.content_key(b"x", "t1", 0)}
    assert key not in others


def test_vod_playlist_rotates_keys_by_media_time_and_keeps_init_clear() -> None:
    text = keys.encrypt_vod_playlist(PLAYLIST, period_seconds=8)
    lines = text.splitlines()
    assert lines.index('#EXT-X-MAP:URI="init.mp4"') < lines.index('#EXT-X-KEY:METHOD=AES-128,URI="../keys/0.key"')
    assert lines.index('#EXT-X-KEY:METHOD=AES-128,URI="../keys/1.key"') == lines.index("seg_00002.m4s") - 2
    assert [s.uri for s in parse_media_playlist(text).segments] == ["seg_00000.m4s", "seg_00001.m4s", "seg_00002.m4s"]
    assert keys.vod_segments(PLAYLIST, 8) == {"seg_00000.m4s": (0, 0), "seg_00001.m4s": (1, 0), "seg_00002.m4s": (2, 1)}


@pytest.mark.parametrize("size", [0, 1, 16, 1000])
def test_encryption_round_trips_with_sequence_iv(size: int) -> None:
    key = bytes(range(16))
    data = bytes(i % 251 for i in range(size))
    sealed = keys.encrypt(data, key, 7)
    assert len(sealed) % 16 == 0
    assert sealed != data
    assert keys.decrypt(sealed, key, 7) == data
    assert keys.encrypt(data, key, 8) != sealed


def test_key_paths() -> None:
    assert keys.parse_key_path("keys/12.key") == 12
    for bad in ("keys/x.key", "keys/1.txt", "180p/keys/1.key", "keys/.key", "keys/-1.key"):
        assert keys.parse_key_path(bad) is None

from __future__ import annotations

import pytest

from airwave.delivery.files import IMMUTABLE, PRIVATE, servable


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("180p/index.m3u8", ("application/vnd.apple.mpegurl", PRIVATE)),
        ("180p/seg_00001.m4s", ("video/mp4", IMMUTABLE)),
        ("180p/init.mp4", ("video/mp4", IMMUTABLE)),
        ("subs-eng/subs.vtt", ("text/vtt; charset=utf-8", IMMUTABLE)),
        ("thumbs.jpg", ("image/jpeg", IMMUTABLE)),
    ],
)
def test_media_files_are_servable(path: str, expected: tuple[str, str]) -> None:
    assert servable(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "../secret.key",
        "180p/../../airwave.db",
        "/etc/passwd",
        "180p//seg.m4s",
        ".hidden.m4s",
        "a/b/c/seg.m4s",
        "airwave.db",
        "180p/seg.m4s\x00.jpg",
        "",
        "180p/",
        "%2e%2e/x.m4s",
    ],
)
def test_everything_else_is_not(path: str) -> None:
    assert servable(path) is None

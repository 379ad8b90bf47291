from __future__ import annotations

from dataclasses import dataclass

from airwave.hls.master import render_master
from airwave.hls.playlist import attributes


@dataclass
class R:
    kind: str
    name: str
    playlist: str
    codecs: str = ""
    bandwidth: int = 0
    average_bandwidth: int = 0
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    language: str | None = None
    label: str = ""
    channels: int | None = None
    is_default: bool = False


LADDER = [
    R("video", "720p", "720p/index.m3u8", "avc1.64001F", 3_300_000, 2_900_000, 1280, 720, 25.0),
    R("video", "360p", "360p/index.m3u8", "avc1.64001E", 900_000, 800_000, 640, 360, 25.0),
    R("audio", "audio-eng", "audio-eng/index.m3u8", "mp4a.40.2", 140_000, 131_000, language="en", label="English",
      channels=2, is_default=True),
    R("audio", "audio-fra", "audio-fra/index.m3u8", "mp4a.40.2", 150_000, 130_000, language="fr", label="Fran\u00e7ais",
      channels=2),
    R("subtitles", "subs-eng", "subs-eng/index.m3u8", language="en", label='Eng "SDH"'),
]  # fmt: skip


def tags(text: str, name: str) -> list[dict[str, str]]:
    return [attributes(line.split(":", 1)[1]) for line in text.splitlines() if line.startswith(name + ":")]


def test_header_declares_version_7_and_independent_segments() -> None:
    lines = render_master(LADDER).splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]


def test_audio_renditions_form_one_group_with_one_default() -> None:
    audio = [m for m in tags(render_master(LADDER), "#EXT-X-MEDIA") if m["TYPE"] == "AUDIO"]
    assert [(m["GROUP-ID"], m["LANGUAGE"], m["NAME"], m["DEFAULT"], m["CHANNELS"]) for m in audio] == [
        ("audio", "en", "English", "YES", "2"),
        ("audio", "fr", "Fran\u00e7ais", "NO", "2"),
    ]
    assert all(m["AUTOSELECT"] == "YES" for m in audio)
    assert audio[0]["URI"] == "audio-eng/index.m3u8"


def test_subtitles_group_and_quotes_are_made_safe() -> None:
    (subs,) = [m for m in tags(render_master(LADDER), "#EXT-X-MEDIA") if m["TYPE"] == "SUBTITLES"]
    assert subs["GROUP-ID"] == "subs"
    assert subs["NAME"] == "Eng 'SDH'"
    assert subs["DEFAULT"] == "NO"
    assert subs["URI"] == "subs-eng/index.m3u8"


def test_variants_carry_peak_and_average_bandwidth_including_the_largest_audio() -> None:
    variants = tags(render_master(LADDER), "#EXT-X-STREAM-INF")
    assert [v["BANDWIDTH"] for v in variants] == ["3450000", "1050000"]
    assert [v["AVERAGE-BANDWIDTH"] for v in variants] == ["3031000", "931000"]


def test_variants_carry_codecs_resolution_frame_rate_and_groups() -> None:
    text = render_master(LADDER)
    variant = tags(text, "#EXT-X-STREAM-INF")[0]
    assert variant["CODECS"] == "avc1.64001F,mp4a.40.2"
    assert variant["RESOLUTION"] == "1280x720"
    assert variant["FRAME-RATE"] == "25.000"
    assert (variant["AUDIO"], variant["SUBTITLES"]) == ("audio", "subs")
    lines = text.splitlines()
    uris = [lines[i + 1] for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF")]
    assert uris == ["720p/index.m3u8", "360p/index.m3u8"]


def test_video_only_title_has_no_groups() -> None:
    text = render_master(LADDER[:1])
    assert "#EXT-X-MEDIA" not in text
    variant = tags(text, "#EXT-X-STREAM-INF")[0]
    assert variant["CODECS"] == "avc1.64001F"
    assert "AUDIO" not in variant
    assert "SUBTITLES" not in variant


def test_first_audio_is_default_when_none_is_marked() -> None:
    undecided = [LADDER[0], LADDER[3]]
    (audio,) = tags(render_master(undecided), "#EXT-X-MEDIA")
    assert audio["DEFAULT"] == "YES"

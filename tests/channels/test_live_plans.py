"""A live channel's run plans: what the source carries decides passthrough or a ladder, and the ladder never
upscales; the hot slate is made once per set of parameters and reused by every channel alike."""

from __future__ import annotations

import time
from pathlib import Path

from airwave.channels.plans import ChannelConfig, ladder_rungs, source_plan, suits_passthrough
from airwave.channels.slate import SlateRendition, SlateSpec, hot_slate
from airwave.channels.sources import SourceInfo, parse_source, probe_source
from airwave.config import load_settings
from airwave.media.ffmpeg import find_ffmpeg
from airwave.media.live_argv import PASSTHROUGH, RunOutput
from tests.e2e.portal import make_clip

SETTINGS = load_settings(secret_key="test", live_ladder=(720, 480, 360))
FFMPEG = find_ffmpeg(SETTINGS)


def _config(url: str, mode: str = "passthrough") -> ChannelConfig:
    return ChannelConfig("news", url, "", mode, 4.0, "k" * 24, None)


def test_a_360p_source_gets_a_360p_top_rung_and_a_1080p_source_the_whole_ladder() -> None:
    small = SourceInfo("h264", "aac", 640, 360, 25.0)
    assert [(r.name, r.width, r.height) for r in ladder_rungs(SETTINGS, small)] == [("360p", 640, 360)]
    full = SourceInfo("h264", "aac", 1920, 1080, 50.0)
    assert [r.name for r in ladder_rungs(SETTINGS, full)] == ["720p", "480p", "360p"]
    tiny = SourceInfo("h264", "aac", 160, 90, 25.0)
    assert [(r.name, r.height) for r in ladder_rungs(SETTINGS, tiny)] == [("90p", 90)]


def test_passthrough_only_when_the_codecs_suit_hls(tmp_path: Path) -> None:
    out = RunOutput(tmp_path, "abc", 2.0)
    source = parse_source("udp://239.0.0.1:1234")
    assert suits_passthrough(None)
    assert suits_passthrough(SourceInfo("hevc", "aac", 1920, 1080, 25.0))
    mpeg2 = SourceInfo("mpeg2video", "mp2", 720, 576, 25.0)
    assert not suits_passthrough(mpeg2)
    plan = source_plan(SETTINGS, FFMPEG, _config(source.url), source, out, mpeg2)
    assert plan.renditions == ("480p", "360p")  # a 576-line source: no 720p rung
    copied = source_plan(SETTINGS, FFMPEG, _config(source.url), source, out, SourceInfo("h264", "mp2", 1280, 720, 25))
    assert copied.renditions == (PASSTHROUGH,)
    assert "copy" in copied.argv[copied.argv.index("-c:v") + 1]
    assert copied.argv[copied.argv.index("-c:a") + 1] == "aac"  # MP2 audio is re-encoded for HLS


def test_an_unknown_push_source_is_scaled_down_only(tmp_path: Path) -> None:
    source = parse_source("push:rtmp")
    plan = source_plan(SETTINGS, FFMPEG, _config(source.url, "ladder"), source, RunOutput(tmp_path, "abc", 2.0))
    graph = plan.argv[plan.argv.index("-filter_complex") + 1]
    assert "min(ih,720)" in graph
    assert "force_original_aspect_ratio=decrease" in graph


def test_a_kept_ladder_survives_a_different_backup(tmp_path: Path) -> None:
    source = parse_source("udp://239.0.0.1:1234")
    rungs = ladder_rungs(SETTINGS, SourceInfo("h264", "aac", 1280, 720, 25.0))
    other = SourceInfo("h264", "aac", 640, 360, 25.0)
    plan = source_plan(SETTINGS, FFMPEG, _config(source.url, "ladder"), source, RunOutput(tmp_path, "b", 2.0),
                       other, rungs)  # fmt: skip
    assert plan.renditions == ("720p", "480p", "360p")


def test_a_file_source_is_probed(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", seconds=2, size="640x360")
    info = probe_source(parse_source(clip.as_uri()))
    assert info == SourceInfo("h264", "aac", 640, 360, 25.0)
    assert probe_source(parse_source("push:rtmp")) is None


def test_an_unanswering_pull_source_is_unknown_within_the_timeout() -> None:
    started = time.monotonic()
    assert probe_source(parse_source("rtsp://127.0.0.1:9/none"), timeout=2.0) is None
    assert time.monotonic() - started < 10


def test_the_hot_slate_is_made_once_per_parameters(tmp_path: Path) -> None:
    spec = SlateSpec((SlateRendition("360p", 640, 360, 800_000), SlateRendition("180p", 320, 180, 0)), 25.0, 1.0, 4)
    first, second = object(), object()
    assert hot_slate(FFMPEG, tmp_path, spec, first) is None  # started
    assert hot_slate(FFMPEG, tmp_path, spec, second) is None  # another channel waits for the same build
    deadline = time.monotonic() + 60
    made = None
    while made is None and time.monotonic() < deadline:
        made = hot_slate(FFMPEG, tmp_path, spec, first)
        time.sleep(0.1)  # bounded by the deadline
    assert made is not None
    assert made.durations == (1.0, 1.0, 1.0, 1.0)
    assert made.names == ("360p", "180p")
    assert made.init("180p").is_file()
    assert made.segment("360p", 3).is_file()
    assert hot_slate(FFMPEG, tmp_path, spec, second) == made  # shared, not made again
    assert [p.name for p in tmp_path.iterdir()] == [spec.key]

"""Live channels from every kind of source, with real ffmpeg: file loop, RTMP push (right and wrong key),
SRT push, HLS pull; and the published playlists decode end to end."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from airwave.channels.feeds import DvrFeed, channel_dir
from airwave.hls.live import render_live
from airwave.runtime import Runtime
from tests.e2e.live import (
    FFMPEG,
    add_channel,
    channel_field,
    hls_source,
    live_runtime,
    make_file,
    published,
    pusher,
    wait_for,
)  # fmt: skip

pytestmark = pytest.mark.e2e


def test_file_loop_goes_live_and_its_playlist_decodes(tmp_path: Path) -> None:
    clip = make_file(tmp_path / "clip.mp4", seconds=3)
    with live_runtime(tmp_path) as (runtime, _supervisor):
        add_channel(runtime, "loop", f"file://{clip}")
        wait_for(lambda: _live(runtime, "loop", 5), 60, "five segments of a 3 s file looped")
        feed = DvrFeed(runtime.settings, "loop")
        (rendition,) = feed.renditions()
        assert rendition.codecs.startswith("avc1.")
        assert "mp4a.40.2" in rendition.codecs
        assert (rendition.width, rendition.height) == (160, 90)
        playlist = channel_dir(runtime.settings, "loop") / "check.m3u8"
        segments = feed.segments("live", None, None)
        playlist.write_text(render_live(segments, feed.target_duration(), window=None, endlist=True,
                                        playlist_type=None))  # fmt: skip
        decoded = _decode(playlist)
        assert decoded.returncode == 0, decoded.stderr[-800:]
        assert "frame=" in decoded.stderr


def test_rtmp_push_with_the_right_key_plays_and_a_wrong_key_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with live_runtime(tmp_path) as (runtime, supervisor):
        add_channel(runtime, "studio", "push:rtmp")
        key = str(channel_field(runtime, "studio", "stream_key"))
        port = runtime.settings.rtmp_port
        wait_for(lambda: supervisor.rtmp is not None, 10, "the RTMP ingest to listen")
        with caplog.at_level(logging.WARNING, "airwave.channels.rtmp"):
            with pusher(f"rtmp://127.0.0.1:{port}/live/not-the-key") as intruder:
                intruder.wait(timeout=20)
            assert intruder.returncode != 0
        assert "wrong stream key" in caplog.text
        with pusher(f"rtmp://127.0.0.1:{port}/live/{key}") as encoder:
            wait_for(lambda: _live(runtime, "studio", 3), 60, "segments from the RTMP push")
            assert encoder.poll() is None


def test_srt_push_to_the_channel_port_with_its_passphrase(tmp_path: Path) -> None:
    with live_runtime(tmp_path) as (runtime, _supervisor):
        add_channel(runtime, "field", "push:srt")
        key, port = channel_field(runtime, "field", "stream_key"), channel_field(runtime, "field", "srt_port")
        url = f"srt://127.0.0.1:{port}?passphrase={key}&pbkeylen=16"
        with pusher(url, fmt="mpegts"):
            wait_for(lambda: _live(runtime, "field", 3), 60, "segments from the SRT push")


def test_hls_pull_from_a_local_server(tmp_path: Path) -> None:
    with hls_source(tmp_path / "upstream") as (url, _encoder), live_runtime(tmp_path) as (runtime, _supervisor):
        add_channel(runtime, "relay", url)
        wait_for(lambda: _live(runtime, "relay", 3), 60, "segments pulled from HLS")


def _live(runtime: Runtime, slug: str, segments: int) -> bool:
    """On air from its own source (not the slate) with at least ``segments`` published."""
    return channel_field(runtime, slug, "state") == "live" and published(runtime, slug) >= segments


def _decode(playlist: Path) -> subprocess.CompletedProcess[str]:
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-stats", "-allowed_extensions", "ALL",
            "-i", str(playlist), "-f", "null", "-"]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)

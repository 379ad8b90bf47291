"""An RTMP push packaged by the in-process remux engine, end to end: ffmpeg pushes, the channel goes live
with no ffmpeg of its own, and the playlist rendered from its index decodes with ffmpeg, timestamps running
on across segments; when the encoder stops, the channel falls back like any other."""

from __future__ import annotations

import io
import itertools
import subprocess
from pathlib import Path

import av
import pytest

from airwave.channels import worker as worker_module
from airwave.channels.feeds import DvrFeed, LiveSegment, channel_dir
from airwave.channels.remux import FFMPEG as FFMPEG_ENGINE
from airwave.channels.remux import REMUX
from airwave.hls.live import render_live
from airwave.runtime import Runtime
from tests.e2e.live import FFMPEG, add_channel, channel_field, live_runtime, published, pusher, wait_for

pytestmark = pytest.mark.e2e


def test_an_rtmp_push_is_remuxed_in_process_and_its_playlist_decodes(tmp_path: Path) -> None:
    with live_runtime(tmp_path) as (runtime, supervisor):
        add_channel(runtime, "studio", "push:rtmp")
        key = channel_field(runtime, "studio", "stream_key")
        wait_for(lambda: supervisor.rtmp is not None, 10, "the RTMP ingest to listen")
        with pusher(f"rtmp://127.0.0.1:{runtime.settings.rtmp_port}/live/{key}") as encoder:
            wait_for(lambda: channel_field(runtime, "studio", "state") == "live", 60, "the channel on air")
            worker = supervisor.workers["studio"]
            primary = worker.runs["primary"]
            assert primary is not None
            assert getattr(primary, "engine", "") == REMUX
            wait_for(lambda: len(_segments_of(runtime, primary.id)) >= 5, 60, "five remuxed segments")
            assert "primary" not in worker.pids  # no process for the channel's own source
            assert encoder.poll() is None
            feed = DvrFeed(runtime.settings, "studio")
            (rendition,) = feed.renditions()  # as the remux run described it (before a slate could follow)
            assert rendition.codecs.startswith("avc1.")
            assert rendition.codecs.endswith("mp4a.40.2")
            assert (rendition.width, rendition.height) == (160, 90)
        folder = channel_dir(runtime.settings, "studio")
        remuxed = _segments_of(runtime, primary.id)
        playlist = folder / "check.m3u8"
        playlist.write_text(render_live(remuxed, feed.target_duration(), window=None, endlist=True,
                                        playlist_type=None))  # fmt: skip
        argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-allowed_extensions", "ALL", "-i", str(playlist),
                "-f", "null", "-"]  # fmt: skip
        decoded = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert decoded.returncode == 0, decoded.stderr[-800:]
        assert decoded.stderr.strip() == ""
        _assert_continuous(folder, remuxed)


def _segments_of(runtime: Runtime, run: str) -> list[LiveSegment]:
    """The channel's published segments made by ``run`` (not the slate's before it)."""
    return [s for s in DvrFeed(runtime.settings, "studio").segments("live", None, None) if f"/{run}-" in s.uri]


def _assert_continuous(folder: Path, segments: list[LiveSegment]) -> None:
    """Decoded in order after their init segment, the pictures come every 40 ms without a gap or overlap."""
    data = (folder / segments[0].init_uri).read_bytes()
    data += b"".join((folder / segment.uri).read_bytes() for segment in segments)
    with av.open(io.BytesIO(data)) as container:
        times = sorted(float(frame.pts * frame.time_base) for frame in container.decode(video=0))
    steps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert steps == {0.04}
    assert times[-1] - times[0] == pytest.approx(sum(s.duration for s in segments) - 0.04, abs=0.01)


def test_the_ffmpeg_engine_still_takes_an_rtmp_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Channels the remuxer does not take (ladders) read the push as FLV on an ffmpeg's stdin: that path, with
    the publisher's queue turned into FLV tags by its feeding thread, still plays."""
    monkeypatch.setattr(worker_module, "engine_for", lambda mode, source_url: FFMPEG_ENGINE)
    with live_runtime(tmp_path) as (runtime, supervisor):
        add_channel(runtime, "studio", "push:rtmp")
        key = channel_field(runtime, "studio", "stream_key")
        wait_for(lambda: supervisor.rtmp is not None, 10, "the RTMP ingest to listen")
        with pusher(f"rtmp://127.0.0.1:{runtime.settings.rtmp_port}/live/{key}"):
            wait_for(
                lambda: channel_field(runtime, "studio", "state") == "live" and published(runtime, "studio") >= 3,
                60, "segments from ffmpeg reading the push",
            )  # fmt: skip
            assert "primary" in supervisor.workers["studio"].pids

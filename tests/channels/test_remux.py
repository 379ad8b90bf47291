"""The in-process remux run: it takes a publisher's messages, writes a run's files where an ffmpeg run would,
reports them through ``poll()``, describes its rendition, and ends (or refuses a stream) the way a run does."""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest
from fastapi.testclient import TestClient

from airwave.channels.feeds import init_uri, segment_uri
from airwave.channels.remux import FFMPEG, REMUX, RemuxRun, engine_for
from airwave.channels.rtmp_proto import AUDIO, VIDEO, flv_tags
from airwave.channels.runs import Produced
from airwave.config import Settings
from airwave.media.live_argv import PASSTHROUGH, RunOutput
from tests.channels.settings import quiet_settings
from tests.media.test_fmp4 import encoder_flv
from tests.web.conftest import Account


class FakeFeed:
    """Stands for an RTMP publisher: remembers the sink it was given and whether it was dropped."""

    def __init__(self) -> None:
        self.sink: RemuxRun | None = None
        self.closed = False

    def remux(self, sink: RemuxRun) -> None:
        self.sink = sink

    def close(self) -> None:
        self.closed = True


def _poll_until(run: RemuxRun, count: int) -> list[Produced]:
    produced: list[Produced] = []
    deadline = time.monotonic() + 10
    while len(produced) < count and time.monotonic() < deadline:
        produced += run.poll()
        time.sleep(0.02)  # the writer thread stores segments asynchronously; bounded by the deadline
    return produced


def test_a_pushed_stream_becomes_the_files_and_segments_of_a_run(tmp_path: Path) -> None:
    feed = FakeFeed()
    run = RemuxRun("primary", feed, RunOutput(tmp_path, "abc01", 1.0))
    assert feed.sink is run
    for kind, timestamp, body in flv_tags(encoder_flv(tmp_path / "push.flv", seconds=4)):
        if kind in (AUDIO, VIDEO):
            run.tag(kind, timestamp, body)
    run.end()
    produced = _poll_until(run, 4)
    assert [p.n for p in produced] == [0, 1, 2, 3]
    assert sum(p.duration for p in produced) == pytest.approx(4.0)
    assert run.produced == 4
    assert run.last_segment_at is not None
    deadline = time.monotonic() + 10
    while not run.exited and time.monotonic() < deadline:
        time.sleep(0.02)  # the end is stored after the last segment
    assert run.exited
    assert run.process.poll() == 0
    assert run.process.pid == 0  # no process: the worker's pid list leaves it out
    init = (tmp_path / init_uri(PASSTHROUGH, "abc01")).read_bytes()
    media = (tmp_path / segment_uri(PASSTHROUGH, "abc01", 1)).read_bytes()
    assert run.segment_paths(1) == [tmp_path / segment_uri(PASSTHROUGH, "abc01", 1)]
    assert not list(tmp_path.rglob("*.tmp"))
    (tmp_path / "whole.mp4").write_bytes(init + media)
    with av.open(str(tmp_path / "whole.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == round(produced[1].duration * 25)
    (rendition,) = run.describe(1, produced[1].duration)
    assert rendition.name == PASSTHROUGH
    assert rendition.codecs.startswith("avc1.64")
    assert rendition.codecs.endswith(",mp4a.40.2")
    assert (rendition.width, rendition.height, rendition.frame_rate) == (320, 180, 25.0)
    assert rendition.average_bandwidth == int(len(media) * 8 / produced[1].duration)


def test_a_stream_it_cannot_rewrap_ends_the_run_and_drops_the_publisher(tmp_path: Path) -> None:
    feed = FakeFeed()
    run = RemuxRun("primary", feed, RunOutput(tmp_path, "abc02", 2.0))
    run.tag(VIDEO, 0, bytes([0x12, 0, 0, 0, 0, 1, 2, 3]))  # Sorenson H.263, as old Flash encoders sent
    assert run.exited
    assert run.process.poll() == 1
    assert "not H.264" in run.process.stderr_tail
    assert "ladder" in run.process.stderr_tail
    assert feed.closed


def test_close_drops_the_publisher(tmp_path: Path) -> None:
    feed = FakeFeed()
    run = RemuxRun("primary", feed, RunOutput(tmp_path, "abc03", 2.0))
    run.close()
    assert feed.closed
    assert run.exited


def test_only_passthrough_rtmp_pushes_use_the_in_process_engine() -> None:
    assert engine_for("passthrough", "push:rtmp") == REMUX
    assert engine_for("ladder", "push:rtmp") == FFMPEG
    assert engine_for("passthrough", "push:srt") == FFMPEG
    assert engine_for("passthrough", "udp://239.0.0.1:1234") == FFMPEG
    assert engine_for("passthrough", "http://example.test/index.m3u8") == FFMPEG


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return quiet_settings(tmp_path, database_url)


def test_admins_see_which_engine_packages_a_channel(client: TestClient, admin: Account, viewer: Account) -> None:
    body = {"slug": "news", "name": "News", "source_url": "push:rtmp"}
    assert client.post("/api/v1/channels", json=body, headers=admin.auth).status_code == 201
    assert client.get("/api/v1/channels/news", headers=admin.auth).json()["engine"] == REMUX
    assert client.get("/api/v1/channels/news", headers=viewer.auth).json()["engine"] is None
    client.patch("/api/v1/channels/news", json={"mode": "ladder"}, headers=admin.auth)
    assert client.get("/api/v1/channels/news", headers=admin.auth).json()["engine"] == FFMPEG

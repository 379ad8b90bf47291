"""Never off air: primary -> backup -> slate -> primary while a client keeps reading the live playlist, and a
killed ffmpeg restarts. Real ffmpeg everywhere; segments are 1 s, so a stall is declared after 2 s."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from airwave.channels.feeds import DvrFeed
from airwave.channels.supervisor import Supervisor
from airwave.hls.live import render_live
from airwave.hls.playlist import parse_media_playlist
from airwave.runtime import Runtime
from tests.e2e.live import (
    SEGMENT,
    add_channel,
    channel_field,
    hls_source,
    live_runtime,
    make_file,
    published,
    pusher,
    stop,
    wait_for,
)  # fmt: skip

pytestmark = pytest.mark.e2e
SLACK = 4.0  # seconds for ffmpeg to start on a loaded two-core machine


@dataclass
class Reader:
    """A client reloading the live playlist every 200 ms, as a player does."""

    feed: DvrFeed
    seen: dict[str, float] = field(default_factory=dict)  # segment URI -> when first listed
    sequences: list[int] = field(default_factory=list)
    discontinuities: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            text = render_live(self.feed.segments("live", None, None), self.feed.target_duration(), window=None,
                               endlist=False, playlist_type=None)  # fmt: skip
            playlist = parse_media_playlist(text)
            self.sequences.append(playlist.media_sequence)
            self.discontinuities = max(self.discontinuities, text.count("#EXT-X-DISCONTINUITY\n"))
            for segment in playlist.segments:
                self.seen.setdefault(segment.uri, time.monotonic())

    def first_of(self, run_ids: set[str]) -> float:
        return min(when for uri, when in self.seen.items() if _run(uri) in run_ids)

    def last_of(self, run_ids: set[str]) -> float:
        return max(when for uri, when in self.seen.items() if _run(uri) in run_ids)


def test_primary_backup_slate_and_back_while_a_client_reads(tmp_path: Path) -> None:
    with hls_source(tmp_path / "upstream") as (backup_url, backup_encoder), live_runtime(tmp_path) as (rt, sup):
        add_channel(rt, "news", "push:rtmp", backup_url=backup_url)
        key = channel_field(rt, "news", "stream_key")
        url = f"rtmp://127.0.0.1:{rt.settings.rtmp_port}/live/{key}"
        reader = Reader(DvrFeed(rt.settings, "news"))
        thread = threading.Thread(target=reader.run, name="test-reader")
        wait_for(lambda: sup.rtmp is not None, 10, "the RTMP ingest")
        thread.start()
        try:
            with pusher(url) as encoder:
                wait_for(lambda: _state(rt) == "live" and published(rt, "news") >= 3, 40, "live from the push")
                primary = _runs(sup, "primary")
                wait_for(lambda: "backup" in sup.workers["news"].runs and sup.workers["news"].runs["backup"], 20,
                         "the hot backup")  # fmt: skip
                stop(encoder)
                wait_for(lambda: _state(rt) == "backup", 20, "the backup to take over")
            backup = _runs(sup, "backup")
            wait_for(lambda: any(_run(u) in backup for u in reader.seen), 10, "a backup segment in the playlist")
            assert reader.first_of(backup) - reader.last_of(primary) <= 2 * SEGMENT + SLACK
            stop(backup_encoder)
            wait_for(lambda: _state(rt) == "slate", 30, "the slate to take over")
            slate = _runs(sup, "slate")
            wait_for(lambda: any(_run(u) in slate for u in reader.seen), 10, "a slate segment in the playlist")
            assert reader.first_of(slate) - reader.last_of(backup) <= 2 * 2 * SEGMENT + SLACK
            with pusher(url):
                wait_for(lambda: _state(rt) == "live", 40, "the primary to return")
                count = published(rt, "news")
                wait_for(lambda: published(rt, "news") >= count + 2, 20, "more live segments")
        finally:
            reader.stop.set()
            thread.join()
    assert reader.sequences == sorted(reader.sequences), "the media sequence went back"
    assert reader.discontinuities >= 1
    assert channel_field_after(tmp_path) >= 3  # live->backup, backup->slate, slate->live


def test_a_killed_ffmpeg_is_restarted_and_numbering_continues(tmp_path: Path) -> None:
    clip = make_file(tmp_path / "clip.mp4", seconds=4)
    with live_runtime(tmp_path) as (runtime, supervisor):
        add_channel(runtime, "loop", f"file://{clip}")
        wait_for(lambda: published(runtime, "loop") >= 3, 40, "the channel to go live")
        first_pid = supervisor.workers["loop"].pids["primary"]
        before = published(runtime, "loop")
        os.kill(first_pid, signal.SIGKILL)
        wait_for(lambda: supervisor.workers["loop"].pids.get("primary", first_pid) != first_pid, 20, "a restart")
        wait_for(lambda: published(runtime, "loop") >= before + 3, 40, "segments from the new ffmpeg")
        segments = DvrFeed(runtime.settings, "loop").segments("live", None, None)
        assert [s.msn for s in segments] == list(range(segments[0].msn, segments[0].msn + len(segments)))
        assert any(s.discontinuity for s in segments)
        pdts = [s.pdt for s in segments]
        assert pdts == sorted(pdts)
    assert _no_ffmpeg_left(tmp_path)


def _state(runtime: Runtime) -> str:
    return str(channel_field(runtime, "news", "state"))


def _runs(supervisor: Supervisor, role: str) -> set[str]:
    run = supervisor.workers["news"].runs[role]
    return {run.id} if run is not None else set()


def _run(uri: str) -> str:
    return uri.rsplit("/", maxsplit=1)[-1].split("-", maxsplit=1)[0]


def channel_field_after(tmp_path: Path) -> int:
    from airwave.config import load_settings
    from airwave.runtime import open_runtime

    runtime = open_runtime(load_settings(data=tmp_path / "var", secret_key="test"))
    try:
        return int(channel_field(runtime, "news", "switch_count"))  # type: ignore[call-overload]
    finally:
        runtime.close()


def _no_ffmpeg_left(tmp_path: Path) -> bool:
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if str(tmp_path).encode() in cmdline and b"ffmpeg" in cmdline:
            return False
    return True

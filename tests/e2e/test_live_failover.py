"""Never off air: primary -> backup -> slate -> primary while a client keeps reading the live playlist, and a
killed ffmpeg restarts. Real ffmpeg everywhere; segments are 1 s, so a stall is declared after 2 s."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from airwave.channels.feeds import DvrFeed, LiveSegment
from airwave.channels.supervisor import Supervisor
from airwave.hls.live import render_live
from airwave.hls.playlist import parse_media_playlist
from airwave.runtime import Runtime
from tests.e2e.live import (
    FFMPEG,
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
HOT = 1.5  # seconds beyond the stall for a hot slate: ticks, the reader's polling, a loaded machine
RUNG = "90p"  # the one rung of a ladder channel on the 160x90 test pattern
BAD_DECODE = re.compile(r"Invalid NAL unit size|no frame!|error while decoding|Invalid data found|PPS", re.I)


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
            wait_for(lambda: sup.workers["news"].slate_ready, 30, "the slate made for the channel's size")
            stop(backup_encoder)
            wait_for(lambda: _state(rt) == "slate", 30, "the slate to take over")
            slate = _runs(sup, "slate")
            wait_for(lambda: any(_run(u) in slate for u in reader.seen), 10, "a slate segment in the playlist")
            # The slate is made ahead: it is on air as soon as the stall is declared (2 target durations).
            assert reader.first_of(slate) - reader.last_of(backup) <= 2 * SEGMENT + HOT
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


def test_a_stalled_source_shows_the_hot_slate_at_once_and_returns(tmp_path: Path) -> None:
    """A frozen ffmpeg (SIGSTOP: alive, silent) is a stall: the slate is published within two target
    durations of the last segment, with a discontinuity, and the primary comes back after its restart. The
    whole stretch decodes in ffmpeg, whose HLS reader keeps the first init segment across discontinuities."""
    clip = make_file(tmp_path / "clip.mp4", seconds=4)
    with live_runtime(tmp_path) as (runtime, supervisor):
        add_channel(runtime, "loop", f"file://{clip}", mode="ladder")  # 160x90: one 90p rung, never upscaled
        wait_for(lambda: published(runtime, "loop", RUNG) >= 3, 40, "the channel to go live")
        worker = supervisor.workers["loop"]
        wait_for(lambda: worker.slate_ready, 30, "the slate made for the channel's size")
        feed = DvrFeed(runtime.settings, "loop")
        frozen = worker.pids["primary"]
        os.kill(frozen, signal.SIGSTOP)
        try:
            last_primary = time.monotonic()
            before = published(runtime, "loop", RUNG)
            wait_for(lambda: worker.slate_run, 20, "the slate to go on air")
            first_slate = time.monotonic()
            wait_for(lambda: _state(runtime, "loop") == "slate", 10, "the state to say slate")
        finally:
            os.kill(frozen, signal.SIGCONT)
        wait_for(lambda: _state(runtime, "loop") == "live", 60, "the primary to return")
        count = published(runtime, "loop", RUNG)
        wait_for(lambda: published(runtime, "loop", RUNG) >= count + 2, 20, "more live segments")
        segments = feed.segments(RUNG, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), None)  # the whole DVR
        errors = _decode_errors(feed.folder, segments)
    # The stall is declared 2 target durations after the last segment was seen (up to 1 s before SIGSTOP).
    assert first_slate - last_primary <= 2 * SEGMENT + HOT
    assert before > 0
    msns = [s.msn for s in segments]
    assert msns == list(range(msns[0], msns[0] + len(msns))), "media sequence numbers must only grow"
    runs = [s.uri.rsplit("/", 1)[-1].split("-")[0] for s in segments]
    switches = [n for n in range(1, len(runs)) if runs[n] != runs[n - 1]]
    assert len(switches) >= 2, "to the slate and back"
    assert all(segments[n].discontinuity for n in switches)
    pdts = [s.pdt for s in segments]
    assert pdts == sorted(pdts)
    assert errors == []


def _decode_errors(folder: Path, segments: list[LiveSegment]) -> list[str]:
    """What ffmpeg complains about while decoding ``segments`` (as a VOD playlist of the channel's files)."""
    playlist = folder / "check.m3u8"
    playlist.write_text(render_live(segments, 2, window=None, endlist=True, playlist_type="VOD"))
    argv = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "warning", "-i", str(playlist), "-f", "null", "-"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    return [line for line in done.stderr.splitlines() if BAD_DECODE.search(line)] + (
        [f"ffmpeg exited with {done.returncode}"] if done.returncode else []
    )


def _state(runtime: Runtime, slug: str = "news") -> str:
    return str(channel_field(runtime, slug, "state"))


def _runs(supervisor: Supervisor, role: str, slug: str = "news") -> set[str]:
    worker = supervisor.workers[slug]
    if role == "slate":
        return {worker.slate_run} if worker.slate_run else set()
    run = worker.runs[role]
    return {run.id} if run is not None else set()


def _run(uri: str) -> str:
    return uri.rsplit("/", maxsplit=1)[-1].split("-", maxsplit=1)[0]


def channel_field_after(tmp_path: Path) -> int:
    from airwave.config import load_settings
    from airwave.runtime import open_runtime

    runtime = open_runtime(load_settings(data=tmp_path / "var", secret_key="test"))
    try:
        return int(str(channel_field(runtime, "news", "switch_count")))
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

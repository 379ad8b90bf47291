"""The ffmpeg supervisor: progress, errors, and that no ffmpeg outlives a close, a cancel, or its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from airwave.errors import IngestCancelled, MediaError
from airwave.media.process import FFmpegProcess, run_ffmpeg
from airwave.media.progress import Progress
from tests.media.clips import FFMPEG

pytestmark = pytest.mark.e2e

ENDLESS = [FFMPEG, "-hide_banner", "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc2=size=64x36:rate=10",
           "-f", "null", "-progress", "pipe:1", "-stats_period", "0.1", "-nostats", "-"]  # fmt: skip


def gone(pid: int) -> bool:
    """True once the process no longer runs (reaped, or a zombie waiting for a reaper that is not us)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return True
    return state in {"Z", "X"}


def wait_until_gone(pid: int, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while not gone(pid):
        assert time.monotonic() < end, f"ffmpeg {pid} is still running"
        time.sleep(0.05)


def test_progress_is_reported_until_the_end() -> None:
    reports: list[Progress] = []
    argv = [FFMPEG, "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=64x36:rate=25:duration=2", "-f", "null",
            "-progress", "pipe:1", "-nostats", "-"]  # fmt: skip
    run_ffmpeg(argv, on_progress=reports.append)
    assert reports[-1].done
    assert reports[-1].out_time == pytest.approx(2.0, abs=0.1)
    assert reports[-1].frame == 50


def test_failure_carries_ffmpeg_s_message() -> None:
    with pytest.raises(MediaError, match=r"ffmpeg failed \(exit status \d+\): .*No such file"):
        run_ffmpeg([FFMPEG, "-nostdin", "-i", "/nonexistent/input.mp4", "-f", "null", "-"])


def test_close_stops_and_reaps_a_running_ffmpeg_and_is_idempotent() -> None:
    process = FFmpegProcess(ENDLESS)
    process.start()
    next(process.progress())  # it is running
    pid = process.pid
    assert pid is not None
    process.close()
    process.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped by close()
    assert gone(pid)


def test_an_exception_in_the_progress_callback_stops_ffmpeg() -> None:
    pids: list[int] = []

    def explode(_report: Progress) -> None:
        pids.extend(int(p) for p in os.listdir("/proc") if p.isdigit() and _is_ffmpeg_child(int(p)))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_ffmpeg(ENDLESS, on_progress=explode)
    assert pids
    for pid in pids:
        wait_until_gone(pid)


def test_cancel_stops_ffmpeg() -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        with pytest.raises(IngestCancelled):
            run_ffmpeg(ENDLESS, cancel=cancel)
    finally:
        timer.cancel()


def test_ffmpeg_dies_with_its_parent_even_after_kill_9(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from airwave.media.process import FFmpegProcess\n"
        f"p = FFmpegProcess({ENDLESS!r})\n"
        "p.start()\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert not gone(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        wait_until_gone(child)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def _is_ffmpeg_child(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return int(stat.rpartition(")")[2].split()[1]) == os.getpid() and "ffmpeg" in stat

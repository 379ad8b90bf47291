"""Live channels: passthrough channel density against plain ffmpeg, and the source-failure switch time.

Density: N channels, each a 2.5 Mbps 720p file looped as a live source (``-re``), packaged by Airwave
(supervisor, own index, 2 s CMAF segments) and, for the peer, N plain ``ffmpeg -re -stream_loop -1 -c copy -f
hls`` processes. The ramp (10, 20, 40, 80, ...) stops at the first step where a channel misses segments
(fewer than 90 % of the segments the window should hold) or when the time budget is spent. CPU and memory
per channel are measured over the same window for both (ffmpeg children plus, for Airwave, the supervisor
process). Switch time: a channel pushed over RTMP with a hot backup; the pusher is killed and the time to
the first backup segment in the index is measured (goal: at most 2 segment durations).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from airwave.channels.feeds import DvrFeed
from airwave.channels.service import create_channel, get_channel
from airwave.channels.supervisor import Supervisor
from airwave.config import load_settings
from airwave.media.ffmpeg import find_ffmpeg
from airwave.runtime import Runtime, open_runtime
from bench.serving import _free_port
from bench.table import Row

SEGMENT = 2.0
WINDOW = 12.0  # seconds measured per ramp step
WARMUP = 10.0
BUDGET = 130.0  # seconds for the whole ramp
GOAL_CHANNELS = 300
TICKS = os.sysconf("SC_CLK_TCK")
FFMPEG = find_ffmpeg(load_settings())


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="airwave-bench-channels-") as tmp:
        work = Path(tmp)
        clip = _clip(work / "source.mp4")
        reached, ours, peer = _ramp(work, clip)
        switch = _switch_time(work, clip)
    cpu_ratio = ours[0] / peer[0] if peer[0] else float("nan")
    return [
        Row(
            goal="Passthrough channels kept live (2.5 Mbps sources, 2 s segments)",
            ours=f"{reached} channels", peer=f"goal {GOAL_CHANNELS}", ratio=reached / GOAL_CHANNELS,
            target=">= 1.00", ok=reached >= GOAL_CHANNELS,
            note=f"ramp 10, 20, 40, … until a channel missed segments or {BUDGET:.0f} s passed; {os.cpu_count()} CPUs "
            "shared with other work",
        ),
        Row(
            goal="CPU per passthrough channel: Airwave / plain ffmpeg -c copy -f hls",
            ours=f"{ours[0] * 100:.2f} % CPU, {ours[1]:.0f} MB", peer=f"{peer[0] * 100:.2f} % CPU, {peer[1]:.0f} MB",
            ratio=cpu_ratio, target="<= 1.50", ok=cpu_ratio <= 1.5,
            note=f"at {reached or 10} channels over {WINDOW:.0f} s; ours includes the supervisor process",
        ),
        Row(
            goal="Source failure to first backup segment",
            ours=f"{switch:.2f} s", peer=f"{2 * SEGMENT:.0f} s (2 segments)", ratio=switch / (2 * SEGMENT),
            target="<= 1.00", ok=switch <= 2 * SEGMENT,
            note="RTMP push killed, hot backup (file source) takes over; time until its segment is in the index",
        ),
    ]  # fmt: skip


def _ramp(work: Path, clip: Path) -> tuple[int, tuple[float, float], tuple[float, float]]:
    started = time.monotonic()
    reached, ours, peer = 0, (0.0, 0.0), (0.0, 0.0)
    count = 10
    while time.monotonic() - started < BUDGET:
        ok, measured = _airwave_step(work / f"aw{count}", clip, count)
        if reached == 0 or ok:
            ours, peer = measured, _plain_step(work / f"plain{count}", clip, count)
        if not ok:
            break
        reached = count
        count *= 2
    return reached, ours, peer


def _airwave_step(folder: Path, clip: Path, count: int) -> tuple[bool, tuple[float, float]]:
    settings = load_settings(data=folder, secret_key="bench", live_segment_seconds=SEGMENT, live_hot_backup=False,
                             rtmp_port=_free_port())  # fmt: skip
    runtime = open_runtime(settings)
    slugs = [f"ch{n}" for n in range(count)]
    for slug in slugs:
        _add(runtime, slug, f"file://{clip}")
    supervisor = Supervisor(runtime)
    supervisor.start()
    try:
        time.sleep(WARMUP)  # a fixed warm-up: this is a measurement, not a test waiting for a condition
        before = {slug: _published(runtime, slug) for slug in slugs}
        pids = [pid for worker in supervisor.workers.values() for pid in worker.pids.values()]
        cpu0, wall0 = _cpu(pids) + time.process_time(), time.monotonic()
        time.sleep(WINDOW)
        cpu = (_cpu(pids) + time.process_time() - cpu0) / (time.monotonic() - wall0)
        rss = sum(_rss(pid) for pid in pids) + _rss(os.getpid()) / 4  # our process is shared with the bench
        expected = WINDOW / SEGMENT
        ok = all(_published(runtime, slug) - before[slug] >= 0.9 * expected - 1 for slug in slugs)
        return ok, (cpu / count, rss / count / 1e6)
    finally:
        supervisor.close()
        runtime.close()


def _plain_step(folder: Path, clip: Path, count: int) -> tuple[float, float]:
    processes = []
    for n in range(count):
        out = folder / f"p{n}"
        out.mkdir(parents=True)
        argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip), "-c", "copy",
                "-f", "hls", "-hls_time", f"{SEGMENT:g}", "-hls_segment_type", "fmp4",
                str(out / "index.m3u8")]  # fmt: skip
        processes.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        time.sleep(WARMUP)
        pids = [p.pid for p in processes]
        cpu0, wall0 = _cpu(pids), time.monotonic()
        time.sleep(WINDOW)
        cpu = (_cpu(pids) - cpu0) / (time.monotonic() - wall0)
        return cpu / count, sum(_rss(pid) for pid in pids) / count / 1e6
    finally:
        for process in processes:
            process.send_signal(signal.SIGKILL)
            process.wait()


def _switch_time(work: Path, clip: Path) -> float:
    settings = load_settings(data=work / "switch", secret_key="bench", live_segment_seconds=SEGMENT,
                             ingest_host="127.0.0.1", rtmp_port=_free_port())  # fmt: skip
    runtime = open_runtime(settings)
    _add(runtime, "sw", "push:rtmp", backup_url=f"file://{clip}")
    with runtime.db.session() as session:
        key = get_channel(session, "sw").stream_key
    supervisor = Supervisor(runtime)
    supervisor.start()
    try:
        url = f"rtmp://127.0.0.1:{settings.rtmp_port}/live/{key}"
        with _pusher(clip, url) as pusher:
            _until(lambda: _state(runtime) == "live" and _published(runtime, "sw") >= 3, 60)
            before = DvrFeed(settings, "sw").segments("live", None, None)[-1].uri.split("-")[0]
            pusher.kill()
            killed = time.monotonic()
            _until(lambda: DvrFeed(settings, "sw").segments("live", None, None)[-1].uri.split("-")[0] != before, 30)
            return time.monotonic() - killed
    finally:
        supervisor.close()
        runtime.close()


def _clip(path: Path) -> Path:
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
            "-f", "lavfi", "-i", "sine", "-t", "20", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2500k",
            "-maxrate", "2500k", "-bufsize", "5000k", "-g", "50", "-c:a", "aac", str(path)]  # fmt: skip
    subprocess.run(argv, check=True, timeout=300)
    return path


@contextmanager
def _pusher(clip: Path, url: str) -> Iterator[subprocess.Popen[bytes]]:
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip), "-c", "copy",
            "-f", "flv", url]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _add(runtime: Runtime, slug: str, source: str, **fields: object) -> None:
    with runtime.db.session() as session:
        create_channel(session, runtime.settings, runtime.clock, slug, name=slug, source_url=source, **fields)


def _published(runtime: Runtime, slug: str) -> int:
    segments = DvrFeed(runtime.settings, slug).segments("live", None, None)
    return segments[-1].msn + 1 if segments else 0


def _state(runtime: Runtime) -> str:
    with runtime.db.session() as session:
        return get_channel(session, "sw").state


def _until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise TimeoutError("the channel did not reach the expected state")


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    return total


def _rss(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0.0


if __name__ == "__main__":
    from bench.table import plain

    print(plain(run()))

"""Personalised playlist requests/s on one core, divided by nginx serving the same playlist. Goal: >= 0.5.

Ours: ``airwave serve`` (granian, one worker, pinned to CPU 0) answering a session's media playlist at
``/p/<token>/t/<id>/1080p/index.m3u8``: token verified, session looked up, stream lease renewed when due,
the client compared with the session's, and the playlist sent with its AES-128 key tags, ``no-store``.
The same for a live channel's media playlist (``/p/<token>/c/<slug>/live/live.m3u8``), where the blackout
rules of the viewer's territory are checked too and the window is re-rendered every ``web.live.TEXT_SECONDS``.
Peer: nginx (one worker, CPU 0) serving the very same bytes as a static file. wrk on CPU 1, 64 connections,
median of three alternating runs.

Per core means per second of CPU the server spends: each run counts the requests wrk completed and the CPU
time the server's processes used meanwhile (``/proc``). On a quiet machine that equals wall-clock requests/s
on the pinned core; on a busy one (other jobs on CPU 0) it stays fair, where wall-clock rates depend on how
the scheduler shares the core (granian's two threads get more turns than nginx's one). Both are printed.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from airwave.accounts.users import create_user
from airwave.catalog.titles import create_title
from airwave.channels.feeds import DvrFeed
from airwave.channels.index import IndexWriter
from airwave.channels.meta import LiveRendition, write_meta
from airwave.channels.playback import start_channel
from airwave.channels.service import create_channel
from airwave.config import load_settings
from airwave.delivery.playback import start_title
from airwave.delivery.signing import keyring_for
from airwave.runtime import Runtime, open_runtime
from airwave.store.tables import Rendition
from airwave.web import live
from bench.serving import _free_port, _pin, _process, _wait_for, nginx_server
from bench.table import Row

RUNS = 3
SECONDS = 3
CONNECTIONS = 64
SEGMENTS = 150  # ten minutes of 4 s segments
WINDOW = 30  # the live window: a minute of 2 s segments
TARGET = 0.5


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="airwave-bench-playlists-") as tmp:
        work = Path(tmp)
        title_path, channel_path = prepare(work / "var", "1080p/index.m3u8")
        with origin_process(work / "var") as (origin, origin_pid):
            static = work / "static" / "bench"
            static.mkdir(parents=True)
            for name, path in (("title.m3u8", title_path), ("channel.m3u8", channel_path)):
                (static / name).write_text(httpx.get(origin + path).text)
            with nginx_server(work, work / "static") as nginx:
                nginx_pid = int((work / "nginx.pid").read_text())
                title = alternate_measured((origin + title_path, origin_pid), (f"{nginx}/bench/title.m3u8", nginx_pid))
                channel = alternate_measured(
                    (origin + channel_path, origin_pid), (f"{nginx}/bench/channel.m3u8", nginx_pid)
                )
    how = (
        f"wrk, {CONNECTIONS} connections, median of {RUNS} alternating {SECONDS}s runs; granian 1 worker vs nginx 1 "
        "worker, both on CPU 0; token + session + client + lease + entitlement checks"
    )
    return [
        _row("Personalised playlist requests/s, 1 core / nginx static same playlist", *title,
             f"{how}; {SEGMENTS}-segment VOD playlist with key tags"),
        _row("Live channel playlist refreshes/s, 1 core / nginx static same playlist", *channel,
             f"{how} + blackout rules; {WINDOW}-segment live window with key tags, re-rendered every "
             f"{live.TEXT_SECONDS} s", target=None),
    ]  # fmt: skip


def _row(goal: str, ours: Rate, peer: Rate, how: str, target: float | None = TARGET) -> Row:
    """A table row; ``target`` None: measured and reported, no goal set."""
    ratio = ours.per_core / peer.per_core
    return Row(
        goal=goal,
        ours=f"{ours.per_core:,.0f}/s",
        peer=f"{peer.per_core:,.0f}/s",
        ratio=ratio,
        target=f">= {target}" if target is not None else "report",
        ok=target is None or ratio >= target,
        note=f"requests per CPU-second of the server; wall clock {ours.wall:,.0f}/s vs {peer.wall:,.0f}/s. {how}",
    )


@dataclass(frozen=True)
class Rate:
    """A server's throughput: requests per wall-clock second and per second of its own CPU time."""

    wall: float
    per_core: float


def alternate_measured(ours: tuple[str, int], peer: tuple[str, int]) -> tuple[Rate, Rate]:
    """Median rates of :data:`RUNS` alternating wrk runs against ``(url, server pid)`` pairs."""
    samples: dict[tuple[str, int], list[Rate]] = {ours: [], peer: []}
    for _ in range(RUNS):
        for (url, pid), rates in samples.items():
            rates.append(measured(url, pid))
    return _median(samples[ours]), _median(samples[peer])


def measured(url: str, pid: int) -> Rate:
    """One wrk run against ``url``, with the CPU time process ``pid`` and its children spent meanwhile."""
    before = cpu_seconds(pid)
    rate, requests = wrk_requests(url)
    spent = cpu_seconds(pid) - before
    return Rate(wall=rate, per_core=requests / spent if spent > 0 else float("nan"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its live descendants (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent and child not in tree]
        tree.update(children)
        frontier += children
    return sum(ticks.get(member, 0) for member in tree) / os.sysconf("SC_CLK_TCK")


def _median(rates: list[Rate]) -> Rate:
    return Rate(statistics.median(r.wall for r in rates), statistics.median(r.per_core for r in rates))


def prepare(data: Path, object_path: str) -> tuple[str, str]:
    """A title with a 1080p playlist of :data:`SEGMENTS` segments and a live channel with a full window, and a
    session on each: the title object's signed path and the channel's live media playlist's."""
    runtime = open_runtime(load_settings(data=data))
    try:
        folder = runtime.settings.media_dir / "bench" / "1080p"
        folder.mkdir(parents=True)
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD",
                 '#EXT-X-MAP:URI="init.mp4"']  # fmt: skip
        for index in range(SEGMENTS):
            lines += ["#EXTINF:4.000,", f"seg_{index:05d}.m4s"]
        (folder / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n")
        _publish_channel(runtime)
        with runtime.db.session() as session:
            user = create_user(session, runtime.clock, email="bench@example.org", password="bench-password")
            title = create_title(session, runtime.clock, name="Bench")
            title.media_path = "bench"
            title.renditions = [Rendition(kind="video", name="1080p", playlist="1080p/index.m3u8", bandwidth=5_000_000)]
            session.flush()
            signer = keyring_for(runtime).signer(runtime.clock.time())
            started = start_title(session, runtime.clock, signer, user, title.id, ttl_seconds=3600)
            watching = start_channel(session, runtime.clock, signer, user, "bench", ttl_seconds=3600)
        return started.url.replace("master.m3u8", object_path), watching.url.replace("master.m3u8", "live/live.m3u8")
    finally:
        runtime.close()


def _publish_channel(runtime: Runtime) -> None:
    """Channel "bench" with :data:`WINDOW` two-second segments in its index, as its supervisor would leave it."""
    with runtime.db.session() as session:
        create_channel(session, runtime.settings, runtime.clock, "bench", name="Bench", source_url="push:rtmp")
    feed = DvrFeed(runtime.settings, "bench")
    writer = IndexWriter(feed.folder)
    start = runtime.clock.time() - 2 * WINDOW
    for n in range(WINDOW):
        writer.append(start + 2 * n, 2.0, False, "r1", n, ("live",))
    write_meta(feed.folder, [LiveRendition("live", "avc1.640028,mp4a.40.2", 5_000_000, 4_500_000, 1920, 1080, 25.0)])


@contextmanager
def origin_server(data: Path, pinned: bool = True) -> Iterator[str]:
    """``airwave serve`` on ``data``; its base URL."""
    with origin_process(data, pinned) as (base, _):
        yield base


@contextmanager
def origin_process(data: Path, pinned: bool = True) -> Iterator[tuple[str, int]]:
    """``airwave serve`` on ``data``; its base URL and process id (``taskset`` execs, keeping the pid)."""
    port = _free_port()
    # No channel supervisor: the bench channel's index stays as prepare() wrote it.
    env = {"PATH": "/usr/bin:/bin", "AIRWAVE_LOG_LEVEL": "warning", "AIRWAVE_DATA": str(data),
           "AIRWAVE_LIVE_SUPERVISOR": "false"}  # fmt: skip
    argv = [*(_pin(0) if pinned else []), sys.executable, "-m", "airwave", "serve", "--port", str(port)]
    with _process(argv, env) as process:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz", process)
        yield base, process.pid


def wrk(url: str, connections: int = CONNECTIONS) -> float:
    """Requests/s wrk (pinned to CPU 1) reaches against ``url``; errors under load raise."""
    return wrk_requests(url, connections)[0]


def wrk_requests(url: str, connections: int = CONNECTIONS) -> tuple[float, int]:
    """Requests/s wrk (pinned to CPU 1) reaches against ``url``, and how many it completed; errors raise."""
    if not shutil.which("wrk"):
        raise RuntimeError("needs wrk (apt-get install wrk)")
    argv = [*_pin(1), "wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", url]
    output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=SECONDS + 30).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    done = re.search(r"(\d+) requests in", output)
    if match is None or done is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    return float(match.group(1)), int(done.group(1))


if __name__ == "__main__":
    for row in run():
        print(f"{row.goal}: ours {row.ours}, nginx {row.peer}, ratio {row.ratio:.2f} (goal {row.target})")

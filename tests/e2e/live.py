"""Helpers of the live channel tests: a supervisor on a temporary data dir, test sources made by ffmpeg."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from airwave.channels.feeds import DvrFeed
from airwave.channels.service import create_channel, get_channel
from airwave.channels.supervisor import Supervisor
from airwave.config import load_settings
from airwave.media.ffmpeg import find_ffmpeg
from airwave.runtime import Runtime, open_runtime
from tests.e2e.portal import free_port

T = TypeVar("T")
SEGMENT = 1.0  # live segment seconds in these tests: a stall is declared after 2 s
FFMPEG = find_ffmpeg(load_settings())
PATTERN = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-f", "lavfi", "-i", "sine=frequency=440"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"]


def wait_for(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)  # polling interval, bounded by the deadline
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def live_runtime(tmp_path: Path, **settings: object) -> Iterator[tuple[Runtime, Supervisor]]:
    """A runtime (SQLite, real clock) and a started supervisor; everything stopped and reaped after."""
    values = {
        "data": tmp_path / "var", "secret_key": "test", "live_segment_seconds": SEGMENT, "ingest_host": "127.0.0.1",
        "rtmp_port": free_port(), "live_retention_grace_seconds": 5.0, "srt_port_base": free_port(),
    }  # fmt: skip
    runtime = open_runtime(load_settings(**{**values, **settings}))
    supervisor = Supervisor(runtime)
    supervisor.start()
    try:
        yield runtime, supervisor
    finally:
        supervisor.close()
        runtime.close()


def add_channel(runtime: Runtime, slug: str, source: str, **fields: object) -> None:
    with runtime.db.session() as session:
        create_channel(session, runtime.settings, runtime.clock, slug, name=slug.title(), source_url=source, **fields)


def channel_field(runtime: Runtime, slug: str, name: str) -> object:
    with runtime.db.session() as session:
        return getattr(get_channel(session, slug), name)


def published(runtime: Runtime, slug: str, rendition: str = "live") -> int:
    """How many segments the channel has published (its newest msn + 1)."""
    segments = DvrFeed(runtime.settings, slug).segments(rendition, None, None)
    return segments[-1].msn + 1 if segments else 0


def make_file(path: Path, seconds: int = 6) -> Path:
    """A tiny H.264/AAC clip with a keyframe every half second."""
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-y", *PATTERN, "-t", str(seconds), *X264, str(path)]
    subprocess.run(argv, check=True, timeout=60)
    return path


@contextmanager
def pusher(url: str, fmt: str = "flv") -> Iterator[subprocess.Popen[bytes]]:
    """ffmpeg pushing a live test pattern to ``url`` until the block ends."""
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-re", *PATTERN, *X264, "-f", fmt, url]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    if process.stderr is not None:
        process.stderr.close()


@contextmanager
def hls_source(folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A live HLS stream made by ffmpeg and served over HTTP on loopback; yields its URL and the encoder."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-re", *PATTERN, *X264, "-f", "hls", "-hls_time", "1",
            "-hls_list_size", "6", "-hls_flags", "delete_segments", str(folder / "index.m3u8")]  # fmt: skip
    encoder = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="test-hls-source", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.m3u8", encoder
    finally:
        stop(encoder)
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

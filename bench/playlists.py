"""Personalised playlist requests/s on one core, divided by nginx serving the same playlist. Goal: >= 0.5.

Ours: ``airwave serve`` (granian, one worker, pinned to CPU 0) answering a session's media playlist at
``/p/<token>/t/<id>/1080p/index.m3u8``: token verified, session looked up, stream lease renewed when due,
the client compared with the session's, and the playlist sent with its AES-128 key tags, ``no-store``.
Peer: nginx (one worker, CPU 0) serving the very same bytes as a static file. wrk on CPU 1, 64 connections,
median of three alternating runs.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from airwave.accounts.users import create_user
from airwave.catalog.titles import create_title
from airwave.config import load_settings
from airwave.delivery.playback import start_title
from airwave.delivery.signing import keyring_for
from airwave.runtime import open_runtime
from airwave.store.tables import Rendition
from bench.serving import _free_port, _pin, _process, _wait_for, nginx_server
from bench.table import Row

RUNS = 3
SECONDS = 3
CONNECTIONS = 64
SEGMENTS = 150  # ten minutes of 4 s segments
TARGET = 0.5


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="airwave-bench-playlists-") as tmp:
        work = Path(tmp)
        path = prepare(work / "var", "1080p/index.m3u8")
        with origin_server(work / "var") as origin:
            body = httpx.get(origin + path).text
            static = work / "static" / "bench" / "index.m3u8"
            static.parent.mkdir(parents=True)
            static.write_text(body)
            with nginx_server(work, work / "static") as nginx:
                ours, peer = alternate(origin + path, f"{nginx}/bench/index.m3u8")
    ratio = ours / peer
    return [
        Row(
            goal="Personalised playlist requests/s, 1 core / nginx static same playlist",
            ours=f"{ours:,.0f}/s",
            peer=f"{peer:,.0f}/s",
            ratio=ratio,
            target=f">= {TARGET}",
            ok=ratio >= TARGET,
            note=f"wrk, {CONNECTIONS} connections, median of {RUNS} alternating {SECONDS}s runs; {SEGMENTS}-segment "
            "VOD playlist with key tags, token + session + lease checks; granian 1 worker vs nginx 1 worker",
        )
    ]


def prepare(data: Path, object_path: str) -> str:
    """A title with a 1080p playlist of :data:`SEGMENTS` segments and a session; the object's signed path."""
    runtime = open_runtime(load_settings(data=data))
    try:
        folder = runtime.settings.media_dir / "bench" / "1080p"
        folder.mkdir(parents=True)
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD",
                 '#EXT-X-MAP:URI="init.mp4"']  # fmt: skip
        for index in range(SEGMENTS):
            lines += ["#EXTINF:4.000,", f"seg_{index:05d}.m4s"]
        (folder / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n")
        with runtime.db.session() as session:
            user = create_user(session, runtime.clock, email="bench@example.org", password="bench-password")
            title = create_title(session, runtime.clock, name="Bench")
            title.media_path = "bench"
            title.renditions = [Rendition(kind="video", name="1080p", playlist="1080p/index.m3u8", bandwidth=5_000_000)]
            session.flush()
            signer = keyring_for(runtime).signer(runtime.clock.time())
            started = start_title(session, runtime.clock, signer, user, title.id, ttl_seconds=3600)
        return started.url.replace("master.m3u8", object_path)
    finally:
        runtime.close()


@contextmanager
def origin_server(data: Path, pinned: bool = True) -> Iterator[str]:
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "AIRWAVE_LOG_LEVEL": "warning", "AIRWAVE_DATA": str(data)}
    argv = [*(_pin(0) if pinned else []), sys.executable, "-m", "airwave", "serve", "--port", str(port)]
    with _process(argv, env) as process:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz", process)
        yield base


def alternate(ours: str, peer: str, connections: int = CONNECTIONS) -> tuple[float, float]:
    """Median requests/s of :data:`RUNS` alternating wrk runs against each URL."""
    results: dict[str, list[float]] = {ours: [], peer: []}
    for _ in range(RUNS):
        for url, samples in results.items():
            samples.append(wrk(url, connections))
    return statistics.median(results[ours]), statistics.median(results[peer])


def wrk(url: str, connections: int = CONNECTIONS) -> float:
    """Requests/s wrk (pinned to CPU 1) reaches against ``url``; errors under load raise."""
    if not shutil.which("wrk"):
        raise RuntimeError("needs wrk (apt-get install wrk)")
    argv = [*_pin(1), "wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", url]
    output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=SECONDS + 30).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    return float(match.group(1))


if __name__ == "__main__":
    for row in run():
        print(f"{row.goal}: ours {row.ours}, nginx {row.peer}, ratio {row.ratio:.2f} (goal {row.target})")

"""Segment bytes/s served by the embedded server, divided by nginx serving the same file. Goal: >= 0.5.

Ours: ``airwave serve`` (granian, one worker) answering ``/p/<token>/t/<id>/<rendition>/<segment>``: the token
is verified, the session checked, and the file sent by pathsend. Peer: nginx (one worker, sendfile on) serving
the same 1 MB file from a generated config on 127.0.0.1. Each server is pinned to CPU 0 and the load generator
(wrk, else a bounded Python client) to CPU 1 when ``taskset`` exists; the median of three short runs counts.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from airwave.accounts.users import create_user
from airwave.catalog.titles import create_title
from airwave.config import load_settings
from airwave.delivery.playback import start_title
from airwave.delivery.signing import keyring_for
from airwave.runtime import Runtime, open_runtime
from airwave.store.tables import Rendition
from bench.table import Row

SEGMENT_BYTES = 1 << 20
RUNS = 3
SECONDS = 3
CONNECTIONS = 8
TARGET = 0.5
SEGMENT = "1080p/seg_00001.m4s"


def run() -> list[Row]:
    """Measure both servers and return the table row."""
    with tempfile.TemporaryDirectory(prefix="airwave-bench-serving-") as tmp:
        work = Path(tmp)
        path = prepare(work / "var")
        with airwave_server(work / "var") as airwave, nginx_server(work, work / "var" / "media") as nginx:
            ours, peer = measure(airwave + path, f"{nginx}/bench/{SEGMENT}")
    ratio = ours / peer
    return [
        Row(
            goal="Segment bytes/s: embedded server / nginx (1 MB segment)",
            ours=f"{ours / 1e6:,.0f} MB/s",
            peer=f"{peer / 1e6:,.0f} MB/s",
            ratio=ratio,
            target=f">= {TARGET}",
            ok=ratio >= TARGET,
            note=f"{loader()}, {CONNECTIONS} connections, median of {RUNS} alternating {SECONDS}s runs; "
            f"granian 1 worker vs nginx 1 worker, sendfile{', pinned' if shutil.which('taskset') else ''}",
        )
    ]


def prepare(data: Path) -> str:
    """A title with one 1 MB segment and a playback session; returns the segment's signed path."""
    runtime = open_runtime(load_settings(data=data))
    try:
        folder = runtime.settings.media_dir / "bench" / SEGMENT
        folder.parent.mkdir(parents=True)
        folder.write_bytes(os.urandom(SEGMENT_BYTES))
        return _session_path(runtime)
    finally:
        runtime.close()


def _session_path(runtime: Runtime) -> str:
    with runtime.db.session() as session:
        user = create_user(session, runtime.clock, email="bench@example.org", password="bench-password")
        title = create_title(session, runtime.clock, name="Bench")
        title.media_path = "bench"
        title.renditions = [Rendition(kind="video", name="1080p", playlist="1080p/index.m3u8", bandwidth=5_000_000)]
        session.flush()
        signer = keyring_for(runtime).signer(runtime.clock.time())
        started = start_title(session, runtime.clock, signer, user, title.id, ttl_seconds=3600)
    return started.url.replace("master.m3u8", SEGMENT)


def measure(ours: str, peer: str) -> tuple[float, float]:
    """Median bytes/s of ``RUNS`` runs against each URL, alternating so both see the same machine noise."""
    _fetch_once(ours)
    _fetch_once(peer)
    results: dict[str, list[float]] = {ours: [], peer: []}
    for _ in range(RUNS):
        for url, samples in results.items():
            samples.append(_load(url))
    return statistics.median(results[ours]), statistics.median(results[peer])


def loader() -> str:
    return "wrk" if shutil.which("wrk") else "python client"


def _load(url: str) -> float:
    if shutil.which("wrk"):
        return _wrk(url)
    return _python_load(url)


def _wrk(url: str) -> float:
    argv = [*_pin(1), "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", url]
    output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=SECONDS + 30).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    return float(match.group(1)) * SEGMENT_BYTES


def _python_load(url: str) -> float:
    parts = urlsplit(url)
    deadline = time.monotonic() + SECONDS
    totals = [0] * CONNECTIONS

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            while time.monotonic() < deadline:
                connection.request("GET", parts.path)
                response = connection.getresponse()
                totals[index] += len(response.read())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), name=f"bench-load-{i}") for i in range(CONNECTIONS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(totals) / (time.monotonic() - started)


def _fetch_once(url: str) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200 or len(body) != SEGMENT_BYTES:
        raise RuntimeError(f"{url} answered {response.status} with {len(body)} bytes")


@contextmanager
def airwave_server(data: Path) -> Iterator[str]:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRWAVE_")}
    env["AIRWAVE_LOG_LEVEL"] = "warning"
    env["AIRWAVE_VOD_ENCRYPTION"] = "false"  # the encrypted copies go out by sendfile the same way
    argv = [*_pin(0), sys.executable, "-m", "airwave", "serve", "--port", str(port), "--data", str(data)]
    with _process(argv, env) as process:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz", process)
        yield base


@contextmanager
def nginx_server(work: Path, root: Path) -> Iterator[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = _free_port()
    config = work / "nginx.conf"
    static = f'root {root};\n        add_header Cache-Control "public, max-age=31536000, immutable";'
    config.write_text(nginx_config(work, port, static))
    argv = [*_pin(0), nginx, "-p", str(work), "-e", str(work / "nginx-error.log"), "-c", str(config)]
    with _process(argv, None) as process:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/", process, ok=(200, 403, 404))
        yield base


def nginx_config(work: Path, port: int, server: str, http: str = "") -> str:
    """A foreground, single-process nginx with sendfile, as a caching edge would run: ``server`` is what its
    one server block does, ``http`` any more ``http``-level lines."""
    temp = "\n".join(
        f"    {kind}_temp_path {work}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
master_process off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
{temp}
    types {{ video/mp4 m4s mp4; application/vnd.apple.mpegurl m3u8; }}
    {http}
    server {{
        listen 127.0.0.1:{port};
        {server}
    }}
}}
"""


def _pin(cpu: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu)]
    return []


@contextmanager
def _process(argv: list[str], env: dict[str, str] | None) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(url: str, process: subprocess.Popen[bytes], ok: tuple[int, ...] = (200,)) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with status {process.returncode}")
        try:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=1)
            connection.request("GET", parts.path)
            if connection.getresponse().status in ok:
                return
        except OSError:
            pass
        time.sleep(0.05)  # polling interval, bounded by the deadline
    raise RuntimeError(f"{url} did not answer within 30 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    for row in run():
        print(f"{row.goal}: ours {row.ours}, nginx {row.peer}, ratio {row.ratio:.2f} (goal {row.target}) {row.note}")

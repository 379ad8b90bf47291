"""Segment bytes/s through an Airwave edge (token verified by njs, cache hit) / nginx static. Goal: >= 0.9.

Ours: the nginx edge ``airwave edge-config`` writes, in front of ``airwave serve``, answering a 1 MB segment
at ``/p/<token>/t/<id>/1080p/seg_00001.m4s`` from its cache after one fill; every request runs the njs token
check (HMAC-SHA256). Peer: nginx serving the same bytes as a static file. Both nginx pinned to CPU 0, wrk
(8 connections) to CPU 1; the median of three alternating runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.playlists import alternate, origin_server, prepare
from bench.serving import _free_port, _pin, _process, _wait_for, nginx_server
from bench.table import Row

SEGMENT_BYTES = 1 << 20
CONNECTIONS = 8
TARGET = 0.9


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="airwave-bench-edge-") as tmp:
        work = Path(tmp)
        data = work / "var"
        path = prepare(data, "1080p/seg_00001.m4s")
        (data / "media" / "bench" / "1080p" / "seg_00001.m4s").write_bytes(os.urandom(SEGMENT_BYTES))
        with origin_server(data, pinned=False) as origin, edge_server(work, data, origin) as edge:
            body = httpx.get(edge + path, timeout=60).content  # fills the cache
            if httpx.get(edge + path, timeout=60).headers.get("x-cache") != "HIT":
                raise RuntimeError("the edge did not cache the segment")
            static = work / "static" / "bench" / "seg.m4s"
            static.parent.mkdir(parents=True)
            static.write_bytes(body)
            with nginx_server(work, work / "static") as nginx:
                ours, peer = alternate(edge + path, f"{nginx}/bench/seg.m4s", connections=CONNECTIONS)
    ratio = ours / peer
    size = len(body)
    return [
        Row(
            goal="Segment bytes/s through an edge with token check / nginx static (1 MB segment)",
            ours=f"{ours * size / 1e6:,.0f} MB/s",
            peer=f"{peer * size / 1e6:,.0f} MB/s",
            ratio=ratio,
            target=f">= {TARGET}",
            ok=ratio >= TARGET,
            note=f"wrk, {CONNECTIONS} connections, median of 3 alternating runs; edge = generated config with njs "
            "HMAC token check and proxy_cache hit; both nginx pinned to CPU 0",
        )
    ]


@contextmanager
def edge_server(work: Path, data: Path, origin: str) -> Iterator[str]:
    port = _free_port()
    argv = [sys.executable, "-m", "airwave", "--data", str(data), "edge-config", "--origin", origin,
            "--listen", f"127.0.0.1:{port}", "--cache-dir", str(work / "edge"), "--name", "bench"]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "AIRWAVE_LOG_LEVEL": "warning"}
    config = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    (work / "edge.conf").write_text(config)
    globals_ = "daemon off; master_process off;" + (" user root;" if os.geteuid() == 0 else "")
    nginx = [*_pin(0), "nginx", "-c", str(work / "edge.conf"), "-g", globals_]
    with _process(nginx, None) as process:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz", process)
        yield base


if __name__ == "__main__":
    for row in run():
        print(f"{row.goal}: ours {row.ours}, nginx {row.peer}, ratio {row.ratio:.2f} (goal {row.target})")

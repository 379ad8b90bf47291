"""Segment bytes/s through an Airwave edge (token verified by njs, cache hit) / nginx static. Goal: >= 0.9.

Ours: the nginx edge ``airwave edge-config`` writes, in front of ``airwave serve``, answering a segment at
``/p/<token>/t/<id>/1080p/seg_00001.m4s`` from its cache after one fill; every request runs the njs token
check (HMAC-SHA256). Peer: nginx serving the same bytes as a static file. The segment is 1.25 MB (4 s at
2.5 Mbps, a middle rung). Both nginx run one worker in one process (see :func:`single_worker`) pinned to
CPU 0, wrk (8 connections) on CPU 1; both URLs are fetched once before timing, then loaded in
:data:`PAIRS` back-to-back pairs.

What counts is bytes/s per core: bytes served divided by the nginx process's own CPU seconds (``/proc``),
i.e. the rate one core sustains when nginx has it to itself, as on an edge; the ratio is the median of
the pairs' ratios. Wall-clock bytes/s is printed
too, but on a shared two-core machine it measures the scheduler more than nginx: when other work holds
CPU 0, pair ratios swing from 0.2 to 2. CPU time per segment does not move with the neighbours' load.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.playlists import origin_server, prepare
from bench.serving import _free_port, _pin, _process, _wait_for, nginx_server
from bench.table import Row

SEGMENT_BYTES = 1_250_000  # 4 s at 2.5 Mbps
CONNECTIONS = 8
PAIRS = 7
SECONDS = 3
TARGET = 0.9


@dataclass(frozen=True)
class Server:
    """A URL to load and the nginx process answering it (for its CPU time)."""

    url: str
    pid: int


@dataclass(frozen=True)
class Sample:
    """One wrk run: requests answered, wall seconds, and the CPU seconds nginx spent on them."""

    requests: int
    seconds: float
    cpu_seconds: float


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="airwave-bench-edge-") as tmp:
        work = Path(tmp)
        data = work / "var"
        path = prepare(data, "1080p/seg_00001.m4s")
        (data / "media" / "bench" / "1080p" / "seg_00001.m4s").write_bytes(os.urandom(SEGMENT_BYTES))
        with origin_server(data, pinned=False) as origin, edge_server(work, data, origin) as edge:
            body = httpx.get(edge + path, timeout=30).content  # fills the cache
            if httpx.get(edge + path, timeout=30).headers.get("x-cache") != "HIT":
                raise RuntimeError("the edge did not cache the segment")
            static = work / "static" / "bench" / "seg.m4s"
            static.parent.mkdir(parents=True)
            static.write_bytes(body)
            with nginx_server(work, work / "static") as nginx:
                if httpx.get(f"{nginx}/bench/seg.m4s", timeout=30).content != body:  # warms the page cache
                    raise RuntimeError("nginx static did not serve the segment")
                ours = Server(edge + path, _pid(work / "edge" / "nginx.pid"))
                peer = Server(f"{nginx}/bench/seg.m4s", _pid(work / "nginx.pid"))
                pairs = [(measure(ours), measure(peer)) for _ in range(PAIRS)]
    size = len(body)
    mine, theirs = [a for a, _ in pairs], [b for _, b in pairs]
    # Per pair, so a stretch of softirq work charged to one side (loopback) skews one ratio, not the result.
    ratio = statistics.median(b.cpu_seconds / b.requests / (a.cpu_seconds / a.requests) for a, b in pairs)
    wall = statistics.median((a.requests / a.seconds) / (b.requests / b.seconds) for a, b in pairs)
    return [
        Row(
            goal="Segment bytes/s per core through an edge with token check / nginx static (1.25 MB segment)",
            ours=f"{per_core(mine, size) / 1e6:,.0f} MB/s/core, {cpu_per_segment(mine) * 1e6:,.0f} us/segment",
            peer=f"{per_core(theirs, size) / 1e6:,.0f} MB/s/core, {cpu_per_segment(theirs) * 1e6:,.0f} us/segment",
            ratio=ratio,
            target=f">= {TARGET}",
            ok=ratio >= TARGET,
            note=f"bytes served / nginx CPU seconds, median of pair ratios; wrk {CONNECTIONS} connections, "
            f"{PAIRS} back-to-back pairs of {SECONDS}s; edge = generated config (njs HMAC token check, "
            f"proxy_cache hit); both nginx 1 worker pinned to CPU 0; wall-clock ratio on this (shared) machine: "
            f"median {wall:.2f}",
        )
    ]


def per_core(samples: Sequence[Sample], size: int) -> float:
    """Bytes per CPU second over all ``samples``."""
    return sum(s.requests for s in samples) * size / sum(s.cpu_seconds for s in samples)


def cpu_per_segment(samples: Sequence[Sample]) -> float:
    return sum(s.cpu_seconds for s in samples) / sum(s.requests for s in samples)


def measure(server: Server) -> Sample:
    """One wrk run (pinned to CPU 1) against ``server``, with the CPU time nginx spent meanwhile."""
    before = _cpu_seconds(server.pid)
    argv = [*_pin(1), "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", server.url]
    output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=SECONDS + 30).stdout
    used = _cpu_seconds(server.pid) - before
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"{server.url} answered errors under load:\n{output}")
    match = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if match is None or int(match.group(1)) == 0:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    seconds = float(match.group(2)) / (1000 if match.group(3) == "ms" else 1)
    return Sample(int(match.group(1)), seconds, used)


def _pid(pid_file: Path) -> int:
    return int(pid_file.read_text().split()[0])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def edge_server(work: Path, data: Path, origin: str) -> Iterator[str]:
    port = _free_port()
    argv = [sys.executable, "-m", "airwave", "--data", str(data), "edge-config", "--origin", origin,
            "--listen", f"127.0.0.1:{port}", "--cache-dir", str(work / "edge"), "--name", "bench"]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "AIRWAVE_LOG_LEVEL": "warning"}
    config = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    (work / "edge.conf").write_text(single_worker(config))
    globals_ = "daemon off; master_process off;" + (" user root;" if os.geteuid() == 0 else "")
    nginx = [*_pin(0), "nginx", "-c", str(work / "edge.conf"), "-g", globals_]
    with _process(nginx, None) as process:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz", process)
        yield base


def single_worker(config: str) -> str:
    """``config`` with one worker, to run in one process like the nginx it is compared with.

    Without this, ``master_process off`` with ``worker_processes auto`` and ``listen ... reuseport`` leaves
    one listening socket per configured worker but only one process accepting: the kernel hands about half
    the connections to sockets nobody accepts on, and those requests hang (the old bench's timeouts).
    """
    if "worker_processes auto;" not in config:
        raise RuntimeError("edge-config no longer writes 'worker_processes auto;': update the bench")
    return config.replace("worker_processes auto;", "worker_processes 1;")


if __name__ == "__main__":
    for row in run():
        print(f"{row.goal}: ours {row.ours}, nginx {row.peer}, ratio {row.ratio:.2f} (goal {row.target}); {row.note}")

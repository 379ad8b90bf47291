"""Stream-lease checks/s against Redis, and their p99. Goal: >= 40,000/s with p99 < 2 ms.

Ours: the exact Lua script ``delivery.leases`` runs for every session start and renewal (ZREMRANGEBYSCORE +
ZSCORE/ZCARD + ZADD + EXPIRE in one EVALSHA), over 100,000 accounts. Reference: plain ``SET`` on the same
server. A private ``redis-server`` is pinned to CPU 0 and ``redis-benchmark`` (50 connections) to CPU 1; the
median of three runs counts.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import redis

from airwave.delivery.leases import CLAIM_SCRIPT
from bench.serving import _free_port, _pin, _process
from bench.table import Row

RUNS = 3
REQUESTS = 200_000
CLIENTS = 50
TARGET_RPS = 40_000
TARGET_P99_MS = 2.0


def run() -> list[Row]:
    if not shutil.which("redis-server") or not shutil.which("redis-benchmark"):
        raise RuntimeError("needs redis-server and redis-benchmark (apt-get install redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="airwave-bench-redis-") as tmp:
        argv = [*_pin(0), "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", tmp]  # fmt: skip
        with _process(argv, None):
            client = _wait(port)
            sha = str(client.script_load(CLAIM_SCRIPT))
            lease = ["EVALSHA", sha, "1", "airwave:leases:__rand_int__", "1800000000", "1800000030",
                     "s__rand_int__", "1000000", "31"]  # fmt: skip
            ours = _median([_benchmark(port, lease) for _ in range(RUNS)])
            peer = _median([_benchmark(port, ["SET", "bench:__rand_int__", "v"]) for _ in range(RUNS)])
            client.close()
    rps, p99 = ours
    return [
        Row(
            goal="Lease checks/s against Redis (EVALSHA claim script) / plain SET",
            ours=f"{rps:,.0f}/s, p99 {p99:.2f} ms",
            peer=f"{peer[0]:,.0f}/s, p99 {peer[1]:.2f} ms",
            ratio=rps / peer[0],
            target=f">= {TARGET_RPS:,}/s and p99 < {TARGET_P99_MS:g} ms",
            ok=rps >= TARGET_RPS and p99 < TARGET_P99_MS,
            note=f"redis-benchmark, {CLIENTS} connections, {REQUESTS:,} requests over 100,000 accounts, "
            f"median of {RUNS}; redis-server pinned to CPU 0, the load to CPU 1",
        )
    ]


def _wait(port: int) -> redis.Redis:
    client = redis.Redis(port=port, socket_connect_timeout=1)
    for _ in range(100):
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            subprocess.run(["sleep", "0.05"], check=True)  # polling interval, bounded by the loop
    raise RuntimeError("redis-server did not start")


def _benchmark(port: int, command: list[str]) -> tuple[float, float]:
    argv = [*_pin(1), "redis-benchmark", "-p", str(port), "-n", str(REQUESTS), "-c", str(CLIENTS), "-r", "100000",
            "--csv", *command]  # fmt: skip
    output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout
    row = output.strip().splitlines()[-1].split('","')
    return float(row[1]), float(row[6])


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


if __name__ == "__main__":
    for row in run():
        print(f"{row.goal}: {row.ours} vs {row.peer} (goal {row.target}) {'met' if row.ok else 'NOT met'}")
        print(f"  {Path(__file__).name}: {row.note}")

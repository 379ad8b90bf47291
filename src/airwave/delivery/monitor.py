"""The edge health monitor: checks every registered edge, takes dead ones out of rotation, samples egress.

Each origin process runs one (a named daemon thread, ``edge-monitor``). Every ``edge_check_seconds`` it asks
each edge for ``/edge/stats`` (1 s timeout): an answer marks it healthy with its load and cache counters, a
failure takes it out of rotation at once. Every :data:`SAMPLE_SECONDS` one process (whichever finds the last
sample old enough) records streams, egress and cache hit ratio for the admin charts.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import httpx
from sqlalchemy import func, select

from airwave.delivery.leases import Leases
from airwave.runtime import Runtime
from airwave.store.delivery import DeliverySample, Edge

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 10.0


class EdgeMonitor:
    """Periodic edge health checks and delivery samples; ``start()``/``close()``."""

    def __init__(self, runtime: Runtime, leases: Leases) -> None:
        self._runtime = runtime
        self._leases = leases
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: dict[str, tuple[int, int, int]] = {}  # edge -> (hits, misses, bytes) at the last sample

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="edge-monitor", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        with httpx.Client(timeout=1.0) as client:
            while not self._stop.wait(self._runtime.settings.edge_check_seconds):
                try:
                    self.check_all(client)
                    self.sample()
                except Exception:  # a monitor that dies silently would freeze the registry: log and go on
                    log.exception("edge check failed")

    def check_all(self, client: httpx.Client) -> None:
        """Check every edge once and store the verdicts."""
        with self._runtime.db.session() as session:
            edges = [(edge.name, edge.url) for edge in session.scalars(select(Edge))]
        results = {name: _check(client, url) for name, url in edges}
        now = self._runtime.clock.now()
        with self._runtime.db.session() as session:
            for edge in session.scalars(select(Edge)):
                if edge.name in results:
                    _apply(edge, results[edge.name], now)

    def sample(self) -> None:
        """Record a chart point if the last one (from any process) is old enough."""
        runtime = self._runtime
        now = runtime.clock.now()
        with runtime.db.session() as session:
            last = session.scalar(select(func.max(DeliverySample.at)))
            if last is not None and (now - last).total_seconds() < SAMPLE_SECONDS:
                return
            edges = list(session.scalars(select(Edge)))
            sent, hits, lookups = self._deltas(edges)
            elapsed = (now - last).total_seconds() if last is not None else SAMPLE_SECONDS
            session.add(
                DeliverySample(
                    at=now,
                    streams=self._leases.store.total(runtime.clock.time()),
                    bytes_per_second=sent / max(elapsed, 1.0),
                    hit_ratio=hits / lookups if lookups else None,
                )
            )

    def _deltas(self, edges: list[Edge]) -> tuple[int, int, int]:
        sent = hits = lookups = 0
        for edge in edges:
            before = self._previous.get(edge.name)
            now = (edge.hits, edge.misses, edge.bytes_sent)
            self._previous[edge.name] = now
            if before is None or any(a < b for a, b in zip(now, before, strict=True)):
                continue  # first sight of the edge, or its log was rotated: no interval to measure
            hits += now[0] - before[0]
            lookups += now[0] + now[1] - before[0] - before[1]
            sent += now[2] - before[2]
        return sent, hits, lookups


def _check(client: httpx.Client, url: str) -> dict[str, Any] | str:
    try:
        answer = client.get(f"{url}/edge/stats")
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats
    except (httpx.HTTPError, ValueError) as exc:
        return str(exc)[:300] or type(exc).__name__


def _apply(edge: Edge, result: dict[str, Any] | str, now: dt.datetime) -> None:
    edge.checked_at = now
    if isinstance(result, str):
        if edge.healthy:
            log.warning("edge %s is down (%s): out of rotation", edge.name, result)
        edge.healthy, edge.failures, edge.error = False, edge.failures + 1, result
        return
    if not edge.healthy:
        log.info("edge %s is up: in rotation", edge.name)
    edge.healthy, edge.failures, edge.error = True, 0, ""
    edge.connections = int(result.get("connections", 0))
    edge.hits = int(result.get("hits", 0))
    edge.misses = int(result.get("misses", 0))
    edge.bytes_sent = int(result.get("bytes_sent", 0))

"""Delivery metrics for ``/metrics``: sessions, leases, edges (health, load, cache) and refusals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from airwave.delivery.leases import Leases
from airwave.runtime import Runtime
from airwave.store.delivery import Edge
from airwave.store.tables import PlaybackSession


class DeliveryCounters:
    """Counts the hot path keeps in memory (cheaper than a Prometheus counter per request)."""

    def __init__(self) -> None:
        self.keys_served = 0
        self.refusals: Counter[str] = Counter()

    def refused(self, reason: str) -> None:
        self.refusals[reason] += 1


class HasDelivery(Protocol):
    leases: Leases
    counters: DeliveryCounters


class DeliveryCollector(Collector):
    """Read at scrape time from the database, the lease store and the in-process counters."""

    def __init__(self, runtime: Runtime, playback: HasDelivery) -> None:
        self._runtime = runtime
        self._playback = playback

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        runtime = self._runtime
        with runtime.db.session() as session:
            active = session.scalar(
                select(func.count()).where(
                    PlaybackSession.ended_at.is_(None), PlaybackSession.expires_at > runtime.clock.now()
                )
            )
            edges = list(session.scalars(select(Edge).order_by(Edge.name)))
        yield GaugeMetricFamily("airwave_playback_sessions_active", "Playback sessions not ended or expired.", active)
        leases = self._playback.leases.store.total(runtime.clock.time())
        yield GaugeMetricFamily("airwave_stream_leases", "Streams holding a concurrency lease now.", leases)
        yield from _edge_metrics(edges)
        counters = self._playback.counters
        keys = CounterMetricFamily("airwave_content_keys_served", "Content keys handed to sessions (this process).")
        keys.add_metric([], counters.keys_served)
        yield keys
        refused = CounterMetricFamily(
            "airwave_playback_refused",
            "Playback requests refused with 403, by reason (this process).",
            labels=["reason"],
        )
        for reason, count in sorted(counters.refusals.items()):
            refused.add_metric([reason], count)
        yield refused


def _edge_metrics(edges: list[Edge]) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    labels = ["edge", "region"]
    up = GaugeMetricFamily("airwave_edge_up", "1 when the edge passed its last health check.", labels=labels)
    load = GaugeMetricFamily("airwave_edge_connections", "Active client connections of the edge.", labels=labels)
    ratio = GaugeMetricFamily(
        "airwave_edge_cache_hit_ratio", "Cache hits / lookups (since its log began).", labels=labels
    )
    sent = CounterMetricFamily("airwave_edge_sent_bytes", "Bytes of shared objects the edge sent.", labels=labels)
    for edge in edges:
        key = [edge.name, edge.region]
        up.add_metric(key, 1 if edge.healthy else 0)
        load.add_metric(key, edge.connections)
        lookups = edge.hits + edge.misses
        ratio.add_metric(key, edge.hits / lookups if lookups else 0.0)
        sent.add_metric(key, edge.bytes_sent)
    yield from (up, load, ratio, sent)

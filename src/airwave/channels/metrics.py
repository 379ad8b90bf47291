"""Channel metrics for ``/metrics``, read from the database at scrape time (any worker can answer)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select

from airwave.channels.service import STATES
from airwave.store.channels import Channel
from airwave.store.engine import Database


class ChannelCollector(Collector):
    """``airwave_channel_state{channel,state}`` (1 for the current state) and ``airwave_channel_switches``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        state = GaugeMetricFamily(
            "airwave_channel_state", "Live channel state: 1 for the state it is in.", labels=["channel", "state"]
        )
        switches = CounterMetricFamily(
            "airwave_channel_switches", "Source switches (to backup, slate and back) per channel.", labels=["channel"]
        )
        with self._db.session() as session:
            rows = session.execute(select(Channel.slug, Channel.state, Channel.switch_count)).all()
        for slug, current, count in rows:
            for name in STATES:
                state.add_metric([slug, name], 1.0 if name == current else 0.0)
            switches.add_metric([slug], float(count))
        yield state
        yield switches

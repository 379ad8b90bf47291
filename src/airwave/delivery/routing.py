"""Which edge a session plays through, from a cached copy of the registry (refreshed every second)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from airwave.delivery.edges import EdgeChoice, choose, redundant_master, region_for
from airwave.runtime import Runtime
from airwave.store.delivery import Edge

REFRESH_SECONDS = 1.0


class EdgeDirectory:
    """The registry as the hot path reads it: healthy edges, no database round trip per request."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._edges: list[Edge] = []
        self._loaded = float("-inf")
        self._lock = threading.Lock()

    def region(self, client_ip: str) -> str:
        return region_for(self._runtime.settings.regions, client_ip)

    def edges(self) -> list[Edge]:
        """The registered edges (reads the database at most every second)."""
        if time.monotonic() - self._loaded > REFRESH_SECONDS:
            with self._lock, self._runtime.db.session() as session:
                self._edges = list(session.scalars(select(Edge)))
                session.expunge_all()
                self._loaded = time.monotonic()
        return self._edges

    def for_session(self, client_ip: str) -> EdgeChoice | None:
        """The edge a new session from ``client_ip`` should use, or None to play from the origin."""
        chosen = choose(self.edges(), self.region(client_ip), count=1)
        return chosen[0] if chosen else None

    def backups(self, current: str | None, region: str) -> list[EdgeChoice]:
        """One healthy edge other than ``current`` to list redundant variants on (none without edges)."""
        if current is None:
            return []
        others = [edge for edge in self.edges() if edge.name != current]
        return choose(others, region, count=1)

    def redundant(self, master: str, backups: list[EdgeChoice], path_prefix: str) -> str:
        """``master`` with every variant repeated through each backup edge (absolute URLs)."""
        return redundant_master(master, [f"{edge.url}{path_prefix}" for edge in backups])

"""DVR retention: old segments leave the index first, their files only ``live_retention_grace_seconds`` later.

Playlists are rendered from the index alone, so once an entry is gone no new playlist names its file; the
grace period covers the playlists already handed out (a catch-up player fetching its last segments). The
live window (and a margin) is never dropped, whatever the DVR depth. A sweep also removes files no entry
names (a standby run's segments, runs from before a restart) once they are older than the grace period.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

from airwave.channels.feeds import segment_uri
from airwave.channels.index import IndexWriter
from airwave.clock import Clock
from airwave.config import Settings

log = logging.getLogger(__name__)

COMPACT_EVERY = 30.0  # seconds between index compactions
SWEEP_EVERY = 600.0  # seconds between sweeps for unreferenced files
_FILE = re.compile(r"^(?P<run>[0-9a-f]+)(?:-(?P<n>\d+)\.m4s|-init\.mp4|\.m3u8|\.m3u8\.tmp|-\d+\.m4s\.tmp)$")


class Retention:
    """Keeps one channel's DVR store within its depth."""

    def __init__(self, folder: Path, writer: IndexWriter, settings: Settings, clock: Clock) -> None:
        self.folder, self.writer, self.clock = folder, writer, clock
        self.grace = settings.live_retention_grace_seconds
        self.keep = 2 * settings.live_window_segments
        self._doomed: list[tuple[float, list[Path]]] = []  # (delete after, files)
        self._next_compact = 0.0
        self._next_sweep = 0.0

    def discard(self, paths: Iterable[Path]) -> None:
        """Delete files never published (a standby run's superseded segments)."""
        for path in paths:
            path.unlink(missing_ok=True)

    def tick(self, now: float, dvr_hours: float, live_runs: set[str]) -> None:
        if now >= self._next_compact:
            self._next_compact = now + COMPACT_EVERY
            self._compact(now, dvr_hours)
        due = [files for when, files in self._doomed if when <= now]
        self._doomed = [(when, files) for when, files in self._doomed if when > now]
        for files in due:
            self.discard(files)
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            self.sweep(live_runs)

    def _compact(self, now: float, dvr_hours: float) -> None:
        dropped = self.writer.drop_before(self.clock.time() - dvr_hours * 3600, keep=self.keep)
        if dropped:
            files = [self.folder / segment_uri(r, e.run, e.n) for e in dropped for r in e.renditions]
            self._doomed.append((now + self.grace, files))
            log.debug("%s: %d segments left the DVR window", self.folder.name, len(dropped))

    def sweep(self, live_runs: set[str]) -> int:
        """Delete files older than the grace period that no index entry or running run names."""
        named = {(e.run, e.n) for e in self.writer.entries}
        runs = {e.run for e in self.writer.entries} | live_runs
        cutoff = self.clock.time() - self.grace
        removed = 0
        for folder in (p for p in self.folder.iterdir() if p.is_dir()):
            for path in folder.iterdir():
                match = _FILE.match(path.name)
                if match is None or match["run"] in live_runs:
                    continue
                number = match["n"]
                wanted = (match["run"], int(number)) in named if number else match["run"] in runs
                if not wanted and _older(path, cutoff):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


def _older(path: Path, cutoff: float) -> bool:
    try:
        return os.stat(path).st_mtime < cutoff
    except FileNotFoundError:
        return False

"""Serving a marked live channel: each session's own A/B sequence, decided by the origin or by an edge.

Playlists list the run's neutral names (``live/<run>-<n>.m4s``) for everyone. When the run was marked
(:mod:`airwave.channels.marking` wrote ``<rendition>/a/<run>-init.mp4``), its init section resolves to that
shared marked init and each segment to ``<rendition>/a|b/<run>-<n>.m4s``, chosen by bit N mod L of the
session's code, N being the segment's number in the channel's index (msn + 1). The session's code is the
same keyed function of its id as for titles (so an edge computes it too), stored when the session first
asks for its playlist or a marked segment, for tracing. The variant files cannot be requested by
name (the channel routes accept only ``<rendition>/<file>``), and a marked run's original segments are never
served, so a client neither sees nor steers its sequence, nor gets an unmarked copy. Responses naming a
variant are ``private``: a shared cache keyed on the neutral path would hand one session's copy to all.

At an edge (:mod:`airwave.delivery.edge_config`) the choice moves out of the origin, as for titles: an
encrypted segment's URL (``enc/<period>/<msn>/<uri>``) carries its msn, so the edge computes the variant
from the signed token alone and keys its cache on the URL plus the variant; the origin, asked by the edge,
confirms the variant it serves (:mod:`airwave.web.live_marked`). The code is stored when a session asks for
its playlist (:meth:`LiveVariants.code`), since a session the edge serves from its cache may never reach the
origin for a segment, and a trace needs every viewer's code.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from airwave.channels.index import INDEX, Entry, IndexReader
from airwave.channels.marking import marked_init_path, segment_number, variant_path
from airwave.clock import Clock
from airwave.delivery.files import IMMUTABLE
from airwave.delivery.lookup import TTLCache
from airwave.delivery.variants import MARKED_CACHE, ensure_code
from airwave.store.engine import Database
from airwave.watermark.variants import variant_for

_SEGMENT = re.compile(r"^([A-Za-z0-9_]{1,32})/([0-9a-f]{1,24})-(\d{1,9})\.m4s$")
_INIT = re.compile(r"^([A-Za-z0-9_]{1,32})/([0-9a-f]{1,24})-init\.mp4$")


@dataclass(frozen=True)
class MarkedFile:
    """The file serving a request for a marked run; ``path`` None: no such segment (404)."""

    path: Path | None
    cache_control: str
    variant: str = ""
    entry: Entry | None = None  # the index entry of a segment


class SegmentEntries:
    """``(run, n) -> index entry`` for one channel, from its index, re-read only as far as it grew. Thread-safe."""

    def __init__(self, folder: Path) -> None:
        self._reader = IndexReader(folder / INDEX)
        self._lock = threading.Lock()
        self._seen: list[Entry] = []
        self._found: dict[tuple[str, int], Entry] = {}

    def entry(self, run: str, n: int) -> Entry | None:
        entries = self._reader.entries()
        with self._lock:
            if entries is not self._seen:
                fresh = entries[len(self._seen) :] if self._extends(entries) else entries
                if fresh is entries:
                    self._found = {}
                self._found.update({(e.run, e.n): e for e in fresh})
                self._seen = entries
            return self._found.get((run, n))

    def _extends(self, entries: list[Entry]) -> bool:
        # The reader only appends, or starts over after a compaction (then the first entry changes).
        return bool(self._seen) and len(entries) >= len(self._seen) and entries[0] is self._seen[0]


class LiveVariants:
    """Resolves requests of marked runs (the per-app instance the channel route calls)."""

    def __init__(self, db: Database, clock: Clock, bits: int, root: bytes) -> None:
        self._db, self._clock, self._bits, self._root = db, clock, bits, root
        self._marked: TTLCache[Path, bool] = TTLCache()
        self._codes: TTLCache[str, tuple[bytes, int]] = TTLCache()
        self._entries: dict[Path, SegmentEntries] = {}
        self._lock = threading.Lock()

    def marked_run(self, folder: Path, path: str) -> tuple[str, str, int | None] | None:
        """``(rendition, run, n)`` when ``path`` is an init (n None) or segment of a marked run, else None.

        Only a positive answer is cached: a run becomes marked with its first published segment, and a
        cached "no" asked early would otherwise hand out unmarked copies of it.
        """
        match = _SEGMENT.match(path) or _INIT.match(path)
        if match is None:
            return None
        rendition, run = match.group(1), match.group(2)
        init = marked_init_path(folder, rendition, run)
        found, _ = self._marked.get(init)
        if not found:
            if not init.is_file():
                return None
            self._marked.put(init, True, float("inf"))
        return rendition, run, int(match.group(3)) if match.re is _SEGMENT else None

    def locate(self, session_id: str, slug: str, folder: Path, marked: tuple[str, str, int | None]) -> MarkedFile:
        """The file a session receives for a request of a marked run (blocking: may read the index or DB)."""
        rendition, run, n = marked
        if n is None:
            return MarkedFile(marked_init_path(folder, rendition, run), IMMUTABLE)
        entry = self._entries_of(folder).entry(run, n)
        if entry is None:  # never published (a standby run's segment): nobody may have it
            return MarkedFile(None, MARKED_CACHE)
        code, bits = self.code(session_id, slug)
        variant = variant_for(code, bits, segment_number(entry.msn))
        return MarkedFile(variant_path(folder, rendition, variant, run, n), MARKED_CACHE, variant, entry)

    def code(self, session_id: str, slug: str) -> tuple[bytes, int]:
        """The session's code and length, stored for tracing on first use (blocking the first time)."""
        found, stored = self._codes.get(session_id)
        if not found or stored is None:
            stored = ensure_code(self._db, self._clock, session_id, None, self._bits, self._root, channel=slug)
            self._codes.put(session_id, stored, float("inf"))
        return stored

    def knows(self, session_id: str) -> bool:
        """Whether the session's code is already stored (and cached here): :meth:`code` needs no I/O."""
        found, stored = self._codes.get(session_id)
        return found and stored is not None

    def _entries_of(self, folder: Path) -> SegmentEntries:
        with self._lock:
            entries = self._entries.get(folder)
            if entries is None:
                entries = self._entries[folder] = SegmentEntries(folder)
            return entries

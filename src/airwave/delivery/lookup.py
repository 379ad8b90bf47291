"""Short-lived in-process caches the playback routes read instead of the database on every request.

A segment request must not cost a database round trip. Title folders and renditions change only on
(re)ingest or delete, and a live session stays live until it ends or expires, so both are cached for a few
seconds; an ended session is remembered for good. Ending a session through this process drops it at once;
other worker processes notice within ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from airwave.catalog.titles import media_folder
from airwave.clock import Clock
from airwave.config import Settings
from airwave.store.engine import Database
from airwave.store.tables import PlaybackSession, Rendition, Title

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """A bounded, thread-safe map whose entries lapse after their time to live."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[bool, V | None]:
        """``(True, value)`` for a live entry, ``(False, None)`` otherwise."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key: K, value: V, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def drop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)


@dataclass(frozen=True)
class TitleMedia:
    """A published title as the playback routes need it."""

    folder: Path
    renditions: tuple[Rendition, ...]


@dataclass(frozen=True)
class SessionInfo:
    """A live playback session as the playback routes need it."""

    id: str
    user_id: int
    title_id: int | None
    channel: str | None
    client_ip: str
    expires: float  # Unix seconds
    binding: str = "none"  # how it is tied to its client (delivery/binding.py)
    client_asn: int | None = None  # the starting address's network, for "asn" binding


class PlaybackLookup:
    """Cached answers to "where are this title's files?" and "is this session live?"."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, ttl: float = 5.0) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._ttl = ttl
        self.titles: TTLCache[int, TitleMedia | None] = TTLCache()
        self.sessions: TTLCache[str, SessionInfo | None] = TTLCache()

    def title(self, title_id: int) -> TitleMedia | None:
        """The title's media folder and renditions, or None without published media (reads the database)."""
        with self._db.session() as session:
            title = session.get(Title, title_id)
            media = self._media(title) if title is not None else None
        self.titles.put(title_id, media, self._ttl)
        return media

    def session(self, session_id: str) -> SessionInfo | None:
        """The session if it is live (not ended, not expired), else None (reads the database)."""
        with self._db.session() as session:
            row = session.get(PlaybackSession, session_id)
            live = row is not None and row.ended_at is None and row.expires_at > self._clock.now()
            info = _info(row) if live and row is not None else None
        self.sessions.put(session_id, info, self._ttl if info is not None else float("inf"))
        return info

    def forget_session(self, session_id: str) -> None:
        """Mark a session ended in this process at once."""
        self.sessions.put(session_id, None, float("inf"))

    def _media(self, title: Title) -> TitleMedia | None:
        folder = media_folder(self._settings, title)
        if folder is None or not title.renditions:
            return None
        return TitleMedia(folder, tuple(title.renditions))


def _info(row: PlaybackSession) -> SessionInfo:
    return SessionInfo(row.id, row.user_id, row.title_id, row.channel, row.client_ip, row.expires_at.timestamp(),
                       row.client_binding or "none", row.client_asn)  # fmt: skip

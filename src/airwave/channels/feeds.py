"""A channel's media as the playback routes see it, whatever produces it: a :class:`Feed`.

Live channels are fed from their DVR store (the supervisor's segment index, :class:`DvrFeed`); playout
channels stitch catalogue segments (``channels.playout.PlayoutFeed``, by the guide's owners). Both answer the
same questions, so the playlist routes, start-over and catch-up do not care which.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from airwave.channels.index import INDEX, Entry, IndexReader
from airwave.channels.meta import read_meta
from airwave.config import Settings
from airwave.hls.live import round_half_up
from airwave.hls.master import RenditionLike

if TYPE_CHECKING:
    from airwave.runtime import Runtime
    from airwave.store.channels import Channel

_URI = re.compile(r"^[A-Za-z0-9_]{1,32}/[A-Za-z0-9_-]{1,64}\.(m4s|mp4)$")


@dataclass(frozen=True)
class LiveSegment:
    """One segment of a channel, with its URI relative to the channel's URL root ``/p/{token}/c/{slug}/``."""

    msn: int
    uri: str
    duration: float
    pdt: dt.datetime
    discontinuity: bool
    init_uri: str
    discontinuity_sequence: int = 0  # discontinuities up to and including this segment (RFC 8216 6.2.2)


class Feed(Protocol):
    """What the playlist and file routes ask of a channel's media."""

    def renditions(self) -> Sequence[RenditionLike]: ...

    def segments(self, rendition: str, start: dt.datetime | None, end: dt.datetime | None) -> list[LiveSegment]:
        """Segments of ``rendition`` overlapping [start, end); both None: the live window. Ordered by msn."""
        ...

    def target_duration(self) -> int: ...

    def resolve(self, uri: str) -> Path | None:
        """The file behind a segment or init URI, None if there is no such file."""
        ...


def live_dir(settings: Settings) -> Path:
    """Where every live channel keeps its DVR store."""
    return settings.data / "live"


def channel_dir(settings: Settings, slug: str) -> Path:
    return live_dir(settings) / slug


_readers: dict[Path, IndexReader] = {}
_readers_lock = threading.Lock()


def _reader(folder: Path) -> IndexReader:
    with _readers_lock:
        reader = _readers.get(folder)
        if reader is None:
            reader = _readers[folder] = IndexReader(folder / INDEX)
        return reader


class DvrFeed:
    """A live channel fed from its segment index and DVR files on disk."""

    def __init__(self, settings: Settings, slug: str) -> None:
        self.folder = channel_dir(settings, slug)
        self.window = settings.live_window_segments
        self.segment_seconds = settings.live_segment_seconds

    def renditions(self) -> Sequence[RenditionLike]:
        return read_meta(self.folder)

    def segments(self, rendition: str, start: dt.datetime | None, end: dt.datetime | None) -> list[LiveSegment]:
        entries = [e for e in _reader(self.folder).entries() if rendition in e.renditions]
        if start is None and end is None:
            return [_segment(rendition, e) for e in entries[-self.window :]]
        starts = [e.start for e in entries]
        low = 0 if start is None else max(0, bisect.bisect_right(starts, start.timestamp()) - 1)
        high = len(entries) if end is None else bisect.bisect_left(starts, end.timestamp())
        chosen = [e for e in entries[low:high] if start is None or e.end > start.timestamp()]
        return [_segment(rendition, e) for e in chosen]

    def target_duration(self) -> int:
        entries = _reader(self.folder).entries()[-self.window :]
        return max([round_half_up(self.segment_seconds), *(round_half_up(e.duration) for e in entries)])

    def resolve(self, uri: str) -> Path | None:
        if not _URI.match(uri):
            return None
        path = self.folder / uri
        return path if path.is_file() else None


def segment_uri(rendition: str, run: str, n: int) -> str:
    return f"{rendition}/{run}-{n:06d}.m4s"


def init_uri(rendition: str, run: str) -> str:
    return f"{rendition}/{run}-init.mp4"


def _segment(rendition: str, entry: Entry) -> LiveSegment:
    return LiveSegment(
        msn=entry.msn,
        uri=segment_uri(rendition, entry.run, entry.n),
        duration=entry.duration,
        pdt=dt.datetime.fromtimestamp(entry.start, dt.UTC),
        discontinuity=entry.discontinuity,
        init_uri=init_uri(rendition, entry.run),
        discontinuity_sequence=entry.dseq,
    )


def feed_for(runtime: Runtime, channel: Channel) -> Feed:
    """The feed of ``channel``: its DVR store, or for a playout channel the playout schedule."""
    if channel.kind == "playout":
        from airwave.channels.playout import PlayoutFeed  # the guide's side; imported on demand

        feed: Feed = PlayoutFeed(runtime, channel)
        return feed
    return DvrFeed(runtime.settings, channel.slug)

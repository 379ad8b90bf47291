"""The published VOD media of titles as playout needs it: each rendition's init section and segment list.

Read from the titles' media playlists on disk and cached by folder, since published media never changes
(a re-ingest publishes a new folder).
"""

from __future__ import annotations

import logging
import posixpath
import threading
from dataclasses import dataclass, fields
from pathlib import Path

from airwave.errors import MediaError
from airwave.hls.playlist import parse_media_playlist
from airwave.store.tables import Rendition, Title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Track:
    """One rendition of one title: its folder (relative to the title's), init section and segments."""

    folder: str
    init: str
    segments: tuple[tuple[str, float], ...]  # (uri relative to ``folder``, duration)

    @property
    def reference_duration(self) -> float:
        """The regular segment length (the last segment of a title is usually shorter)."""
        body = self.segments[:-1] or self.segments
        return max(duration for _uri, duration in body)


@dataclass
class ChannelRendition:
    """A rendition of a playout channel (satisfies ``hls.master.RenditionLike``, hence not frozen)."""

    kind: str
    name: str
    playlist: str
    codecs: str
    bandwidth: int
    average_bandwidth: int
    width: int | None
    height: int | None
    frame_rate: float | None
    language: str | None
    label: str
    channels: int | None
    is_default: bool


@dataclass(frozen=True)
class TitleMedia:
    """What playout needs of one title: its folder, tracks by rendition name, and rendition facts."""

    title_id: int
    name: str
    root: Path
    tracks: dict[str, Track]
    renditions: tuple[ChannelRendition, ...]
    default_audio: str | None

    @property
    def reference(self) -> Track | None:
        """The first video track: its segment count is the number of cells the title occupies."""
        for rendition in self.renditions:
            if rendition.kind == "video" and rendition.name in self.tracks:
                return self.tracks[rendition.name]
        return None


_cache: dict[tuple[int, str], TitleMedia | None] = {}
_lock = threading.Lock()


def title_media(media_dir: Path, title: Title) -> TitleMedia | None:
    """The title's playable media, or None when it has none (not ingested, or unreadable playlists)."""
    if not title.media_path:
        return None
    key = (title.id, title.media_path)
    with _lock:
        if key in _cache:
            return _cache[key]
    media = _load(media_dir / title.media_path, title)
    with _lock:
        _cache[key] = media
    return media


def _load(root: Path, title: Title) -> TitleMedia | None:
    tracks: dict[str, Track] = {}
    for rendition in title.renditions:
        if rendition.kind == "subtitles":
            continue
        try:
            playlist = parse_media_playlist((root / rendition.playlist).read_text())
        except (OSError, MediaError) as exc:
            log.warning("title %s: cannot read %s: %s", title.id, rendition.playlist, exc)
            continue
        if playlist.segments and playlist.map_uri:
            folder = posixpath.dirname(rendition.playlist)
            segments = tuple((segment.uri, segment.duration) for segment in playlist.segments)
            tracks[rendition.name] = Track(folder, playlist.map_uri, segments)
    if not tracks:
        return None
    audio = [r for r in title.renditions if r.kind == "audio" and r.name in tracks]
    default = next((r.name for r in audio if r.is_default), audio[0].name if audio else None)
    renditions = tuple(_snapshot(r) for r in title.renditions if r.name in tracks)
    return TitleMedia(title.id, title.name, root, tracks, renditions, default)


def _snapshot(rendition: Rendition) -> ChannelRendition:
    values = {field.name: getattr(rendition, field.name) for field in fields(ChannelRendition)}
    return ChannelRendition(**values)

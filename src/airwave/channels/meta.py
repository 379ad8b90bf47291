"""What a live channel's master playlist says about its renditions: ``<data>/live/<slug>/meta.json``.

The supervisor learns it from each run's first segment (codecs, size, frame rate, bitrate) and writes it
atomically; server processes read it, re-reading only when the file changes.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

META = "meta.json"
PLAYLIST = "live.m3u8"


@dataclass
class LiveRendition:
    """One variant of a live channel (``hls.master.RenditionLike``); its playlist is ``<name>/live.m3u8``."""

    name: str
    codecs: str
    bandwidth: int
    average_bandwidth: int
    width: int | None
    height: int | None
    frame_rate: float | None
    kind: str = "video"
    language: str | None = None
    label: str = ""
    channels: int | None = None
    is_default: bool = False
    playlist: str = ""  # "<name>/live.m3u8"

    def __post_init__(self) -> None:
        self.playlist = self.playlist or f"{self.name}/{PLAYLIST}"


def write_meta(folder: Path, renditions: list[LiveRendition]) -> None:
    """Replace the channel's rendition list (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / (META + ".tmp")
    temporary.write_text(json.dumps({"renditions": [asdict(r) for r in renditions]}, indent=1))
    os.replace(temporary, folder / META)


_cache: dict[Path, tuple[float, list[LiveRendition]]] = {}
_lock = threading.Lock()


def read_meta(folder: Path) -> list[LiveRendition]:
    """The channel's renditions, [] before its first segment."""
    path = folder / META
    try:
        mtime = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return []
    with _lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
    try:
        raw = json.loads(path.read_text())
        renditions = [LiveRendition(**item) for item in raw["renditions"]]
    except (OSError, ValueError, KeyError, TypeError):
        return cached[1] if cached else []
    with _lock:
        _cache[path] = (mtime, renditions)
    return renditions

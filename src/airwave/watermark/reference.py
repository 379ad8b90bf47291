"""Our own copy of a marked rendition as the detector reads it: the A and B files of every segment.

Frames are numbered from the title's first frame. Segment files are decoded at analysis size on demand and
a few are kept, since a capture visits its segments in order.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from airwave.errors import NotFound
from airwave.hls.playlist import parse_media_playlist
from airwave.media.argv import INIT, PLAYLIST
from airwave.watermark.align import Floats, thumbnails
from airwave.watermark.frames import Frames, analysis_size, decode_segment

_NUMBER = re.compile(r"(\d+)\.m4s$")


class Reference:
    """One marked rendition folder (``init.mp4``, ``index.m3u8``, ``a/``, ``b/``)."""

    def __init__(self, folder: Path, width: int, height: int) -> None:
        if not (folder / "a").is_dir() or not (folder / "b").is_dir():
            raise NotFound(f"{folder.name} has no watermark variants: the title was not ingested with --watermark")
        self.folder = folder
        self.size = analysis_size(width, height)
        self._init = (folder / INIT).read_bytes()
        playlist = parse_media_playlist((folder / PLAYLIST).read_text())
        self.uris = [segment.uri for segment in playlist.segments]
        self.numbers = [int(match.group(1)) if (match := _NUMBER.search(uri)) else 0 for uri in self.uris]
        self.duration = sum(segment.duration for segment in playlist.segments)
        self._starts: NDArray[np.int64] | None = None

    def index(self) -> tuple[Floats, NDArray[np.int64]]:
        """Thumbnails of every frame (variant A) and, per segment, the number of its first frame."""
        thumbs, starts, total = [], [], 0
        for position in range(len(self.uris)):
            frames = self.frames(position, "a")
            starts.append(total)
            total += len(frames)
            thumbs.append(thumbnails(frames))
        self._starts = np.asarray(starts, np.int64)
        return np.concatenate(thumbs), self._starts

    @property
    def fps(self) -> float:
        """Frames per second, from the frames decoded by :meth:`index`."""
        assert self._starts is not None, "index() first"
        frames = int(self._starts[-1]) + len(self.frames(len(self.uris) - 1, "a"))
        return frames / max(self.duration, 1e-3)

    def locate(self, frame: int) -> tuple[int, int]:
        """Playlist position of the segment holding reference ``frame``, and the frame's index within it."""
        assert self._starts is not None, "index() first"
        position = int(np.searchsorted(self._starts, frame, side="right") - 1)
        return position, frame - int(self._starts[position])

    def frame(self, frame: int) -> Frames:
        """Reference frame ``frame`` (variant A) at analysis size."""
        position, local = self.locate(frame)
        picture: Frames = self.frames(position, "a")[local]
        return picture

    def pair(self, position: int) -> tuple[Frames, Frames]:
        """The A and B frames of the segment at playlist ``position``."""
        return self.frames(position, "a"), self.frames(position, "b")

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one reference per trace
    def frames(self, position: int, variant: str) -> Frames:
        """The frames of one variant of the segment at playlist ``position``, at analysis size."""
        data = (self.folder / variant / self.uris[position]).read_bytes()
        return decode_segment(self._init, data, self.size)

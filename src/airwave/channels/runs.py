"""One *run*: an ffmpeg turning one input (primary, backup or slate) into segments of a channel.

The supervisor reads the run's own playlists to learn when a segment is complete (listed in every
rendition's playlist) and how long it is; whether it gets published is the channel worker's decision.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from airwave.channels.feeds import init_uri, segment_uri
from airwave.channels.meta import LiveRendition
from airwave.errors import MediaError
from airwave.hls.playlist import parse_media_playlist
from airwave.media.mp4 import avc_codec
from airwave.media.process import FFmpegProcess

log = logging.getLogger(__name__)
_NUMBER = re.compile(r"-(\d+)\.m4s$")


@dataclass(frozen=True)
class Produced:
    """A complete segment of a run."""

    n: int
    duration: float
    at: float  # monotonic time it was seen complete


class Run:
    """An ffmpeg writing ``<folder>/<rendition>/<run>-<n>.m4s``; :meth:`poll` reports new segments."""

    def __init__(self, role: str, run_id: str, argv: Sequence[str], folder: Path, renditions: Sequence[str],
                 *, name: str, stdin: bool = False) -> None:  # fmt: skip
        self.role = role  # primary | backup | slate
        self.id = run_id
        self.folder = folder
        self.renditions = tuple(renditions)
        self.process = FFmpegProcess(argv, name=name, stop_timeout=3.0, stdin_pipe=stdin)
        self.started_at = time.monotonic()
        self.last_segment_at: float | None = None
        self.produced = 0
        self._next = 0

    def start(self) -> None:
        for rendition in self.renditions:
            (self.folder / rendition).mkdir(parents=True, exist_ok=True)
        self.process.start()

    @property
    def exited(self) -> bool:
        return self.process.poll() is not None

    def poll(self) -> list[Produced]:
        """Segments completed since the last call, oldest first."""
        listed = [self._listed(rendition) for rendition in self.renditions]
        if not listed[0]:
            return []
        complete = set(listed[0]).intersection(*listed[1:])
        now = time.monotonic()
        fresh = [Produced(n, listed[0][n], now) for n in sorted(complete) if n >= self._next]
        if fresh:
            self._next = fresh[-1].n + 1
            self.last_segment_at = now
            self.produced += len(fresh)
        return fresh

    def close(self) -> None:
        self.process.close()

    def segment_paths(self, n: int) -> list[Path]:
        return [self.folder / segment_uri(r, self.id, n) for r in self.renditions]

    def describe(self, n: int, duration: float) -> list[LiveRendition]:
        """What the master playlist should say about each rendition, learned from segment ``n``."""
        return [self._describe(rendition, n, duration) for rendition in self.renditions]

    def _listed(self, rendition: str) -> dict[int, float]:
        try:
            text = (self.folder / rendition / f"{self.id}.m3u8").read_text()
        except FileNotFoundError:
            return {}
        try:
            playlist = parse_media_playlist(text)
        except MediaError:
            return {}  # caught between writes; read again next tick
        found = {}
        for segment in playlist.segments:
            match = _NUMBER.search(segment.uri)
            if match:
                found[int(match.group(1))] = segment.duration
        return found

    def _describe(self, rendition: str, n: int, duration: float) -> LiveRendition:
        init = (self.folder / init_uri(rendition, self.id)).read_bytes()
        media = (self.folder / segment_uri(rendition, self.id, n)).read_bytes()
        bandwidth = int(len(media) * 8 / max(duration, 0.1))
        width = height = None
        fps: float | None = None
        codecs = []
        try:
            with av.open(io.BytesIO(init + media)) as container:
                for stream in container.streams:
                    if isinstance(stream, av.VideoStream):
                        width, height = stream.codec_context.width, stream.codec_context.height
                        fps = float(stream.average_rate) if stream.average_rate else None
                        codecs.append(_video_codec(stream.codec_context.name, init))
                    elif stream.type == "audio":
                        codecs.append("mp4a.40.2" if stream.codec_context.name == "aac" else stream.codec_context.name)
        except (av.error.FFmpegError, OSError) as exc:
            log.warning("cannot read %s segment %s of run %s: %s", rendition, n, self.id, exc)
        return LiveRendition(
            name=rendition, codecs=",".join(codecs), bandwidth=int(bandwidth * 1.25), average_bandwidth=bandwidth,
            width=width, height=height, frame_rate=fps,
        )  # fmt: skip


def _video_codec(name: str, init: bytes) -> str:
    if name == "h264":
        try:
            return avc_codec(init)
        except MediaError:
            return "avc1.640028"
    if name == "hevc":
        return "hvc1.1.6.L120.90"  # RFC 6381 / ISO 14496-15 E.3: Main profile, level 4 (a safe default)
    return name

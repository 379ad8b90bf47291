"""The in-process passthrough engine: an RTMP push re-wrapped into CMAF segments without an ffmpeg process.

A passthrough channel fed by ``push:rtmp`` only needs its encoder's H.264 and AAC samples put into fMP4.
An ffmpeg per channel costs a process (about 0.7 % of a core and 15 MB each); :class:`RemuxRun` instead
runs :class:`~airwave.media.fmp4.CmafSegmenter` on the RTMP server's event loop, writes the same files an
ffmpeg run writes (``<rendition>/<run>-init.mp4``, ``<rendition>/<run>-<n>.m4s``, each atomically) and
reports them to the channel worker through the same ``poll()`` a :class:`~airwave.channels.runs.Run` has,
so the index, DVR, retention, failover and playlists do not know which engine made a segment.

Ladders, SRT, UDP, RTSP and pulled sources keep the ffmpeg engine (:func:`engine_for`).
"""

from __future__ import annotations

import logging
import os
import queue
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from airwave.channels.feeds import init_uri, segment_uri
from airwave.channels.meta import LiveRendition
from airwave.channels.runs import Produced
from airwave.channels.sources import RTMP_PUSH
from airwave.media.fmp4 import CmafSegmenter, Segment, UnsupportedMedia
from airwave.media.live_argv import PASSTHROUGH, RunOutput

log = logging.getLogger(__name__)

AUDIO_TAG, VIDEO_TAG = 8, 9
FFMPEG, REMUX = "ffmpeg", "remux"
KEPT_SIZES = 16  # segments whose size and sample count describe() may be asked about


def engine_for(mode: str, source_url: str) -> str:
    """What packages a live channel's primary source: ``remux`` (in-process) for a passthrough channel pushed
    over RTMP (H.264 + AAC expected), ``ffmpeg`` for everything else (ladders, SRT, UDP, RTSP, pulls, files).
    Backups and slates always run ffmpeg."""
    return REMUX if mode != "ladder" and source_url.strip() == RTMP_PUSH else FFMPEG


class Feed(Protocol):
    """What a remux run needs of its RTMP publisher (``channels.rtmp.RtmpPublisher``)."""

    def remux(self, sink: RemuxRun) -> None:
        """Hand every media message, from the first one received, to ``sink`` on the RTMP event loop."""
        ...

    def close(self) -> None: ...


class _Outcome:
    """Stands where a :class:`~airwave.channels.runs.Run` has its ffmpeg process: no pid, an exit status."""

    pid = 0

    def __init__(self) -> None:
        self.status: int | None = None
        self.stderr_tail = ""

    def poll(self) -> int | None:
        return self.status


class RemuxRun:
    """One publisher's stream, segmented in-process. Media methods run on the RTMP loop; the rest anywhere."""

    engine = REMUX

    def __init__(self, role: str, feed: Feed, out: RunOutput) -> None:
        self.role = role
        self.id = out.run
        self.folder = out.folder
        self.renditions = (PASSTHROUGH,)
        self.process = _Outcome()
        self.started_at = time.monotonic()
        self.last_segment_at: float | None = None
        self.produced = 0
        self._feed = feed
        self._segmenter = CmafSegmenter(out.segment_seconds, self._write_init, self._write_segment)
        self._done: deque[Segment] = deque()
        self._sizes: dict[int, tuple[int, int]] = {}  # n -> (bytes, video samples)
        self._samples = 0
        self._lock = threading.Lock()
        (self.folder / PASSTHROUGH).mkdir(parents=True, exist_ok=True)
        feed.remux(self)

    # --- called on the RTMP event loop ---

    def tag(self, kind: int, timestamp: int, payload: bytes) -> None:
        """One media message; a stream this engine cannot re-wrap ends the run with a reason."""
        if self.process.status is not None:
            return
        try:
            if kind == VIDEO_TAG:
                self._segmenter.video_tag(timestamp, payload)
                self._samples += 1
            elif kind == AUDIO_TAG:
                self._segmenter.audio_tag(timestamp, payload)
        except (UnsupportedMedia, struct.error, IndexError) as exc:
            self._end(1, f"{exc}; set the channel's mode to ladder to have it transcoded")
            self._feed.close()

    def end(self) -> None:
        """The publisher left: what is buffered becomes the last segment, then the run has exited."""
        if self.process.status is None:
            self._segmenter.flush()
            WRITER.submit(lambda: self._end(0, "the publisher stopped"))

    def _end(self, status: int, reason: str) -> None:
        self.process.stderr_tail = reason
        self.process.status = status

    def _write_init(self, data: bytes) -> None:
        WRITER.submit(lambda: self._store(init_uri(PASSTHROUGH, self.id), data))

    def _write_segment(self, segment: Segment) -> None:
        samples, self._samples = self._samples, 0
        WRITER.submit(lambda: self._store_segment(segment, samples))

    # --- called on the writer thread ---

    def _store(self, uri: str, data: bytes) -> bool:
        try:
            _write(self.folder / uri, data)
        except OSError as exc:
            if self.process.status is None:
                log.warning("run %s: cannot write %s: %s", self.id, uri, exc)
                self._end(1, f"cannot write segments: {exc}")
                self._feed.close()
            return False
        return True

    def _store_segment(self, segment: Segment, samples: int) -> None:
        if self.process.status == 1 or not self._store(segment_uri(PASSTHROUGH, self.id, segment.n), segment.data):
            return
        with self._lock:
            self._done.append(segment)
            self._sizes[segment.n] = (len(segment.data), samples)
            self._sizes.pop(segment.n - KEPT_SIZES, None)

    # --- called by the channel worker ---

    @property
    def exited(self) -> bool:
        return self.process.status is not None

    def poll(self) -> list[Produced]:
        """Segments written since the last call, oldest first."""
        with self._lock:
            done, self._done = list(self._done), deque()
        if not done:
            return []
        now = time.monotonic()
        self.last_segment_at = now
        self.produced += len(done)
        return [Produced(segment.n, segment.duration, now) for segment in done]

    def close(self) -> None:
        """Stop taking the stream: the publisher is disconnected (its encoder will reconnect)."""
        if self.process.status is None:
            self._end(0, "stopped")
        self._feed.close()

    def segment_paths(self, n: int) -> list[Path]:
        return [self.folder / segment_uri(PASSTHROUGH, self.id, n)]

    def describe(self, n: int, duration: float) -> list[LiveRendition]:
        """The rendition as the master playlist states it, from the codec headers and segment ``n``."""
        video, audio = self._segmenter.video, self._segmenter.audio
        with self._lock:
            size, samples = self._sizes.get(n, (0, 0))
        bandwidth = int(size * 8 / max(duration, 0.1))
        codecs = [config.codec for config in (video, audio) if config is not None]
        return [
            LiveRendition(
                name=PASSTHROUGH, codecs=",".join(codecs), bandwidth=int(bandwidth * 1.25),
                average_bandwidth=bandwidth, width=video.width if video else None,
                height=video.height if video else None,
                frame_rate=round(samples / duration, 3) if samples and duration > 0 else None,
            )
        ]  # fmt: skip


class _Writer:
    """One thread writing every remux run's files, in order, so the RTMP event loop never waits on a disk.

    Order matters and is kept: a run's init segment before its first segment, a segment before the run's end.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], object]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="channel-remux-writer", daemon=True)
                self._thread.start()
        self._queue.put(job)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception:  # one run's failure must not stop every other run's writes
                log.exception("remux writer job failed")


WRITER = _Writer()


def _write(path: Path, data: bytes) -> None:
    """Write a whole file under a temporary name, then rename: readers never see half a segment."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)
    os.replace(temporary, path)

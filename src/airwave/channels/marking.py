"""Forensic A/B marking of a live channel's segments, as the channel worker publishes them.

For a channel with watermarking on, every segment of a source run (primary or backup; the slate carries
nothing worth tracing) is decoded, marked with the same keyed per-segment pattern and texture mask as
on-demand titles (:class:`~airwave.watermark.embed.Marker`), and encoded twice, A and B, with identical
settings, into ``<rendition>/a/<run>-<n>.m4s`` and ``<rendition>/b/<run>-<n>.m4s``. Both variants share one
initialisation segment, ``<rendition>/a/<run>-init.mp4``, which the origin serves instead of the run's own
(the marked encode's parameter sets are not the source's). Each variant file is written under a temporary
name and renamed into place before the worker adds the segment to the index, so no playlist ever lists a
segment whose variants are not complete. The variants take the original's timeline
(:mod:`airwave.channels.retime`) and its audio unchanged; one segment's decode, mark and encodes are
:mod:`airwave.channels.segment_variants`.

Segment N of the channel's index (N = msn + 1: numbers start at 1, as on-demand segments do) carries
pattern N, and a session receives it as variant code[N mod L]. The channel's pattern key is derived from the
server secret and the channel's slug, so the tracer can recompute nothing secret from the files alone.
What marking costs (encode time, storage) is kept in ``marking.json`` for the admin pages and the CLI.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import av

from airwave.channels import segment_variants
from airwave.channels.feeds import channel_dir, init_uri, segment_uri
from airwave.channels.index import Entry
from airwave.channels.plans import ladder_rungs
from airwave.channels.segment_variants import Encoding, encode_variants
from airwave.config import Settings, ensure_secret
from airwave.errors import AirwaveError, MediaError
from airwave.watermark.embed import FIRST_SEGMENT
from airwave.watermark.pattern import title_key

log = logging.getLogger(__name__)

VARIANTS = segment_variants.VARIANTS
init_parameters = segment_variants.init_parameters  # what one run's marked segments must share (the tracer too)

COSTS = "marking.json"
SWEEP_EVERY = 60.0  # seconds between sweeps of variants whose segments left the index
MARKED_ROLES = ("primary", "backup")
MIN_BITRATE = 64_000


def channel_key(secret: str, slug: str) -> bytes:
    """The pattern key of a live channel."""
    return title_key(secret, f"live/{slug}")


def segment_number(msn: int) -> int:
    """The number a live segment is marked and served by: its media sequence number, counted from 1."""
    return msn + FIRST_SEGMENT


def variant_path(folder: Path, rendition: str, variant: str, run: str, n: int) -> Path:
    """Where variant ``variant`` of segment ``n`` of ``run`` lives."""
    return folder / rendition / variant / Path(segment_uri(rendition, run, n)).name


def marked_init_path(folder: Path, rendition: str, run: str) -> Path:
    """The initialisation segment shared by both variants of a marked run."""
    return folder / rendition / VARIANTS[0] / Path(init_uri(rendition, run)).name


@dataclass
class Costs:
    """What marking has cost a channel so far (cumulative) and the storage its variants hold now."""

    segments: int = 0
    media_seconds: float = 0.0
    encode_seconds: float = 0.0
    bytes_written: int = 0
    stored_bytes: int = 0
    failures: int = 0
    last_error: str = ""

    @property
    def realtime_factor(self) -> float:
        """Encode seconds per second of video: above 1 the channel cannot keep up."""
        return self.encode_seconds / self.media_seconds if self.media_seconds else 0.0


def read_costs(folder: Path) -> Costs | None:
    """The channel's marking costs, None if it was never marked."""
    try:
        raw = json.loads((folder / COSTS).read_text())
        return Costs(**{key: raw[key] for key in Costs.__dataclass_fields__ if key in raw})
    except (OSError, ValueError, TypeError):
        return None


def _write_costs(folder: Path, costs: Costs) -> None:
    temporary = folder / (COSTS + ".tmp")
    temporary.write_text(json.dumps(asdict(costs)))
    os.replace(temporary, folder / COSTS)


class LiveMarker:
    """Marks one channel's segments (called from the channel's worker thread only)."""

    def __init__(self, settings: Settings, ffmpeg: str, folder: Path, key: bytes) -> None:
        self.settings, self.ffmpeg, self.folder, self.key = settings, ffmpeg, folder, key
        self.rungs = {rung.name: rung for rung in ladder_rungs(settings)}
        self.costs = read_costs(folder) or Costs()
        self._next_sweep = 0.0

    def mark(self, role: str, run: str, n: int, renditions: Iterable[str], duration: float,
             entries: list[Entry]) -> bool:  # fmt: skip
        """Make the variants of segment ``n`` of ``run``, which is about to be published after ``entries``.

        Returns False when the segment must not be published (its variants could not be made).
        """
        if role not in MARKED_ROLES:
            return True
        number = segment_number(entries[-1].msn + 1 if entries else 0)
        started = time.monotonic()
        try:
            written = sum(self._mark_rendition(r, run, n, number) for r in renditions)
        except (AirwaveError, OSError, av.FFmpegError) as exc:
            log.error("channel %s: cannot watermark segment %s of run %s: %s", self.folder.name, n, run, exc)
            self.costs.failures += 1
            self.costs.last_error = str(exc)[:300]
            _write_costs(self.folder, self.costs)
            return False
        self.costs.segments += 1
        self.costs.media_seconds += duration
        self.costs.encode_seconds += time.monotonic() - started
        self.costs.bytes_written += written
        self.costs.stored_bytes += written
        self._sweep_if_due(entries)
        _write_costs(self.folder, self.costs)
        return True

    def _mark_rendition(self, rendition: str, run: str, n: int, number: int) -> int:
        init = (self.folder / init_uri(rendition, run)).read_bytes()
        media = (self.folder / segment_uri(rendition, run, n)).read_bytes()
        encoding = self._encoding(rendition, len(media), init, media)
        with tempfile.TemporaryDirectory(dir=self.folder, prefix=".marking-") as work:
            shared, variants = encode_variants(self.ffmpeg, init, media, number, self.key,
                                               self.settings.watermark_strength, encoding, Path(work))  # fmt: skip
        return _install(self.folder, rendition, run, n, shared, variants)

    def _encoding(self, rendition: str, size: int, init: bytes, media: bytes) -> Encoding:
        preset = self.settings.live_x264_preset
        rung = self.rungs.get(rendition)
        if rung is not None:
            return Encoding(preset, rung.bitrate, rung.maxrate, rung.bufsize)
        seconds = _duration(init, media)  # passthrough: match the source's own bitrate
        bitrate = max(MIN_BITRATE, int(size * 8 / max(seconds, 0.1)))
        return Encoding(preset, bitrate, bitrate * 3 // 2, bitrate * 2)

    def _sweep_if_due(self, entries: list[Entry]) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        self.costs.stored_bytes = sweep(self.folder, entries, time.time() - self.settings.live_retention_grace_seconds)


def sweep(folder: Path, entries: list[Entry], cutoff: float) -> int:
    """Delete variants (and marked inits) of segments no longer indexed, once older than ``cutoff``.

    Returns the bytes the remaining variants hold.
    """
    named = {(e.run, e.n) for e in entries}
    runs = {e.run for e in entries}
    stored = 0
    for variant_dir in (d / v for d in folder.iterdir() if d.is_dir() for v in VARIANTS):
        if not variant_dir.is_dir():
            continue
        for path in variant_dir.iterdir():
            run, _, rest = path.name.partition("-")
            wanted = run in runs if rest == "init.mp4" else (run, _number(rest)) in named
            info = path.stat()
            if not wanted and info.st_mtime < cutoff:
                path.unlink(missing_ok=True)
            else:
                stored += info.st_size
    return stored


def _number(rest: str) -> int:
    digits = rest.removesuffix(".m4s")
    return int(digits) if digits.isdigit() else -1


def _duration(init: bytes, media: bytes) -> float:
    with av.open(io.BytesIO(init + media), mode="r") as container:
        stream = container.streams.video[0] if container.streams.video else container.streams[0]
        times = [float(p.pts * p.time_base) for p in container.demux(stream) if p.pts is not None]
    return max(times) - min(times) + 1 / 25 if times else 0.0


def _install(folder: Path, rendition: str, run: str, n: int, shared: bytes, variants: tuple[bytes, bytes]) -> int:
    """Write the variants (and the run's marked init, once) under their final names; returns bytes added.

    Raises:
        MediaError: this segment's encode does not fit the run's marked init (players could not decode it).
    """
    written = 0
    init = marked_init_path(folder, rendition, run)
    for variant in VARIANTS:
        (folder / rendition / variant).mkdir(parents=True, exist_ok=True)
    if init.exists():
        if init_parameters(init.read_bytes()) != init_parameters(shared):
            raise MediaError(f"a marked segment of run {run} needs another init than the run's first")
    else:
        written += _atomic_write(init, shared)
    for variant, data in zip(VARIANTS, variants, strict=True):
        written += _atomic_write(variant_path(folder, rendition, variant, run, n), data)
    return written


def _atomic_write(path: Path, data: bytes) -> int:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return len(data)


def live_marker(settings: Settings, ffmpeg: str, slug: str, enabled: bool) -> LiveMarker | None:
    """The marker of channel ``slug`` when its watermarking is on."""
    if not enabled:
        return None
    return LiveMarker(settings, ffmpeg, channel_dir(settings, slug), channel_key(ensure_secret(settings), slug))


def channel_marking(settings: Settings, slug: str) -> str | None:
    """What marking has cost channel ``slug``, for people; None if it was never marked."""
    costs = read_costs(channel_dir(settings, slug))
    if costs is None:
        return None
    text = (
        f"{costs.segments} segments marked, {costs.realtime_factor:.2f} s of encoding per second of video "
        f"({costs.encode_seconds:.0f} s in all), {costs.bytes_written / 1e6:.1f} MB written, "
        f"{costs.stored_bytes / 1e6:.1f} MB held in the DVR now"
    )
    if costs.failures:
        text += f"; {costs.failures} segments could not be marked (last: {costs.last_error})"
    return text

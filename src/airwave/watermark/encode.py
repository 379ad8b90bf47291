"""Producing the A and B variants of a title's video renditions with real ffmpeg.

Per rendition: one ffmpeg decodes the source and scales it exactly as the ladder did (raw frames on a pipe),
numpy adds and subtracts the mark (:class:`~airwave.watermark.embed.Marker`), and two ffmpeg encoders with
identical settings, the rendition's bitrate, GOP and forced keyframes write ``<rendition>/a/`` and
``<rendition>/b/``. Both variants therefore share segment boundaries and timing, and one init segment and
one playlist of neutral names (``seg_00001.m4s``) serve both; the unmarked segments of the ladder are
removed, so a marked title never hands anyone an unmarked copy (ETSI TS 104 002: with sequencing off, the
edge serves variant A).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from airwave.errors import IngestCancelled, MediaError
from airwave.hls.playlist import parse_media_playlist
from airwave.media.argv import INIT, PLAYLIST, SEGMENT
from airwave.media.plan import EncodePlan, VideoOutput
from airwave.media.process import FFmpegProcess
from airwave.watermark.cores import one_core
from airwave.watermark.embed import Marker
from airwave.watermark.pattern import title_key

log = logging.getLogger(__name__)

VARIANTS = ("a", "b")

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class MarkReport:
    """What marking cost: the renditions marked, the wall time, and the storage added."""

    renditions: tuple[str, ...]
    seconds: float
    extra_bytes: int


def mark_renditions(
    ffmpeg: str,
    plan: EncodePlan,
    out_dir: Path,
    key: bytes,
    strength: float,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> MarkReport:
    """Replace every video rendition under ``out_dir`` by its A and B variants.

    Raises:
        MediaError: ffmpeg failed, or the variants do not line up with the ladder's segments.
        IngestCancelled: ``cancel`` was set.
    """
    started, extra = time.monotonic(), 0
    for number, video in enumerate(plan.videos):
        marker = Marker(key, strength, plan.fps, plan.segment_seconds)

        def report(done: float, number: int = number, name: str = video.folder) -> None:
            if on_progress is not None:
                on_progress((number + done) / len(plan.videos), f"watermarking {name}: {done:.0%}")

        # BLAS threads would spin against the three ffmpeg processes: numpy's share is one core.
        with one_core():
            _encode_variants(ffmpeg, plan, video, out_dir / video.folder, marker, report, cancel)
        extra += install_variants(out_dir / video.folder)
    return MarkReport(tuple(v.folder for v in plan.videos), time.monotonic() - started, extra)


def decode_argv(ffmpeg: str, plan: EncodePlan, video: VideoOutput) -> list[str]:
    """Decode the source to raw 8-bit 4:2:0 frames at the rendition's size and constant frame rate."""
    rung = video.rung
    scale = f"fps={_rate(plan.fps)},scale={rung.width}:{rung.height},setsar=1,format=yuv420p"
    return [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "level+error", "-i", f"file:{plan.source}",
            "-map", f"0:{plan.video_stream}", "-vf", scale, "-f", "rawvideo", "-pix_fmt", "yuv420p",
            "pipe:1"]  # fmt: skip


def encode_argv(ffmpeg: str, plan: EncodePlan, video: VideoOutput, folder: Path) -> list[str]:
    """Encode raw frames from stdin with the rendition's ladder settings into an fMP4 HLS folder."""
    rung, gop = video.rung, str(plan.gop)
    argv = [ffmpeg, "-hide_banner", "-loglevel", "level+error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
            "-s", f"{rung.width}x{rung.height}", "-framerate", _rate(plan.fps), "-i", "pipe:0",
            "-c:v", "libx264", "-preset", plan.preset, "-profile:v", "high", "-b:v", str(rung.bitrate),
            "-maxrate", str(rung.maxrate), "-bufsize", str(rung.bufsize), "-g", gop, "-keyint_min", gop,
            "-sc_threshold", "0", "-force_key_frames", f"expr:gte(t,n_forced*{plan.segment_seconds:g})"]  # fmt: skip
    if plan.threads:
        argv += ["-threads", str(plan.threads)]
    segments = str(folder).replace("%", "%%") + "/" + SEGMENT
    return [*argv, "-f", "hls", "-hls_time", f"{plan.segment_seconds:g}", "-hls_playlist_type", "vod",
            "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", INIT, "-hls_flags", "independent_segments",
            "-start_number", "1", "-hls_segment_filename", segments, str(folder / PLAYLIST)]  # fmt: skip


def install_variants(folder: Path) -> int:
    """Make ``folder`` serve its ``a/`` and ``b/`` segments under the neutral names; return the bytes added.

    Raises:
        MediaError: A, B and the ladder do not have the same segments.
    """
    ladder = parse_media_playlist((folder / PLAYLIST).read_text())
    lists = [parse_media_playlist((folder / v / PLAYLIST).read_text()) for v in VARIANTS]
    names = [s.uri for s in ladder.segments]
    for variant, playlist in zip(VARIANTS, lists, strict=True):
        if [s.uri for s in playlist.segments] != names:
            raise MediaError(f"watermark variant {variant} of {folder.name} does not match the ladder's segments")
    if (folder / "a" / INIT).read_bytes() != (folder / "b" / INIT).read_bytes():
        raise MediaError(f"watermark variants of {folder.name} were encoded with different settings")
    removed = sum((folder / name).stat().st_size for name in names)
    added = sum((folder / v / name).stat().st_size for v in VARIANTS for name in names)
    (folder / "a" / INIT).replace(folder / INIT)
    (folder / "a" / PLAYLIST).replace(folder / PLAYLIST)
    for leftover in (folder / "b" / INIT, folder / "b" / PLAYLIST, *(folder / name for name in names)):
        leftover.unlink()
    return added - removed


def _encode_variants(
    ffmpeg: str,
    plan: EncodePlan,
    video: VideoOutput,
    folder: Path,
    marker: Marker,
    report: Callable[[float], None],
    cancel: threading.Event | None,
) -> None:
    for variant in VARIANTS:
        (folder / variant).mkdir(parents=True, exist_ok=True)
    width, height = video.rung.width, video.rung.height
    decoder = FFmpegProcess(decode_argv(ffmpeg, plan, video), name="ffmpeg-wm-decode", stop_timeout=1.0)
    encoders = [
        FFmpegProcess(encode_argv(ffmpeg, plan, video, folder / v), name=f"ffmpeg-wm-{v}", stdin_pipe=True)
        for v in VARIANTS
    ]
    expected = max(1, round(plan.duration * plan.fps))
    with decoder, encoders[0], encoders[1]:
        frame = 0
        while (raw := decoder.stdout.read(width * height * 3 // 2)) and len(raw) == width * height * 3 // 2:
            if cancel is not None and cancel.is_set():
                raise IngestCancelled("cancelled while watermarking")
            luma = np.frombuffer(raw, np.uint8, width * height).reshape(height, width)
            for encoder, plane in zip(encoders, marker.variants(luma, frame), strict=True):
                _write(encoder, plane.tobytes() + raw[width * height :])
            frame += 1
            if frame % 25 == 0:
                report(min(frame / expected, 1.0))
        _finish(decoder, encoders)


def _write(encoder: FFmpegProcess, data: bytes) -> None:
    try:
        encoder.stdin.write(data)
    except (BrokenPipeError, ValueError):
        encoder.wait()
        raise MediaError(f"the watermark encoder stopped: {encoder.stderr_tail or 'no message'}") from None


def _finish(decoder: FFmpegProcess, encoders: list[FFmpegProcess]) -> None:
    if decoder.wait() != 0:
        raise MediaError(f"could not decode the source for watermarking: {decoder.stderr_tail or 'no message'}")
    for encoder in encoders:
        encoder.stdin.close()
    for encoder in encoders:
        if encoder.wait() != 0:
            raise MediaError(f"the watermark encoder failed: {encoder.stderr_tail or 'no message'}")


def _rate(fps: float) -> str:
    rate = Fraction(fps).limit_denominator(1001)
    return f"{rate.numerator}/{rate.denominator}"


def mark_staged(
    ffmpeg: str,
    plan: EncodePlan,
    staging: Path,
    secret: str,
    strength: float,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> MarkReport:
    """Mark an ingest's staged ladder; the key is derived from ``secret`` and the folder it will publish as."""
    report = mark_renditions(
        ffmpeg, plan, staging, title_key(secret, staging.name), strength, on_progress=on_progress, cancel=cancel
    )
    log.info(
        "watermarked %s (%s): %.1f s of extra encoding, %+.1f MB of storage",
        staging.name, ", ".join(report.renditions), report.seconds, report.extra_bytes / 1e6,
    )  # fmt: skip
    return report

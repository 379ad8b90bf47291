"""Running an :class:`EncodePlan`: one ffmpeg pass into a folder, then the playlists, artwork track and the
measured attributes of every rendition. No database: :mod:`airwave.catalog.ingest` publishes the result.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airwave.errors import InvalidMedia, MediaError
from airwave.hls.master import render_master
from airwave.hls.playlist import MediaPlaylist, Segment, parse_media_playlist, render_vod_playlist
from airwave.media.argv import INIT, PLAYLIST, POSTER, SPRITE, SUBTITLES, build_argv
from airwave.media.artwork import thumbnails_vtt
from airwave.media.mp4 import avc_codec
from airwave.media.plan import AUDIO_CHANNELS, EncodePlan
from airwave.media.process import run_ffmpeg
from airwave.media.progress import Progress

AAC_LC = "mp4a.40.2"  # RFC 6381: MPEG-4 audio, object type 2 (AAC-LC), what ffmpeg's aac encoder writes
MASTER = "master.m3u8"
THUMBNAILS = "thumbs.vtt"

ProgressCallback = Callable[[float, str], None]


@dataclass
class RenditionSpec:
    """One rendition as written: the column values of ``store.tables.Rendition``."""

    position: int
    kind: str
    name: str
    playlist: str
    codecs: str = ""
    bandwidth: int = 0
    average_bandwidth: int = 0
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    language: str | None = None
    label: str = ""
    channels: int | None = None
    is_default: bool = False


@dataclass(frozen=True)
class Transcoded:
    """What :func:`transcode` produced in its folder."""

    renditions: tuple[RenditionSpec, ...]
    duration: float
    poster: str
    thumbnails: dict[str, Any]


def transcode(
    ffmpeg: str,
    plan: EncodePlan,
    out_dir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Transcoded:
    """Encode ``plan`` into ``out_dir`` (created) and describe what was written.

    Raises:
        InvalidMedia: ffmpeg could decode only part of the source (truncated or corrupt).
        MediaError: ffmpeg failed.
        IngestCancelled: ``cancel`` was set.
    """
    for folder in (*(v.folder for v in plan.videos), *(a.folder for a in plan.audios),
                   *(s.folder for s in plan.subtitles)):  # fmt: skip
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    report = _reporter(plan, on_progress)
    try:
        run_ffmpeg(build_argv(ffmpeg, plan, out_dir), on_progress=report, cancel=cancel, name="ffmpeg-ingest")
    except MediaError as exc:
        raise MediaError(f"could not encode {plan.source.name}: {exc}") from None
    duration = _check_complete(plan, out_dir)
    renditions = _describe(plan, out_dir, duration)
    (out_dir / THUMBNAILS).write_text(thumbnails_vtt(plan.sprite, duration, SPRITE))
    (out_dir / MASTER).write_text(render_master(renditions))
    return Transcoded(renditions, duration, POSTER, plan.sprite.as_dict())


def _reporter(plan: EncodePlan, on_progress: ProgressCallback | None) -> Callable[[Progress], None]:
    def report(progress: Progress) -> None:
        if on_progress is None or progress.out_time is None:
            return
        done = min(progress.out_time / plan.duration, 1.0)
        speed = f" at {progress.speed:.1f}x real time" if progress.speed else ""
        on_progress(done, f"encoding: {progress.out_time:.0f} s of {plan.duration:.0f} s{speed}")

    return report


def _check_complete(plan: EncodePlan, out_dir: Path) -> float:
    top = _playlist(out_dir / plan.videos[0].folder)
    tolerance = max(1.0, plan.duration * 0.03)
    if top.duration < plan.duration - tolerance:
        raise InvalidMedia(
            f"{plan.source.name} is truncated or corrupt: only {top.duration:.1f} s of its "
            f"{plan.duration:.1f} s could be decoded"
        )
    return top.duration


def _describe(plan: EncodePlan, out_dir: Path, duration: float) -> tuple[RenditionSpec, ...]:
    specs = [*_videos(plan, out_dir), *_audios(plan, out_dir), *_subtitles(plan, out_dir, duration)]
    return tuple(RenditionSpec(**{**vars(spec), "position": number}) for number, spec in enumerate(specs))


def _videos(plan: EncodePlan, out_dir: Path) -> list[RenditionSpec]:
    specs = []
    for video in plan.videos:
        peak, average = _bitrates(out_dir / video.folder)
        specs.append(
            RenditionSpec(
                position=0,
                kind="video",
                name=video.folder,
                playlist=f"{video.folder}/{PLAYLIST}",
                codecs=avc_codec((out_dir / video.folder / INIT).read_bytes()),
                bandwidth=peak,
                average_bandwidth=average,
                width=video.rung.width,
                height=video.rung.height,
                frame_rate=round(plan.fps, 3),
                label=video.rung.name,
            )
        )
    return specs


def _audios(plan: EncodePlan, out_dir: Path) -> list[RenditionSpec]:
    specs = []
    for audio in plan.audios:
        peak, average = _bitrates(out_dir / audio.folder)
        specs.append(
            RenditionSpec(
                position=0,
                kind="audio",
                name=audio.folder,
                playlist=f"{audio.folder}/{PLAYLIST}",
                codecs=AAC_LC,
                bandwidth=peak,
                average_bandwidth=average,
                language=audio.language.tag if audio.language else None,
                label=audio.label,
                channels=AUDIO_CHANNELS,
                is_default=audio.is_default,
            )
        )
    return specs


def _subtitles(plan: EncodePlan, out_dir: Path, duration: float) -> list[RenditionSpec]:
    specs = []
    for sub in plan.subtitles:
        # RFC 8216 3.5: a WebVTT track may be one segment covering the whole programme.
        (out_dir / sub.folder / PLAYLIST).write_text(render_vod_playlist([Segment(SUBTITLES, duration)]))
        specs.append(
            RenditionSpec(
                position=0,
                kind="subtitles",
                name=sub.folder,
                playlist=f"{sub.folder}/{PLAYLIST}",
                language=sub.language.tag if sub.language else None,
                label=sub.label,
            )
        )
    return specs


def _playlist(folder: Path) -> MediaPlaylist:
    try:
        playlist = parse_media_playlist((folder / PLAYLIST).read_text())
    except OSError as exc:
        raise MediaError(f"ffmpeg wrote no playlist in {folder.name}: {exc.strerror}") from None
    if not playlist.segments:
        raise MediaError(f"ffmpeg wrote no segments in {folder.name}")
    return playlist


def _bitrates(folder: Path) -> tuple[int, int]:
    """Peak and average bits/s of a rendition's segments, measured from the files."""
    playlist = _playlist(folder)
    sizes = [(folder / s.uri).stat().st_size * 8 for s in playlist.segments]
    durations = [s.duration for s in playlist.segments]
    average = sum(sizes) / max(sum(durations), 1e-3)
    return math.ceil(_peak(sizes, durations, playlist.target_duration)), math.ceil(average)


def _peak(bits: list[int], durations: list[float], target: int) -> float:
    # RFC 8216 4.3.4.2: the peak segment bit rate is the largest bit rate of any contiguous set of segments
    # whose total duration is between 0.5 and 1.5 times the target duration.
    best = 0.0
    for start in range(len(bits)):
        total_bits, total_time = 0, 0.0
        for end in range(start, len(bits)):
            total_bits, total_time = total_bits + bits[end], total_time + durations[end]
            if total_time > 1.5 * target:
                break
            if total_time >= 0.5 * target:
                best = max(best, total_bits / total_time)
    return best or sum(bits) / max(sum(durations), 1e-3)

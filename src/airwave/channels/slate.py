"""Slates: "back shortly" segments made ahead of time by ffmpeg.

A playout channel's slate fills the time no item covers: made once per channel rendition in the rendition's
size with segments of exactly the channel's grid, so it drops into the stitched playlist like any other item.
A live channel's hot slate (below) is what it publishes while every source is down.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from airwave.channels.continuity import SLATE_SEGMENTS
from airwave.channels.plan import Plan
from airwave.channels.vodmedia import ChannelRendition
from airwave.errors import MediaError
from airwave.hls.playlist import parse_media_playlist
from airwave.media.live_argv import IN_BAND_HEADERS
from airwave.media.process import FFmpegProcess

log = logging.getLogger(__name__)

TEXT = "Back shortly"


def slate_argv(ffmpeg: str, rendition: ChannelRendition, grid: float, folder: Path) -> list[str]:
    """The ffmpeg command that writes one rendition's slate as CMAF HLS into ``folder``. Pure."""
    seconds = f"{grid * SLATE_SEGMENTS:g}"
    audio = rendition.kind == "audio" or "mp4a" in rendition.codecs
    argv = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    if rendition.kind == "video":
        fps = rendition.frame_rate or 25.0
        width, height = rendition.width or 640, rendition.height or 360
        gop = str(max(1, round(fps * grid)))
        argv += ["-f", "lavfi", "-i", f"color=c=0x11151f:s={width}x{height}:r={fps:g}:d={seconds}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}"]
    if rendition.kind == "video":
        size = max(8, (rendition.height or 360) // 9)
        draw = f"drawtext=text='{TEXT}':fontcolor=white@0.85:fontsize={size}:x=(w-text_w)/2:y=(h-text_h)/2"
        argv += ["-vf", f"{draw},format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast"]
        argv += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", *IN_BAND_HEADERS]
        argv += ["-force_key_frames", f"expr:gte(t,n_forced*{grid:g})"]
    if audio:
        argv += ["-c:a", "aac", "-b:a", "64k", "-ac", "2"]
    return [
        *argv, "-t", seconds,
        "-f", "hls", "-hls_time", f"{grid:g}", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
        "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", str(folder / "seg_%05d.m4s"),
        str(folder / "index.m3u8"),
    ]  # fmt: skip


def ensure_slate(ffmpeg: str, plan: Plan) -> list[str]:
    """Make the slate of every channel rendition that lacks one; return the renditions made.

    Raises:
        MediaError: ffmpeg failed (its message is included).
    """
    made = []
    grid = plan.schedule.grid_ms / 1000
    for rendition in plan.renditions:
        target = plan.slate_dir / rendition.name
        if (target / "index.m3u8").exists():
            continue
        work = plan.slate_dir / f".{rendition.name}.tmp"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        result = subprocess.run(
            slate_argv(ffmpeg, rendition, grid, work), capture_output=True, text=True, timeout=300, check=False
        )
        if result.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            raise MediaError(f"could not make the slate for {rendition.name}: {result.stderr.strip()[-400:]}")
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
        made.append(rendition.name)
    return made


# --- The hot slate of live channels ------------------------------------------------------------------------
#
# A live channel whose sources all stall shows "back shortly". Starting an ffmpeg at that moment costs the
# viewer its start-up time on top of the stall, so the slate's segments are made ahead of time, once per set
# of rendition parameters (shared by every channel with the same ladder), and published straight from disk
# when the switch happens: each loop of them is a run of its own, so it starts with a discontinuity.

HOT_SLATE_SEGMENTS = 15  # segments in one loop of a live channel's slate
HOT_SLATE_FORMAT = 2  # bumped when hot_slate_argv changes what it writes, so cached slates are made again
SLATE_MAX_BITRATE = 400_000  # a still picture needs little


@dataclass(frozen=True)
class SlateRendition:
    """One rendition of a live slate: its name must be the channel's rendition name."""

    name: str
    width: int
    height: int
    bitrate: int


@dataclass(frozen=True)
class SlateSpec:
    """Everything that decides what a live slate's files look like; equal specs share one cached set."""

    renditions: tuple[SlateRendition, ...]
    fps: float
    segment_seconds: float
    segments: int = HOT_SLATE_SEGMENTS

    @property
    def key(self) -> str:
        """The cache folder name: a digest of the parameters (and of the text shown)."""
        text = repr((self.renditions, round(self.fps, 3), self.segment_seconds, self.segments, TEXT, HOT_SLATE_FORMAT))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class HotSlate:
    """A made slate: ``<folder>/<rendition>/init.mp4`` and ``seg_NNNNN.m4s`` with these durations."""

    folder: Path
    spec: SlateSpec
    durations: tuple[float, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.spec.renditions)

    def init(self, rendition: str) -> Path:
        return self.folder / rendition / "init.mp4"

    def segment(self, rendition: str, n: int) -> Path:
        return self.folder / rendition / f"seg_{n:05d}.m4s"


def hot_slate_argv(ffmpeg: str, spec: SlateSpec, folder: Path) -> list[str]:
    """One ffmpeg that writes every rendition of ``spec`` as VOD fMP4 HLS under ``folder``. Pure.

    Keyframes are forced on the segment grid so every segment lasts exactly ``segment_seconds``.
    """
    grid = spec.segment_seconds
    seconds = f"{grid * spec.segments:g}"
    top = max(spec.renditions, key=lambda r: r.height)
    size = max(12, top.height // 10)
    picture = (
        f"color=c=0x14161f:s={top.width}x{top.height}:r={spec.fps:g}:d={seconds},"
        f"drawtext=text='{TEXT}':fontsize={size}:fontcolor=white:x=(w-tw)/2:y=(h-th)/2"
    )
    labels = "".join(f"[s{n}]" for n in range(len(spec.renditions)))
    chains = [f"[0:v]split={len(spec.renditions)}{labels}"]
    chains += [f"[s{n}]scale={r.width}:{r.height},setsar=1,format=yuv420p[v{n}]" for n, r in enumerate(spec.renditions)]
    gop = str(max(1, round(spec.fps * grid)))
    argv = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", picture,
            "-f", "lavfi", "-i", f"anullsrc=channel_layout=stereo:sample_rate=48000:d={seconds}",
            "-filter_complex", ";".join(chains)]  # fmt: skip
    for n, rendition in enumerate(spec.renditions):
        bitrate = str(min(rendition.bitrate, SLATE_MAX_BITRATE))
        argv += ["-map", f"[v{n}]", "-map", "1:a:0", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", bitrate]
        argv += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", *IN_BAND_HEADERS]
        argv += ["-force_key_frames", f"expr:gte(t,n_forced*{grid:g})"]
        argv += ["-c:a", "aac", "-b:a", "64k", "-ac", "2", "-ar", "48000", "-t", seconds]
        target = folder / rendition.name
        argv += [
            "-f", "hls", "-hls_time", f"{grid:g}", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", str(target).replace("%", "%%") + "/seg_%05d.m4s",
            str(target / "index.m3u8"),
        ]  # fmt: skip
    return argv


_builds: dict[Path, tuple[object, FFmpegProcess, Path]] = {}  # cache folder -> (owner, ffmpeg, work folder)
_made: dict[Path, HotSlate] = {}
_builds_lock = threading.Lock()


def hot_slate(ffmpeg: str, root: Path, spec: SlateSpec, owner: object) -> HotSlate | None:
    """The slate of ``spec`` if it is made; otherwise start making it (or let it go on) and return None.

    Never blocks: the caller (a channel worker's tick) asks again later. The first caller of a spec runs the
    ffmpeg and is the only one that finishes it; others wait for the folder to appear.

    Raises:
        MediaError: this owner's ffmpeg failed (its message is included); the next call starts again.
    """
    folder = root / spec.key
    made = _ready(folder, spec)
    if made is not None:
        return made
    with _builds_lock:
        build = _builds.get(folder)
        if build is None:
            work = root / f".{spec.key}.{os.getpid()}.{id(owner):x}.tmp"
            shutil.rmtree(work, ignore_errors=True)
            for rendition in spec.renditions:
                (work / rendition.name).mkdir(parents=True)
            process = FFmpegProcess(hot_slate_argv(ffmpeg, spec, work), name="live-slate", stop_timeout=2.0)
            process.start()
            _builds[folder] = (owner, process, work)
            return None
        if build[0] is not owner or build[1].poll() is None:
            return None
        del _builds[folder]
    _owner, process, work = build
    status = process.poll()
    tail = process.stderr_tail
    process.close()
    if status != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise MediaError(f"could not make the live slate ({status}): {tail.strip()[-400:]}")
    try:
        work.rename(folder)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)  # another process made it meanwhile
    return _ready(folder, spec)


def abandon_hot_slates(owner: object) -> None:
    """Stop the slate builds ``owner`` started (a stopping channel); another channel may start them again."""
    with _builds_lock:
        mine = {folder: build for folder, build in _builds.items() if build[0] is owner}
        for folder in mine:
            del _builds[folder]
    for _owner, process, work in mine.values():
        process.close()
        shutil.rmtree(work, ignore_errors=True)


def _ready(folder: Path, spec: SlateSpec) -> HotSlate | None:
    with _builds_lock:
        made = _made.get(folder)
    if made is not None:
        return made
    if not folder.is_dir():
        return None
    counts: list[list[float]] = []
    for rendition in spec.renditions:
        try:
            playlist = parse_media_playlist((folder / rendition.name / "index.m3u8").read_text())
        except (OSError, MediaError):
            return None
        counts.append([segment.duration for segment in playlist.segments])
    length = min(len(durations) for durations in counts)
    if length == 0:
        return None
    made = HotSlate(folder, spec, tuple(counts[0][:length]))
    with _builds_lock:
        _made[folder] = made
    return made

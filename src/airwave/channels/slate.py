"""The slate of a playout channel: a few segments of "back shortly", one set per channel rendition.

It fills the time no item covers. Made once by ffmpeg in the rendition's size with segments of exactly the
channel's grid, so it drops into the stitched playlist like any other item.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from airwave.channels.continuity import SLATE_SEGMENTS
from airwave.channels.plan import Plan
from airwave.channels.vodmedia import ChannelRendition
from airwave.errors import MediaError

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
        argv += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0"]
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

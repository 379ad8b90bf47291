"""ffmpeg commands of live channels. Pure: a source in, CMAF fMP4 HLS segments of one *run* out.

Every run writes ``<channel>/<rendition>/<run>-<n>.m4s`` and ``<run>-init.mp4`` plus its own short playlist,
which only the supervisor reads (to learn when a segment is complete and how long it is); the playlists
players get are rendered from the channel's index (``hls/live.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airwave.media.ladder import Rung

PASSTHROUGH = "live"  # the one rendition of a passthrough channel (and of its slate)
AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"]
# SPS and PPS before every keyframe as well as in the init segment. A channel's runs (a restart, the backup,
# the slate) are separate encodes with different parameter sets; players that keep the first init segment
# across an EXT-X-DISCONTINUITY (ffmpeg's HLS reader skips a second moov) would decode the next run with the
# wrong ones ("Invalid NAL unit size", "no frame!"). In-band copies make every run's segments decodable alone.
IN_BAND_HEADERS = ["-x264-params", "repeat-headers=1"]


@dataclass(frozen=True)
class RunOutput:
    """Where and how one run writes its segments."""

    folder: Path  # the channel's folder; renditions are subfolders
    run: str
    segment_seconds: float
    list_size: int = 6


def passthrough_argv(ffmpeg: str, inputs: Sequence[str], out: RunOutput, *, copy_audio: bool = True) -> list[str]:
    """Remux the first video and audio stream as they are (H.264/HEVC and AAC suit HLS)."""
    argv = [*_head(ffmpeg, inputs), "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy"]
    # MPEG-TS sources (UDP, SRT, HLS) carry AAC with ADTS headers, which MP4 stores without.
    argv += ["-c:a", "copy", "-bsf:a", "aac_adtstoasc"] if copy_audio else AUDIO
    return [*argv, *hls_output(out, PASSTHROUGH)]


def encode_argv(
    ffmpeg: str, inputs: Sequence[str], out: RunOutput, rungs: Sequence[Rung], *, preset: str, fps: float,
    cap_at_source: bool = False,
) -> list[str]:  # fmt: skip
    """Decode once and encode every rung with keyframes on segment boundaries (an ABR ladder).

    ``cap_at_source``: the source's size is unknown (a push), so each rung is at most the source's size
    rather than exactly the rung's, never upscaled.
    """
    labels = "".join(f"[s{number}]" for number in range(len(rungs)))
    chains = [f"[0:v:0]split={len(rungs)}{labels}"]
    chains += [f"[s{n}]{_scale(r, cap_at_source)},setsar=1,format=yuv420p[v{n}]" for n, r in enumerate(rungs)]
    argv = [*_head(ffmpeg, inputs), "-filter_complex", ";".join(chains)]
    gop = str(max(1, round(fps * out.segment_seconds)))
    for number, rung in enumerate(rungs):
        argv += ["-map", f"[v{number}]", "-map", "0:a:0?", "-c:v", "libx264", "-preset", preset]
        argv += ["-b:v", str(rung.bitrate), "-maxrate", str(rung.maxrate), "-bufsize", str(rung.bufsize)]
        argv += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", *IN_BAND_HEADERS]
        argv += ["-force_key_frames", f"expr:gte(t,n_forced*{out.segment_seconds:g})", *AUDIO]
        argv += hls_output(out, rung.name)
    return argv


def hls_output(out: RunOutput, rendition: str) -> list[str]:
    """One rendition's fMP4 HLS output of the run (RFC 8216 3.3: EXT-X-MAP init section + media segments)."""
    folder = str(out.folder / rendition).replace("%", "%%")
    return [
        "-f", "hls", "-hls_time", f"{out.segment_seconds:g}", "-hls_list_size", str(out.list_size),
        "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", f"{out.run}-init.mp4",
        "-hls_segment_filename", f"{folder}/{out.run}-%06d.m4s",
        "-hls_flags", "independent_segments+temp_file", "-start_number", "0",
        str(out.folder / rendition / f"{out.run}.m3u8"),
    ]  # fmt: skip


def _scale(rung: Rung, cap_at_source: bool) -> str:
    if not cap_at_source:
        return f"scale={rung.width}:{rung.height}"
    return (
        f"scale='min(iw,{rung.width})':'min(ih,{rung.height})'"
        ":force_original_aspect_ratio=decrease:force_divisible_by=2"
    )


def _head(ffmpeg: str, inputs: Sequence[str]) -> list[str]:
    stdin = [] if "pipe:0" in inputs else ["-nostdin"]
    return [ffmpeg, "-hide_banner", *stdin, "-loglevel", "level+warning", "-y", *inputs]

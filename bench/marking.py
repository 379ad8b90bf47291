"""Live marking speed: can one core pair mark a 720p channel as fast as it plays?

A 720p25 2 s segment of the textured clip of :mod:`bench.watermark` (busy structure and grain: the costly
case for x264), encoded as the live ladder's 720p rung (its bitrate, the live x264 preset, fMP4 with AAC),
is marked the way a watermarked channel marks each segment it publishes
(:func:`~airwave.channels.segment_variants.encode_variants`: decode, mark, two x264 encodes, retime). The
goal is at most one segment duration of wall time per segment, so a marked 720p channel keeps up. The peer,
timed in the same run and alternating with ours, is plain ffmpeg re-encoding the same segment once with the
same settings: the floor any marking pays, since each variant is one such encode.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from airwave.channels.plans import ladder_rungs
from airwave.channels.segment_variants import Encoding, encode_variants
from airwave.config import Settings, load_settings
from airwave.media.ffmpeg import find_ffmpeg
from airwave.watermark.pattern import title_key
from bench.table import Row
from bench.watermark import CLIPS

SEGMENT = 2.0
SEGMENTS = 3  # the clip's; the middle one is marked (a segment that starts neither at zero nor on the first GOP)
RUNS = 5
RUNG = "720p"


def run() -> list[Row]:
    """Time ours and the peer, alternating, and return the row."""
    settings = load_settings(data=Path(tempfile.gettempdir()) / "airwave-bench-unused")
    ffmpeg = find_ffmpeg(settings)
    encoding = live_encoding(settings)
    ours: list[tuple[float, float]] = []
    peer: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="airwave-bench-marking-") as tmp:
        init, media = live_segment(ffmpeg, encoding, Path(tmp))
        for number in range(RUNS):
            ours.append(_timed(partial(_mark, ffmpeg, init, media, encoding, settings, Path(tmp) / f"ours-{number}")))
            peer.append(_timed(partial(_reencode, ffmpeg, init, media, encoding, Path(tmp) / f"peer-{number}")))
    seconds, cpu = statistics.median(w for w, _ in ours), statistics.median(c for _, c in ours)
    plain, plain_cpu = statistics.median(w for w, _ in peer), statistics.median(c for _, c in peer)
    ratio = seconds / SEGMENT
    return [
        Row(
            goal="Live marking, 720p 2 s segment: seconds per segment / segment duration",
            ours=f"{seconds:.2f} s ({cpu:.2f} CPU s)",
            peer=f"{plain:.2f} s ({plain_cpu:.2f} CPU s) plain ffmpeg re-encode, once",
            ratio=ratio,
            target="<= 1.00",
            ok=ratio <= 1.0,
            note=f"textured 1280x720p25 clip, {encoding.preset} at {encoding.bitrate // 1000} kb/s; decode, mark, "
            f"two x264 encodes and retime per segment; median of {RUNS}, alternating with the peer",
        )
    ]


def live_encoding(settings: Settings) -> Encoding:
    """The x264 settings a marked channel's 720p rung is encoded with."""
    rung = next(r for r in ladder_rungs(settings) if r.name == RUNG)
    return Encoding(settings.live_x264_preset, rung.bitrate, rung.maxrate, rung.bufsize)


def live_segment(ffmpeg: str, encoding: Encoding, folder: Path) -> tuple[bytes, bytes]:
    """The init section and middle segment of the textured clip, encoded as the live ladder's 720p rung."""
    out = folder / "live"
    out.mkdir()
    gop = str(round(SEGMENT * 25))
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"{CLIPS['textured']},format=yuv420p",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(SEGMENT * SEGMENTS),
         "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", encoding.preset, "-b:v", str(encoding.bitrate),
         "-maxrate", str(encoding.maxrate), "-bufsize", str(encoding.bufsize), "-g", gop, "-keyint_min", gop,
         "-sc_threshold", "0", "-c:a", "aac", "-b:a", "128k",
         "-f", "hls", "-hls_time", f"{SEGMENT:g}", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
         "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", f"{out}/seg-%d.m4s", str(out / "index.m3u8")],
        check=True, timeout=300,
    )  # fmt: skip
    return (out / "init.mp4").read_bytes(), (out / f"seg-{SEGMENTS // 2}.m4s").read_bytes()


def _mark(ffmpeg: str, init: bytes, media: bytes, encoding: Encoding, settings: Settings, work: Path) -> None:
    work.mkdir()
    key = title_key("bench", "live/marking")
    encode_variants(ffmpeg, init, media, 1 + SEGMENTS // 2, key, settings.watermark_strength, encoding, work)


def _reencode(ffmpeg: str, init: bytes, media: bytes, encoding: Encoding, work: Path) -> None:
    work.mkdir()
    original = work / "original.mp4"
    original.write_bytes(init + media)
    subprocess.run(
        [ffmpeg, "-v", "error", "-nostdin", "-i", f"file:{original}", "-map", "0:v:0", "-map", "0:a:0?",
         "-c:a", "copy", "-c:v", "libx264", "-preset", encoding.preset, "-profile:v", "high", "-bf", "0",
         "-b:v", str(encoding.bitrate), "-maxrate", str(encoding.maxrate), "-bufsize", str(encoding.bufsize),
         "-g", "100000", "-sc_threshold", "0", "-f", "hls", "-hls_time", "100000", "-hls_playlist_type", "vod",
         "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
         "-hls_segment_filename", f"{work}/segment-%d.m4s", str(work / "index.m3u8")],
        check=True, timeout=300,
    )  # fmt: skip


def _timed(work: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU seconds (this process and its children) of calling ``work``."""
    before = _cpu()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started, _cpu() - before


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    from bench.table import plain

    print(plain(run()))

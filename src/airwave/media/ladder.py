"""Planning the adaptive-bitrate ladder for a source: which sizes, at which bitrates. Pure.

Rungs are named by their short side ("720p"), so a portrait phone video gets the same ladder as a landscape
one. The ladder never upscales: rungs taller than the source are dropped, and a source smaller than every
rung gets a single rung at its own size. Output is always 8-bit 4:2:0 H.264, whatever the input depth.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

# Target H.264 bitrates (bits/s) at 30 fps and 16:9 for common short sides, after Apple's HLS authoring
# specification; sizes in between are interpolated by pixel count.
_REFERENCE = ((144, 200_000), (180, 250_000), (240, 450_000), (360, 800_000), (480, 1_400_000),
              (540, 2_000_000), (720, 3_000_000), (1080, 5_000_000), (1440, 9_000_000), (2160, 14_000_000))  # fmt: skip
PEAK_FACTOR = 1.5  # -maxrate over -b:v: VBR headroom for hard scenes (Apple asks peak <= 2x average)
BUFFER_SECONDS = 2.0  # -bufsize in seconds of maxrate


@dataclass(frozen=True)
class Rung:
    """One video rendition to encode."""

    name: str  # "720p"
    width: int
    height: int
    bitrate: int  # bits/s, x264 -b:v
    maxrate: int  # bits/s, -maxrate
    bufsize: int  # bits, -bufsize


def plan_ladder(display_width: int, display_height: int, fps: float, heights: Sequence[int]) -> list[Rung]:
    """The rungs for a source of this displayed size, largest first.

    Args:
        display_width: source width with pixel aspect and rotation applied.
        display_height: source height, likewise.
        fps: source frame rate (kept; high frame rates get more bits).
        heights: the configured ladder (short sides), e.g. (1080, 720, 480, 360).
    """
    short = min(display_width, display_height)
    sides = sorted({h for h in heights if h <= short}, reverse=True)
    if not sides:
        sides = [_even_floor(short)]
    return [_rung(side, display_width, display_height, fps) for side in sides]


def _rung(side: int, display_width: int, display_height: int, fps: float) -> Rung:
    side = _even_floor(side)
    source_long = max(display_width, display_height)
    long = min(_even_round(side * source_long / min(display_width, display_height)), _even_floor(source_long))
    width, height = (long, side) if display_width >= display_height else (side, long)
    bitrate = _bitrate(width, height, fps)
    maxrate = int(bitrate * PEAK_FACTOR)
    return Rung(f"{side}p", width, height, bitrate, maxrate, int(maxrate * BUFFER_SECONDS))


def _bitrate(width: int, height: int, fps: float) -> int:
    side = min(width, height)
    pixels = width * height
    reference_pixels = side * side * 16 / 9
    base = _interpolate(side) * pixels / reference_pixels
    # Doubling the frame rate costs roughly 40% more bits, not 100%: motion between frames is smaller.
    motion = math.sqrt(min(max(fps, 12.0), 120.0) / 30.0)
    return int(round(base * motion / 1000) * 1000)


def _interpolate(side: int) -> float:
    points = [(s * s * 16 / 9, rate) for s, rate in _REFERENCE]
    pixels = side * side * 16 / 9
    if pixels <= points[0][0]:
        return points[0][1] * pixels / points[0][0]
    for (p0, r0), (p1, r1) in itertools.pairwise(points):
        if pixels <= p1:
            return r0 + (r1 - r0) * (pixels - p0) / (p1 - p0)
    return points[-1][1] * pixels / points[-1][0]


def _even_floor(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _even_round(value: float) -> int:
    return max(2, math.floor(value / 2 + 0.5) * 2)

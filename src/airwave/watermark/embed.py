"""The A/B mark of one frame: A = Y + a*mask*P_N, B = Y - a*mask*P_N. Pure numpy, no I/O.

P_N is segment N's keyed pattern (:mod:`airwave.watermark.pattern`), the mask spreads the energy by texture
(:mod:`airwave.watermark.mask`) and the product is scaled to RMS ``strength`` luma levels. At the first and
last frames of each segment the mark fades in and out with a raised-cosine ramp, so that a session switching
from A to B between two segments sees no step. The rounding back to 8 bits uses the same random dither for
A and B: a sub-level mark on a flat area then survives on average instead of rounding away.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from airwave.watermark.mask import texture_mask
from airwave.watermark.pattern import segment_pattern
from airwave.watermark.planes import Planes

RAMP_SECONDS = 0.24  # 6 frames at 25 fps
FIRST_SEGMENT = 1  # the ladder numbers segments from 1 (seg_00001.m4s)

Luma = NDArray[np.uint8]


@dataclass(frozen=True)
class Marker:
    """Marks the frames of one rendition: frame ``i`` is at ``i / fps`` seconds (constant frame rate).

    A marker reuses its work planes from frame to frame (:mod:`airwave.watermark.planes`): use each from
    one thread.
    """

    key: bytes
    strength: float
    fps: float
    segment_seconds: float
    _planes: Planes = field(default_factory=Planes, init=False, repr=False, compare=False)

    @property
    def frames_per_segment(self) -> float:
        return self.fps * self.segment_seconds

    def segment_of(self, frame: int) -> int:
        """Segment number of ``frame``; keyframes are forced at every multiple of the segment duration."""
        return FIRST_SEGMENT + math.floor(frame / self.frames_per_segment + 1e-6)

    def ramp(self, frame: int) -> float:
        """Mark weight of ``frame``: 1 inside its segment, a raised cosine over the edge frames."""
        index = self.segment_of(frame) - FIRST_SEGMENT
        start = math.ceil(index * self.frames_per_segment - 1e-6)
        end = math.ceil((index + 1) * self.frames_per_segment - 1e-6) - 1
        length = max(1, round(RAMP_SECONDS * self.fps))
        distance = min(frame - start, end - frame)
        if distance >= length:
            return 1.0
        return 0.5 - 0.5 * math.cos(math.pi * (distance + 0.5) / length)

    def mark(self, luma: Luma, frame: int) -> NDArray[np.float32]:
        """The signed mark added to A (and subtracted from B) for ``frame``."""
        return self._mark(luma, frame, Planes()).copy()

    def variants(self, luma: Luma, frame: int, out: tuple[Luma, Luma] | None = None) -> tuple[Luma, Luma]:
        """The A and B luma planes of ``frame``, written into ``out`` when given (planes reused per frame)."""
        mark = self._mark(luma, frame, self._planes)
        base = np.random.default_rng(frame).random(dtype=np.float32, out=self._planes.get("base", luma.shape))
        base += luma  # luma plus the dither
        upper = np.add(base, mark, out=self._planes.get("upper", luma.shape))
        base -= mark
        a, b = out or (np.empty(luma.shape, np.uint8), np.empty(luma.shape, np.uint8))
        return _quantised(upper, a), _quantised(base, b)

    def _mark(self, luma: Luma, frame: int, planes: Planes) -> NDArray[np.float32]:
        """:meth:`mark`, computed in ``planes`` (in place: each step of a 720p frame is a 3.7 MB plane)."""
        height, width = luma.shape
        shaped = texture_mask(luma, planes)
        shaped *= _pattern(self.key, self.segment_of(frame), width, height)
        rms = float(np.sqrt(np.mean(np.square(shaped, out=planes.get("square", luma.shape)))))
        shaped *= np.float32(self.strength * self.ramp(frame) / max(rms, 1e-6))
        return shaped


@functools.lru_cache(maxsize=4)  # the segment's frames share one pattern
def _pattern(key: bytes, segment: int, width: int, height: int) -> NDArray[np.float32]:
    return segment_pattern(key, segment, width, height)


# The largest float32 below 256: clipping to it and truncating is floor, then clipping to 0..255, in one pass.
_TOP = np.nextafter(np.float32(256), np.float32(0))


def _quantised(levels: NDArray[np.float32], out: Luma) -> Luma:
    """``floor(levels)`` clipped to 8 bits, into ``out``."""
    np.clip(levels, 0, _TOP, out=out, casting="unsafe")
    return out

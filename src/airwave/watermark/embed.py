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
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airwave.watermark.mask import texture_mask
from airwave.watermark.pattern import segment_pattern

RAMP_SECONDS = 0.24  # 6 frames at 25 fps
FIRST_SEGMENT = 1  # the ladder numbers segments from 1 (seg_00001.m4s)

Luma = NDArray[np.uint8]


@dataclass(frozen=True)
class Marker:
    """Marks the frames of one rendition: frame ``i`` is at ``i / fps`` seconds (constant frame rate)."""

    key: bytes
    strength: float
    fps: float
    segment_seconds: float

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
        height, width = luma.shape
        shaped = texture_mask(luma) * self._pattern(self.segment_of(frame), width, height)
        rms = float(np.sqrt(np.mean(shaped**2)))
        return shaped * np.float32(self.strength * self.ramp(frame) / max(rms, 1e-6))

    def variants(self, luma: Luma, frame: int) -> tuple[Luma, Luma]:
        """The A and B luma planes of ``frame``."""
        mark = self.mark(luma, frame)
        dither = np.random.default_rng(frame).random(luma.shape, dtype=np.float32)
        base = luma.astype(np.float32) + dither
        a = np.clip(np.floor(base + mark), 0, 255).astype(np.uint8)
        b = np.clip(np.floor(base - mark), 0, 255).astype(np.uint8)
        return a, b

    @functools.lru_cache(maxsize=4)  # noqa: B019 - a marker lives for one rendition's encode
    def _pattern(self, segment: int, width: int, height: int) -> NDArray[np.float32]:
        return segment_pattern(self.key, segment, width, height)

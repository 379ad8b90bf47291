"""Keyed, smooth, low-frequency luma patterns: one per segment, the same at every resolution.

A pattern is a grid of Gaussian values, one cell per ~40 px at 720p (18 rows, the columns following the
picture's aspect), cubic-upsampled to the frame and scaled to unit RMS. Low spatial frequency is what
survives downscaling to 360p or 240p and a low-bitrate re-encode; a different pattern per segment keeps a
pirate from averaging the stream to estimate (and subtract) one pattern. Deterministic: the grid is drawn
from a PRNG seeded with HMAC(key, segment number), so the same key and segment give the same pattern.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

import numpy as np
from numpy.typing import NDArray

from airwave.watermark.resample import cubic_matrix

GRID_ROWS = 18  # 720 px / 40 px per cell


def title_key(secret: str, media_path: str) -> bytes:
    """The pattern key of one title's media folder, derived from the runtime secret (never stored)."""
    return hmac.new(secret.encode(), b"airwave-watermark\0" + media_path.encode(), hashlib.sha256).digest()


def grid_shape(width: int, height: int) -> tuple[int, int]:
    """Grid rows and columns for a picture of this aspect."""
    return GRID_ROWS, max(1, round(GRID_ROWS * width / height))


def segment_grid(key: bytes, segment: int, shape: tuple[int, int]) -> NDArray[np.float32]:
    """The Gaussian cell values of ``segment``'s pattern."""
    seed = hmac.new(key, b"segment\0" + segment.to_bytes(8, "big"), hashlib.sha256).digest()
    rng = np.random.default_rng(int.from_bytes(seed[:16], "big"))
    return rng.standard_normal(shape).astype(np.float32)


def segment_pattern(key: bytes, segment: int, width: int, height: int) -> NDArray[np.float32]:
    """``segment``'s pattern at ``width`` x ``height``, unit RMS."""
    rows, cols = _matrices(width, height)
    pattern = rows @ segment_grid(key, segment, grid_shape(width, height)) @ cols.T
    rms = float(np.sqrt(np.mean(pattern**2)))
    return (pattern / max(rms, 1e-6)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _matrices(width: int, height: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    grid_rows, grid_cols = grid_shape(width, height)
    return cubic_matrix(height, grid_rows), cubic_matrix(width, grid_cols)

"""Perceptual masking: where in a frame the mark's energy goes.

The eye forgives a change in busy texture and sees it on a flat sky, so the mark is scaled by the local
texture (the standard deviation of ~16 x 16 px blocks at 720p, smoothly interpolated), bounded to
[MIN_GAIN, MAX_GAIN] so flat areas still carry some mark, and faded near black and white, where a change
would clip or show as banding. The total energy is fixed by the embedder (RMS = strength), so masking
moves the same energy from flat to textured areas rather than adding any.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from airwave.watermark.resample import affine_matrix, box_matrix

BLOCKS_PER_HEIGHT = 45  # 16 px blocks at 720p
REFERENCE_STD = 3.0  # block std (8-bit levels) that gets gain 1
MIN_GAIN, MAX_GAIN = 0.5, 2.5
BLACK, WHITE = 16.0, 235.0  # limited-range luma
EDGE_LEVELS = 24.0  # full gain this far inside the black..white range


def texture_mask(luma: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Per-pixel gain for ``luma`` (H x W, 8-bit): texture-driven, smooth, low near black and white."""
    height, width = luma.shape
    down_rows, down_cols, up_rows, up_cols = _matrices(width, height)
    y = luma.astype(np.float32)
    mean = down_rows @ y @ down_cols.T
    square = down_rows @ (y * y) @ down_cols.T
    std = np.sqrt(np.maximum(square - mean * mean, 0.0))
    gain = np.clip(std / REFERENCE_STD, MIN_GAIN, MAX_GAIN)
    smooth = up_rows @ gain @ up_cols.T
    headroom = np.minimum(y - BLACK, WHITE - y) / EDGE_LEVELS
    gains: NDArray[np.float32] = (smooth * np.clip(headroom, 0.1, 1.0)).astype(np.float32)
    return gains


@functools.lru_cache(maxsize=8)
def _matrices(width: int, height: int) -> tuple[NDArray[np.float32], ...]:
    rows = min(BLOCKS_PER_HEIGHT, max(2, height // 4))
    cols = max(2, round(rows * width / height))
    up_rows, _ = affine_matrix(height, rows)
    up_cols, _ = affine_matrix(width, cols)
    return box_matrix(rows, height), box_matrix(cols, width), up_rows, up_cols

"""Perceptual masking: where in a frame the mark's energy goes.

The mark is a smooth pattern of ~40 px cells, and what hides a change at that scale is structure at a similar
scale (edges, objects, foliage), not pixel-level grain: grain masks its own fine band and leaves a broad
shading change in a grainy sky as visible as in a clean one. So texture is measured on the luma with grain
suppressed (GRAIN x GRAIN averaged: white grain's std drops GRAIN-fold, 40 px structure stays), as the
standard deviation of ~16 x 16 px blocks at 720p, and turned into a gain
the way contrast masking raises the visibility threshold: 1 up to REFERENCE_STD, then growing as
(std / REFERENCE_STD) ** MASKING_EXPONENT (Legge and Foley's exponent, ~0.7, as in Watson's DCT model), and
down to MIN_GAIN on flat blocks, where any shading shows. The gain is bounded to [MIN_GAIN, MAX_GAIN],
smoothly interpolated, and faded near black and white, where a change would clip or show as banding. The
embedder fixes the total energy (RMS = strength), so masking moves energy from flat to textured areas
rather than adding any; a frame that is flat everywhere keeps an even, low-amplitude mark.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from airwave.watermark.planes import Planes
from airwave.watermark.resample import affine_matrix, box_matrix

BLOCKS_PER_HEIGHT = 45  # 16 px blocks at 720p
GRAIN = 4  # averaging that suppresses grain before texture is measured (a power of two, see below)
REFERENCE_STD = 3.0  # block std (8-bit levels, grain suppressed) that gets gain 1
MASKING_EXPONENT = 0.7
MIN_GAIN, MAX_GAIN = 0.3, 4.0
BLACK, WHITE = 16.0, 235.0  # limited-range luma
EDGE_LEVELS = 24.0  # full gain this far inside the black..white range


def texture_mask(luma: NDArray[np.uint8], planes: Planes | None = None) -> NDArray[np.float32]:
    """Per-pixel gain for ``luma`` (H x W, 8-bit): texture-driven, smooth, low on flat areas and near black
    and white. With ``planes`` the result (and the work) goes into its reused ``mask`` and ``smooth`` planes."""
    height, width = luma.shape
    small_rows, small_cols, down_rows, down_cols, up_rows, up_cols = _matrices(width, height)
    smooth_y = _grain_averaged(luma, small_rows, small_cols)
    mean = down_rows @ smooth_y @ down_cols.T
    square = down_rows @ (smooth_y * smooth_y) @ down_cols.T
    std = np.sqrt(np.maximum(square - mean * mean, 0.0))
    gain = np.clip(masking_gain(std), MIN_GAIN, MAX_GAIN)
    planes = planes or Planes()
    gains: NDArray[np.float32] = np.take(_HEADROOM, luma, out=planes.get("mask", luma.shape))
    gains *= np.matmul(up_rows @ gain, up_cols.T, out=planes.get("smooth", luma.shape))
    return gains


def masking_gain(std: NDArray[np.float32]) -> NDArray[np.float32]:
    """Visibility-threshold elevation for block standard deviations ``std``: linear from MIN_GAIN on a flat
    block to 1 at REFERENCE_STD, then a power law (contrast masking)."""
    relative = std / np.float32(REFERENCE_STD)
    below = MIN_GAIN + (1 - MIN_GAIN) * relative
    above = np.power(np.maximum(relative, 1.0), MASKING_EXPONENT)
    return np.where(relative < 1, below, above).astype(np.float32)


def headroom_gain(levels: NDArray[np.float32]) -> NDArray[np.float32]:
    """The fade near black and white for luma ``levels``: 1 from EDGE_LEVELS inside the range, down to 0.1."""
    headroom = np.minimum(levels - BLACK, WHITE - levels) / EDGE_LEVELS
    gains: NDArray[np.float32] = np.clip(headroom, 0.1, 1.0).astype(np.float32)
    return gains


# The fade depends on a pixel's level alone: one lookup per pixel instead of five float passes per frame.
_HEADROOM = headroom_gain(np.arange(256, dtype=np.float32))


def _grain_averaged(
    luma: NDArray[np.uint8], rows: NDArray[np.float32], cols: NDArray[np.float32]
) -> NDArray[np.float32]:
    """``luma`` averaged over GRAIN x GRAIN pixels: ``rows @ luma @ cols.T`` with the box matrices.

    When the picture divides into whole cells (720p, 360p) every average is a sum of 8-bit levels over a
    power of two, exact in float32 whichever way it is added, so integer sums give the matrix product's very
    values at a fraction of its cost; other sizes take the matrix product.
    """
    height, width = luma.shape
    if rows.shape[0] * GRAIN != height or cols.shape[0] * GRAIN != width:
        product: NDArray[np.float32] = rows @ luma.astype(np.float32) @ cols.T
        return product
    lines = sum((luma[i::GRAIN].astype(np.uint16) for i in range(1, GRAIN)), luma[0::GRAIN].astype(np.uint16))
    cells = sum((lines[:, i::GRAIN] for i in range(1, GRAIN)), lines[:, 0::GRAIN])
    averages: NDArray[np.float32] = cells.astype(np.float32) * np.float32(1 / GRAIN**2)
    return averages


@functools.lru_cache(maxsize=8)
def _matrices(width: int, height: int) -> tuple[NDArray[np.float32], ...]:
    small_height, small_width = max(2, height // GRAIN), max(2, width // GRAIN)
    rows = min(BLOCKS_PER_HEIGHT, max(2, small_height // 2))
    cols = max(2, round(rows * width / height))
    up_rows, _ = affine_matrix(height, rows)
    up_cols, _ = affine_matrix(width, cols)
    return (
        box_matrix(small_height, height),
        box_matrix(small_width, width),
        box_matrix(rows, small_height),
        box_matrix(cols, small_width),
        up_rows,
        up_cols,
    )

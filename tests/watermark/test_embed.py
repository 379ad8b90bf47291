"""The fast marking path embeds exactly what the mark's definition says: the grain averages and the black/white
fade taken as shortcuts, the reused work planes and the one-pass rounding change no pixel of A or B."""

from __future__ import annotations

import numpy as np
import pytest

from airwave.watermark.embed import Marker
from airwave.watermark.mask import (
    BLACK,
    EDGE_LEVELS,
    MAX_GAIN,
    MIN_GAIN,
    WHITE,
    _matrices,
    masking_gain,
    texture_mask,
)
from airwave.watermark.pattern import segment_pattern, title_key

SIZES = [(1280, 720), (640, 360), (854, 480), (160, 90)]  # 854 x 480 and 160 x 90 do not divide into 4 x 4 cells


def _frame(width: int, height: int, seed: int) -> np.ndarray:
    """Texture, flat areas, and levels at both ends of the range (where the fade and the clipping act)."""
    rng = np.random.default_rng(seed)
    frame = rng.normal(128, 40, (height, width))
    frame[: height // 4] = rng.normal(18, 3, (height // 4, width))  # near black
    frame[-height // 4 :] = rng.normal(250, 6, (height - 3 * height // 4, width))  # near and at white
    frame[:, : width // 4] = 100  # flat
    return np.clip(frame, 0, 255).astype(np.uint8)


def _defined_mask(luma: np.ndarray) -> np.ndarray:
    """The texture mask straight from its definition: box matrices, block statistics, gain, upsampling, fade."""
    height, width = luma.shape
    small_rows, small_cols, down_rows, down_cols, up_rows, up_cols = _matrices(width, height)
    y = luma.astype(np.float32)
    smooth_y = small_rows @ y @ small_cols.T
    mean = down_rows @ smooth_y @ down_cols.T
    square = down_rows @ (smooth_y * smooth_y) @ down_cols.T
    std = np.sqrt(np.maximum(square - mean * mean, 0.0))
    smooth = up_rows @ np.clip(masking_gain(std), MIN_GAIN, MAX_GAIN) @ up_cols.T
    headroom = np.clip(np.minimum(y - BLACK, WHITE - y) / EDGE_LEVELS, 0.1, 1.0)
    return (smooth * headroom).astype(np.float32)


def _defined_variants(marker: Marker, luma: np.ndarray, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """A and B straight from the definition: Y +- strength * ramp * (mask * P) / RMS, dithered, floored, clipped."""
    height, width = luma.shape
    shaped = _defined_mask(luma) * segment_pattern(marker.key, marker.segment_of(frame), width, height)
    rms = float(np.sqrt(np.mean(shaped**2)))
    mark = shaped * np.float32(marker.strength * marker.ramp(frame) / max(rms, 1e-6))
    base = luma.astype(np.float32) + np.random.default_rng(frame).random(luma.shape, dtype=np.float32)
    a = np.clip(np.floor(base + mark), 0, 255).astype(np.uint8)
    b = np.clip(np.floor(base - mark), 0, 255).astype(np.uint8)
    return a, b


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_texture_mask_is_exactly_its_definition(width: int, height: int) -> None:
    for seed in range(3):
        luma = _frame(width, height, seed)
        assert np.array_equal(texture_mask(luma), _defined_mask(luma))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_variants_change_no_pixel_of_the_defined_mark(width: int, height: int) -> None:
    key = title_key("secret", "live/news")
    for strength in (0.6, 6.0, 60.0):  # the last clips A and B at both ends of the range
        marker = Marker(key, strength, fps=25, segment_seconds=2.0)
        for frame in (0, 3, 30, 49, 50, 77):  # ramps, the middle of a segment, the next segment
            luma = _frame(width, height, frame)
            a, b = marker.variants(luma, frame)
            expected_a, expected_b = _defined_variants(marker, luma, frame)
            assert np.array_equal(a, expected_a)
            assert np.array_equal(b, expected_b)


def test_reused_planes_carry_nothing_from_one_frame_to_the_next() -> None:
    marker = Marker(title_key("secret", "film"), 0.6, fps=25, segment_seconds=2.0)
    out = (np.empty((360, 640), np.uint8), np.empty((360, 640), np.uint8))
    first = [plane.copy() for plane in marker.variants(_frame(640, 360, 1), 30, out=out)]
    marker.variants(_frame(640, 360, 2), 31, out=out)
    again = marker.variants(_frame(640, 360, 1), 30, out=out)
    fresh = Marker(title_key("secret", "film"), 0.6, fps=25, segment_seconds=2.0).variants(_frame(640, 360, 1), 30)
    for mine, other, reference in zip(again, first, fresh, strict=True):
        assert np.array_equal(mine, other)
        assert np.array_equal(mine, reference)
    assert again[0] is out[0]
    assert again[1] is out[1]

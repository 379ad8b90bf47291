from __future__ import annotations

import numpy as np

from airwave.config import Settings
from airwave.watermark.embed import Marker
from airwave.watermark.mask import MAX_GAIN, MIN_GAIN, REFERENCE_STD, masking_gain, texture_mask
from airwave.watermark.pattern import title_key

HEIGHT, WIDTH = 360, 640


def _grainy_flat(level: float = 110.0, grain: float = 3.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 12, WIDTH)[None, :]  # a gentle gradient, like a sky
    return np.clip(level + ramp + rng.normal(0, grain, (HEIGHT, WIDTH)), 0, 255).astype(np.uint8)


def _half_textured() -> np.ndarray:
    """Left half a grainy flat area, right half busy structure at the mark's scale."""
    frame = _grainy_flat().astype(np.float64)
    cells = np.random.default_rng(1).normal(0, 1, (HEIGHT // 5 + 1, WIDTH // 5 + 1))
    structure = np.kron(cells, np.ones((5, 5)))[:HEIGHT, :WIDTH]  # 5 px patches with hard edges
    frame[:, WIDTH // 2 :] += 20 * structure[:, WIDTH // 2 :]
    return np.clip(frame, 0, 255).astype(np.uint8)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


def test_gain_rises_from_flat_to_textured_and_is_bounded() -> None:
    std = np.array([0.0, REFERENCE_STD / 2, REFERENCE_STD, 4 * REFERENCE_STD, 100 * REFERENCE_STD], np.float32)
    gain = masking_gain(std)
    assert gain[0] == MIN_GAIN
    assert abs(gain[2] - 1.0) < 1e-6
    assert list(gain) == sorted(gain)
    assert 2.0 < gain[3] < 4.0  # contrast masking grows slower than the texture itself
    mask = texture_mask(_half_textured())
    assert float(mask.min()) >= 0.1 * MIN_GAIN - 1e-6
    assert float(mask.max()) <= MAX_GAIN + 1e-6


def test_grain_is_not_texture() -> None:
    clean = texture_mask(_grainy_flat(grain=0.0))
    grainy = texture_mask(_grainy_flat(grain=4.0))
    assert float(np.median(grainy)) < 0.6  # a grainy sky shows a shading change as a clean one does
    assert abs(float(np.median(grainy)) - float(np.median(clean))) < 0.25


def test_energy_moves_into_texture_and_away_from_flat_areas() -> None:
    luma = _half_textured()
    mark = Marker(title_key("secret", "film"), strength=0.4, fps=25, segment_seconds=2.0).mark(luma, 25)
    flat, busy = mark[:, 16 : WIDTH // 2 - 16], mark[:, WIDTH // 2 + 16 : -16]
    assert float(np.sqrt(np.mean(busy**2))) > 3 * float(np.sqrt(np.mean(flat**2)))


def test_fades_near_black_and_white() -> None:
    dark = texture_mask(np.full((HEIGHT, WIDTH), 18, np.uint8))
    middle = texture_mask(np.full((HEIGHT, WIDTH), 120, np.uint8))
    assert float(dark.mean()) < 0.2 * float(middle.mean())


def test_default_strength_stays_above_50_db_before_encoding_on_flat_and_textured_frames() -> None:
    marker = Marker(title_key("secret", "film"), Settings().watermark_strength, fps=25, segment_seconds=2.0)
    for luma in (_grainy_flat(grain=1.0), _half_textured()):
        a, b = marker.variants(luma, 30)
        assert min(_psnr(a, luma), _psnr(b, luma)) >= 50

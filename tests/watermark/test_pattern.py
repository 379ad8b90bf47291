from __future__ import annotations

import numpy as np

from airwave.watermark.embed import Marker
from airwave.watermark.pattern import segment_pattern, title_key


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def test_patterns_are_deterministic_keyed_and_unit_rms() -> None:
    key = title_key("secret", "000001-film")
    first = segment_pattern(key, 5, 320, 180)
    assert np.array_equal(first, segment_pattern(key, 5, 320, 180))
    assert abs(float(np.sqrt(np.mean(first**2))) - 1) < 1e-3
    assert abs(_corr(first, segment_pattern(key, 6, 320, 180))) < 0.2
    assert abs(_corr(first, segment_pattern(title_key("other", "000001-film"), 5, 320, 180))) < 0.2


def test_a_pattern_is_the_same_picture_at_every_resolution() -> None:
    key = title_key("secret", "film")
    large = segment_pattern(key, 3, 1280, 720)
    small = segment_pattern(key, 3, 320, 180)
    assert _corr(large.reshape(180, 4, 320, 4).mean(axis=(1, 3)), small) > 0.98


def test_pattern_is_smooth_low_frequency() -> None:
    pattern = segment_pattern(title_key("secret", "film"), 1, 1280, 720)
    assert float(np.abs(np.diff(pattern, axis=1)).mean()) < 0.1  # ~40 px cells: tiny pixel-to-pixel change


def test_variants_are_antipodal_at_the_set_strength_and_ramp_at_segment_edges() -> None:
    marker = Marker(title_key("secret", "film"), strength=0.8, fps=25, segment_seconds=2.0)
    luma = (np.random.default_rng(0).random((180, 320)) * 120 + 60).astype(np.uint8)
    a, b = marker.variants(luma, 25)
    half = (a.astype(float) - b.astype(float)) / 2
    assert abs(float(np.sqrt(np.mean(half**2))) - 0.8) < 0.15
    assert _corr(half, marker.mark(luma, 25)) > 0.9
    assert [marker.segment_of(f) for f in (0, 49, 50)] == [1, 1, 2]
    ramps = [marker.ramp(f) for f in range(0, 8)]
    assert ramps[0] < 0.1
    assert ramps == sorted(ramps)
    assert ramps[-1] == 1.0
    assert marker.ramp(49) < 0.1
    assert marker.ramp(50) < 0.1

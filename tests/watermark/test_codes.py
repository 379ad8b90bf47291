from __future__ import annotations

import numpy as np

from airwave.watermark.codes import code_bit, false_alarm_bound, false_alarm_bounds, new_code, position_weights, signs
from airwave.watermark.variants import variant_for


def test_bits_are_read_big_endian_and_wrap_at_the_code_length() -> None:
    code = bytes([0b10100000, 0b00000001])
    assert [code_bit(code, 16, n) for n in range(4)] == [1, 0, 1, 0]
    assert code_bit(code, 16, 15) == 1
    assert code_bit(code, 16, 16 + 2) == 1  # N mod L
    assert [variant_for(code, 16, n) for n in range(3)] == ["b", "a", "b"]


def test_new_codes_are_random_and_sized() -> None:
    codes = {new_code(4096) for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 512 for code in codes)


def test_segments_sharing_a_position_are_summed() -> None:
    positions, weights = position_weights([3, 5, 3 + 64], [1.0, 2.0, 0.5], 64)
    assert positions.tolist() == [3, 5]
    assert weights.tolist() == [1.5, 2.0]
    assert signs(bytes([0b00010000] + [0] * 7), 64, positions).tolist() == [-1.0, 1.0]


def test_full_agreement_bound_is_two_to_the_minus_positions() -> None:
    weights = np.array([3.0, 0.5, 8.0, 1.0] * 10)
    assert false_alarm_bound(weights, float(weights.sum())) == 2.0**-40
    assert false_alarm_bound(weights, -1.0) == 1.0
    assert false_alarm_bound(np.zeros(5), 0.0) == 1.0


def test_bound_holds_against_simulated_innocent_codes() -> None:
    rng = np.random.default_rng(7)
    weights = np.abs(rng.normal(4, 2, 30))
    innocent = (rng.integers(0, 2, (200_000, 30)) * 2 - 1) @ weights
    thresholds = np.quantile(innocent, [0.9, 0.99, 0.999, 0.9999])
    bounds = false_alarm_bounds(weights, thresholds)
    empirical = [(innocent >= t).mean() for t in thresholds]
    assert all(b >= e for b, e in zip(bounds, empirical, strict=True))
    assert all(b <= 20 * e for b, e in zip(bounds, empirical, strict=True))  # and not uselessly loose

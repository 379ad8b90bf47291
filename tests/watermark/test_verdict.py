from __future__ import annotations

import numpy as np

from airwave.watermark.codes import code_bit, new_code
from airwave.watermark.verdict import Candidate, judge

BITS = 256


def _candidates(count: int) -> list[Candidate]:
    return [Candidate(f"s{i}", f"user{i}@example.org", new_code(BITS), BITS) for i in range(count)]


def _capture(candidate: Candidate, numbers: range, noise: float = 0.0) -> list[float]:
    rng = np.random.default_rng(1)
    return [(4.0 if code_bit(candidate.code, BITS, n) == 0 else -4.0) + rng.normal(0, noise) for n in numbers]


def test_names_the_leaker_among_many() -> None:
    people = _candidates(50)
    numbers = range(10, 60)
    verdict = judge(list(numbers), _capture(people[7], numbers, noise=2.0), people, 1e-6)
    assert verdict.outcome == "accused"
    assert [s.session_id for s in verdict.accused] == ["s7"]
    assert verdict.ranking[0].agreement > 0.9


def test_short_capture_asks_for_more() -> None:
    people = _candidates(50)
    numbers = range(1, 13)
    verdict = judge(list(numbers), _capture(people[3], numbers), people, 1e-6)
    assert verdict.outcome == "insufficient"
    assert verdict.more_segments is not None
    assert 10 <= verdict.more_segments <= 40


def test_noise_names_no_one() -> None:
    rng = np.random.default_rng(3)
    numbers = list(range(1, 80))
    verdict = judge(numbers, rng.normal(0, 1, len(numbers)).tolist(), _candidates(200), 1e-6)
    assert verdict.outcome == "no-match"
    assert not verdict.accused


def test_two_accounts_switching_segments_are_both_caught_with_a_longer_capture() -> None:
    people = _candidates(20)
    numbers = list(range(1, 201))
    mixed = [_capture(people[n % 2], range(n, n + 1))[0] for n in numbers]
    verdict = judge(numbers, mixed, people, 1e-6)
    assert {s.session_id for s in verdict.accused} == {"s0", "s1"}


def test_without_candidates_nobody_is_named() -> None:
    verdict = judge([1, 2, 3], [5.0, -5.0, 5.0], [], 1e-6)
    assert verdict.outcome == "no-match"
    assert "no session" in verdict.message

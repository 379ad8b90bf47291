"""Per-session codes and the accusation score with its false-accusation bound. Pure numpy.

Each playback session of a marked title gets ``bits`` random bits (bit 0: variant A, 1: B; stored big-endian,
as ETSI TS 104 002 addresses pattern bits). From a capture, detection yields one weight z per segment: its
sign is the variant seen, its size the confidence. A candidate's score is the symmetric Tardos score with
bias 1/2, weighted by confidence: T = sum over code positions p of s_p * w_p, with s_p = +1 where the code
says A and -1 where it says B, and w_p the summed z of the captured segments at position p.

The bound is distribution-free. An innocent session's bits are independent of the capture (the capture was
made from other sessions' segments), so given the weights its signs are fair coin flips and its score a
weighted Rademacher sum; Chernoff's bound P(T >= t) <= inf_l exp(-l t) prod_p cosh(l w_p) then holds whatever
the capture, the attack or the detector's noise. It tends to 2^-P when every position agrees, the same
limit as a hard-decision decoder, which is why ~log2(N/eps) segments suffice instead of Hoeffding's
2 ln(N/eps). Two accounts switching segments each agree on about 3/4 of positions: the same score catches
them, with about four times the capture.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

_BISECTIONS = 60


def new_code(bits: int) -> bytes:
    """A fresh random code of ``bits`` bits."""
    return secrets.token_bytes(math.ceil(bits / 8))


def code_bit(code: bytes, bits: int, number: int) -> int:
    """The variant (0 = A, 1 = B) a session with ``code`` receives for segment ``number``: bit number mod bits."""
    position = number % bits
    return (code[position // 8] >> (7 - position % 8)) & 1


def position_weights(numbers: Sequence[int], z: Sequence[float], bits: int) -> tuple[NDArray[np.int64], Floats]:
    """Sum the weights of segments that share a code position (a capture longer than the code repeats bits)."""
    positions = np.asarray(numbers, np.int64) % bits
    unique, inverse = np.unique(positions, return_inverse=True)
    weights = np.zeros(len(unique))
    np.add.at(weights, inverse, np.asarray(z, np.float64))
    return unique, weights


def signs(code: bytes, bits: int, positions: NDArray[np.int64]) -> Floats:
    """+1 where ``code`` gives variant A at each position, -1 where B."""
    table = np.unpackbits(np.frombuffer(code, np.uint8))[:bits]
    return 1.0 - 2.0 * table[positions].astype(np.float64)


def false_alarm_bounds(weights: Floats, scores: Floats) -> Floats:
    """For each score, a bound on the probability that an innocent code reaches it (Chernoff, see module)."""
    w = weights[weights != 0]
    scores = np.atleast_1d(np.asarray(scores, np.float64))
    total = float(np.abs(w).sum())
    out = np.ones_like(scores)
    if not len(w):
        return out
    for index, score in enumerate(scores):
        if score <= 0:
            continue
        if score >= total * (1 - 1e-12):
            out[index] = 2.0 ** -len(w) if score <= total * (1 + 1e-12) else 0.0
            continue
        out[index] = math.exp(_chernoff_exponent(w, float(score)))
    return out


def false_alarm_bound(weights: Floats, score: float) -> float:
    """:func:`false_alarm_bounds` for one score."""
    return float(false_alarm_bounds(weights, np.array([score]))[0])


def _chernoff_exponent(w: Floats, score: float) -> float:
    # f(l) = -l t + sum log cosh(l w) is convex with f'(0) = -t < 0; find f'(l) = 0 by bisection.
    high = 1.0
    while _slope(w, score, high) < 0 and high < 1e6:
        high *= 2
    low = 0.0
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2
        low, high = (middle, high) if _slope(w, score, middle) < 0 else (low, middle)
    lam = (low + high) / 2
    return min(0.0, -lam * score + float(np.sum(_log_cosh(lam * w))))


def _slope(w: Floats, score: float, lam: float) -> float:
    return -score + float(np.sum(w * np.tanh(lam * w)))


def _log_cosh(x: Floats) -> Floats:
    a = np.abs(x)
    result: Floats = a + np.log1p(np.exp(-2 * a)) - math.log(2)
    return result

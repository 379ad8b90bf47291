"""Deciding from per-segment weights whom to accuse, if anyone, and what more capture would take. Pure.

Every candidate is scored (:mod:`airwave.watermark.codes`); a candidate is accused when the bound on an
innocent reaching its score, multiplied by the number of candidates (a union bound over everyone scored),
is at most the false-accusation setting. Otherwise the strongest candidate's evidence per segment gives an
estimate of how many segments would be enough, or, when nobody matches at all, the trace says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from airwave.watermark.codes import false_alarm_bound, position_weights, signs

EVIDENCE = 0.01  # a best candidate weaker than this (after the union bound) matches nobody


@dataclass(frozen=True)
class Candidate:
    """A session that may have leaked: its code and whom it belongs to."""

    session_id: str
    account: str
    code: bytes
    bits: int


@dataclass(frozen=True)
class Suspect:
    """A scored candidate; ``bound`` is the probability an innocent scores this high, over all candidates."""

    session_id: str
    account: str
    score: float
    bound: float
    agreement: float  # share of captured positions whose variant matches this session's code


@dataclass(frozen=True)
class Verdict:
    """The outcome: ``accused`` (names), ``insufficient`` (needs more capture) or ``no-match``."""

    outcome: str
    accused: tuple[Suspect, ...]
    ranking: tuple[Suspect, ...]  # every candidate, strongest first
    segments: int  # code positions the capture covered
    more_segments: int | None  # estimate of the extra segments needed, for ``insufficient``
    message: str


def judge(numbers: Sequence[int], z: Sequence[float], candidates: Sequence[Candidate], epsilon: float) -> Verdict:
    """Score every candidate against the captured segments (``numbers``, weights ``z``) and decide."""
    population = max(1, len(candidates))
    floor = math.ceil(math.log2(population / epsilon))
    ranking = sorted((_suspect(numbers, z, c, population) for c in candidates), key=lambda s: (s.bound, -s.score))
    used = len(set(numbers))
    if not candidates:
        message = "no session of this title holds a watermark code (in that time window): nobody to accuse"
        return Verdict("no-match", (), (), used, None, message)
    accused = tuple(s for s in ranking if s.bound <= epsilon)
    if accused:
        names = ", ".join(f"session {s.session_id} ({s.account})" for s in accused)
        return Verdict("accused", accused, tuple(ranking), used, None, f"leak traced to {names}")
    best = ranking[0] if ranking else None
    if best is not None and best.bound < EVIDENCE and used:
        rate = math.log(best.bound / population) / used  # log of the per-candidate bound per segment
        more = max(1, math.ceil(math.log(epsilon / population) / rate) - used)
        message = f"a session matches but the evidence is short: capture about {more} more segments"
        return Verdict("insufficient", (), tuple(ranking), used, more, message)
    if used < floor:
        more = floor - used
        message = f"too little capture to name anyone among {population} sessions: capture {more} more segments"
        return Verdict("insufficient", (), tuple(ranking), used, more, message)
    message = "no candidate session matches: the capture is unmarked, or from a session outside the candidates"
    return Verdict("no-match", (), tuple(ranking), used, None, message)


def _suspect(numbers: Sequence[int], z: Sequence[float], candidate: Candidate, population: int) -> Suspect:
    positions, weights = position_weights(numbers, z, candidate.bits)
    expected = signs(candidate.code, candidate.bits, positions)
    score = float(np.dot(expected, weights))
    agreement = float(np.mean(np.sign(weights) == expected)) if len(weights) else 0.0
    bound = min(1.0, population * false_alarm_bound(weights, score))
    return Suspect(candidate.session_id, candidate.account, score, bound, agreement)

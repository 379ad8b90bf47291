"""Reading the A/B bits out of a capture: align it, then correlate each segment against A - B.

For a capture frame matched to reference frame j of segment N: M = (A_j + B_j) / 2 is what either variant
shows and D = (A_j - B_j) / 2 the mark (as our encoder left it), both warped to the capture's geometry. The
residual R = C - p(M), with p a per-frame quadratic photometric fit, holds +D for A, -D for B, plus noise.
S_N = sum over the segment's frames of <R, D>: its sign is the bit. The noise level comes from correlating
the same residuals with D moved to unrelated places (spatial shifts of a pattern with no long-range
structure), and z_N = S_N / noise is the segment's weight: sign = bit, size = confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from airwave.errors import BadRequest
from airwave.watermark.align import Geometry, fit_geometry, photometric_fit, search_time
from airwave.watermark.cores import one_core
from airwave.watermark.frames import Clip
from airwave.watermark.reference import Reference

MIN_TIME_MATCH = 0.5  # mean thumbnail correlation below which the capture is not this title
MIN_SHARE = 0.3  # a segment counts once the capture holds this share of its frames
GEOMETRY_FRAMES = 8
NULL_SHIFTS = ((1 / 2, 0), (0, 1 / 2), (1 / 2, 1 / 2), (1 / 4, 3 / 4), (3 / 4, 1 / 4), (1 / 3, 2 / 3))


class CaptureMismatch(BadRequest):
    """The capture does not show the title it is traced against."""


@dataclass(frozen=True)
class SegmentScore:
    """One captured segment: its number, weight z (sign = variant, + is A) and the frames that voted."""

    number: int
    z: float
    frames: int


@dataclass(frozen=True)
class Detection:
    """Everything read from one capture."""

    segments: tuple[SegmentScore, ...]
    start_seconds: float  # where in the title the capture starts
    time_match: float
    geometry: Geometry
    geometry_match: float


def detect(capture: Clip, reference: Reference) -> Detection:
    """Align ``capture`` with ``reference`` and score every segment it covers.

    Raises:
        CaptureMismatch: the capture's pictures do not match the title anywhere.
    """
    with one_core():  # one core: the trace must not starve the origin
        ref_thumbs, _starts = reference.index()
        fps = reference.fps
        offset, time_match, _crop = search_time(capture.frames, capture.times, ref_thumbs, fps)
        if time_match < MIN_TIME_MATCH:
            raise CaptureMismatch(
                f"the capture does not match this title (best picture correlation {time_match:.2f}): "
                "check --title, or capture the programme itself rather than an overlay"
            )
        matched = np.round(capture.times * fps).astype(int) + offset
        keep = np.flatnonzero(matched < len(ref_thumbs))
        geometry, geometry_match = _geometry(capture, reference, matched, keep)
        segments = _score(capture, reference, matched, keep, geometry)
    return Detection(segments, offset / fps, time_match, geometry, geometry_match)


def _geometry(
    capture: Clip, reference: Reference, matched: NDArray[np.int64], keep: NDArray[np.intp]
) -> tuple[Geometry, float]:
    picks = keep[np.linspace(0, len(keep) - 1, min(GEOMETRY_FRAMES, len(keep))).round().astype(int)]
    ref = np.stack([reference.frame(int(matched[i])) for i in picks])
    return fit_geometry(capture.frames[picks], ref)


def _score(
    capture: Clip, reference: Reference, matched: NDArray[np.int64], keep: NDArray[np.intp], geometry: Geometry
) -> tuple[SegmentScore, ...]:
    _, height, width = capture.frames.shape
    warp = geometry.warp(width, height, *reference.size)
    sums: dict[int, NDArray[np.float64]] = {}
    counts: dict[int, int] = {}
    for i in keep:
        position, local = reference.locate(int(matched[i]))
        a, b = reference.pair(position)
        if local >= len(a) or local >= len(b):
            continue
        model = warp((a[local].astype(np.float32) + b[local]) / 2)
        mark = warp((a[local].astype(np.float32) - b[local]) / 2)
        residual = photometric_fit(capture.frames[i].astype(np.float32), model, warp.valid)
        sums.setdefault(position, np.zeros(1 + len(NULL_SHIFTS)))
        sums[position] += _correlations(residual, mark)
        counts[position] = counts.get(position, 0) + 1
    return _normalise(sums, counts, reference, capture, matched)


def _correlations(residual: NDArray[np.float32], mark: NDArray[np.float32]) -> NDArray[np.float64]:
    height, width = mark.shape
    values = [float(np.vdot(residual, mark))]
    for dy, dx in NULL_SHIFTS:
        shifted = np.roll(mark, (round(dy * height), round(dx * width)), axis=(0, 1))
        values.append(float(np.vdot(residual, shifted)))
    return np.asarray(values)


def _normalise(
    sums: dict[int, NDArray[np.float64]],
    counts: dict[int, int],
    reference: Reference,
    capture: Clip,
    matched: NDArray[np.int64],
) -> tuple[SegmentScore, ...]:
    if not sums:
        return ()
    fps = reference.fps
    segment_frames = fps * reference.duration / max(len(reference.uris), 1)
    share = len(capture.frames) / max(1.0, float(np.ptp(matched) + 1))  # capture frames per reference frame
    noise = {p: float(np.sqrt(np.mean(v[1:] ** 2))) for p, v in sums.items()}
    pooled = float(np.median(list(noise.values())))
    scores = []
    for position in sorted(sums):
        if counts[position] < MIN_SHARE * segment_frames * share:
            continue
        sigma = np.sqrt((noise[position] ** 2 + pooled**2) / 2)
        z = float(sums[position][0] / max(sigma, 1e-9))
        scores.append(SegmentScore(reference.numbers[position], z, counts[position]))
    return tuple(scores)

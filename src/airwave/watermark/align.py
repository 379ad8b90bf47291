"""Aligning a capture with our reference: where in the title it starts, and how it was cropped or scaled.

Pure numpy on decoded luma frames. Time: normalised correlation of tiny thumbnails over every start
offset, mapping capture *times* (not frame numbers) to reference frames, so a 25 -> 30 fps conversion or
dropped frames do not matter. Space: one affine map per axis from capture to reference coordinates covers
crop, scale, letterbox and pillarbox; a coarse grid then a pattern search maximise the correlation of
matched frames. Photometry (brightness, contrast, gamma) is undone per frame by :func:`photometric_fit`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from airwave.watermark.cores import one_core
from airwave.watermark.resample import affine_matrix, box_matrix

THUMB = (32, 18)
SAMPLES = 96  # capture frames compared per candidate offset
MIN_COVERAGE = 0.5  # share of sampled frames that must fall inside the reference
CROPS = (0.0, 0.04, 0.08, 0.12)  # centred crops tried while searching the start

Floats = NDArray[np.float32]


@dataclass(frozen=True)
class Geometry:
    """Capture coordinate u in [0, 1] shows reference coordinate ``scale * u + shift``, per axis."""

    scale_x: float = 1.0
    shift_x: float = 0.0
    scale_y: float = 1.0
    shift_y: float = 0.0

    def warp(self, width: int, height: int, ref_width: int, ref_height: int) -> Warp:
        """Matrices taking a reference frame to this capture's pixel grid."""
        rows, inside_y = affine_matrix(height, ref_height, self.scale_y, self.shift_y)
        cols, inside_x = affine_matrix(width, ref_width, self.scale_x, self.shift_x)
        return Warp(rows, cols.T.copy(), np.outer(inside_y, inside_x))


@dataclass(frozen=True)
class Warp:
    rows: Floats
    cols_t: Floats
    valid: NDArray[np.bool_]

    def __call__(self, frame: NDArray[np.generic]) -> Floats:
        return np.asarray(self.rows @ frame.astype(np.float32) @ self.cols_t, np.float32)


def thumbnails(frames: NDArray[np.uint8]) -> Floats:
    """Each frame as a THUMB-sized picture (flattened), the reference side of :func:`time_offset`."""
    _, height, width = frames.shape
    rows, cols = box_matrix(THUMB[1], height), box_matrix(THUMB[0], width)
    return np.asarray((rows @ frames.astype(np.float32) @ cols.T).reshape(len(frames), -1), np.float32)


def capture_thumbnails(frames: NDArray[np.uint8], geometry: Geometry) -> tuple[Floats, NDArray[np.bool_]]:
    """The capture resampled onto the reference's thumbnail grid assuming ``geometry``, and which thumbnail
    pixels it covers (a cropped capture does not show the reference's edges)."""
    small = _downscale(frames, 2 * THUMB[0], 2 * THUMB[1]).astype(np.float32)
    # A reference coordinate x shows in the capture at u = (x - shift) / scale.
    rows, inside_y = affine_matrix(THUMB[1], small.shape[1], 1 / geometry.scale_y, -geometry.shift_y / geometry.scale_y)
    cols, inside_x = affine_matrix(THUMB[0], small.shape[2], 1 / geometry.scale_x, -geometry.shift_x / geometry.scale_x)
    thumbs = (rows @ small @ cols.T).reshape(len(frames), -1)
    return np.asarray(thumbs, np.float32), np.outer(inside_y, inside_x).reshape(-1)


def search_time(
    frames: NDArray[np.uint8], times: NDArray[np.float64], reference: Floats, fps: float
) -> tuple[int, float, Geometry]:
    """:func:`time_offset` over a few centred crops (fine texture decorrelates under even a small crop);
    the best start frame, its correlation, and the crop that gave it."""
    best: tuple[int, float, Geometry] = (0, -1.0, Geometry())
    for crop in CROPS:
        geometry = Geometry(1 - crop, crop / 2, 1 - crop, crop / 2)
        thumbs, valid = capture_thumbnails(frames, geometry)
        offset, match = time_offset(thumbs, valid, times, reference, fps)
        if match > best[1]:
            best = (offset, match, geometry)
    return best


def time_offset(
    capture: Floats, valid: NDArray[np.bool_], times: NDArray[np.float64], reference: Floats, fps: float
) -> tuple[int, float]:
    """Reference frame at which the capture starts, and the mean correlation there.

    ``capture`` and ``reference`` are thumbnails on the same grid, compared on the ``valid`` pixels;
    ``times`` are the capture's frame times in seconds.
    """
    capture, reference = _normalise(capture[:, valid]), _normalise(reference[:, valid])
    picks = np.unique(np.linspace(0, len(capture) - 1, min(SAMPLES, len(capture))).round().astype(int))
    base = np.round(times[picks] * fps).astype(int)
    scores = capture[picks] @ reference.T  # (samples, reference frames)
    offsets = np.arange(len(reference))
    index = base[:, None] + offsets[None, :]
    inside = index < len(reference)
    gathered = np.where(inside, np.take_along_axis(scores, np.minimum(index, len(reference) - 1), axis=1), 0.0)
    coverage = inside.mean(axis=0)
    mean = gathered.sum(axis=0) / np.maximum(inside.sum(axis=0), 1)
    mean[coverage < MIN_COVERAGE] = -1.0
    best = int(np.argmax(mean))
    return best, float(mean[best])


def fit_geometry(capture: NDArray[np.uint8], reference: NDArray[np.uint8]) -> tuple[Geometry, float]:
    """The geometry that best maps matched ``reference`` frames onto ``capture`` frames, and its correlation."""
    with one_core():  # small products: threads only spin
        return _fit_geometry(capture, reference)


def _fit_geometry(capture: NDArray[np.uint8], reference: NDArray[np.uint8]) -> tuple[Geometry, float]:
    coarse = _downscale(capture, 64), _downscale(reference, 64)
    grid = (
        Geometry(s * a, (1 - s * a) / 2 + dx, s, (1 - s) / 2 + dy)
        for s, a, dx, dy in itertools.product(
            np.arange(0.80, 1.26, 0.025), (1.0, 0.95, 1.05), (-0.04, 0.0, 0.04), (-0.04, 0.0, 0.04)
        )
    )
    best = max(grid, key=lambda g: _match(g, *coarse))
    return _refine(best, capture, reference)


def photometric_fit(capture: Floats, model: Floats, valid: NDArray[np.bool_]) -> Floats:
    """``capture`` minus its least-squares quadratic prediction from ``model`` (zero outside ``valid``)."""
    c, m = capture[valid], model[valid]
    scale = max(float(m.std()), 1e-3)
    mn = (m - m.mean()) / scale
    design = np.stack([np.ones_like(mn), mn, mn * mn], axis=1)
    coef, *_ = np.linalg.lstsq(design, c, rcond=None)
    residual = np.zeros_like(capture)
    residual[valid] = c - design @ coef
    return residual


def _refine(start: Geometry, capture: NDArray[np.uint8], reference: NDArray[np.uint8]) -> tuple[Geometry, float]:
    best, score = start, _match(start, capture, reference)
    for step in (0.02, 0.01, 0.005, 0.0025, 0.00125):
        improved = True
        while improved:
            improved = False
            for field, sign in itertools.product(("scale_x", "shift_x", "scale_y", "shift_y"), (1, -1)):
                trial = replace(best, **{field: getattr(best, field) + sign * step})
                trial_score = _match(trial, capture, reference)
                if trial_score > score + 1e-6:
                    best, score, improved = trial, trial_score, True
    return best, score


def _match(geometry: Geometry, capture: NDArray[np.uint8], reference: NDArray[np.uint8]) -> float:
    _, height, width = capture.shape
    warp = geometry.warp(width, height, reference.shape[2], reference.shape[1])
    if warp.valid.mean() < 0.3:
        return -1.0
    a = capture[:, warp.valid].astype(np.float32)
    b = (warp.rows @ reference.astype(np.float32) @ warp.cols_t)[:, warp.valid]
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    norms = np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-6)
    return float(np.mean(np.sum(a * b, axis=1) / norms))


def _normalise(vectors: Floats) -> Floats:
    centred = vectors - vectors.mean(axis=1, keepdims=True)
    return np.asarray(centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-6), np.float32)


def _downscale(frames: NDArray[np.uint8], width: int, height: int | None = None) -> NDArray[np.uint8]:
    _, h, w = frames.shape
    height = height or max(2, round(width * h / w))
    rows, cols = box_matrix(height, h), box_matrix(width, w)
    return (rows @ frames.astype(np.float32) @ cols.T).round().astype(np.uint8)

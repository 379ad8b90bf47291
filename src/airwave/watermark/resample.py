"""Separable resampling as matrices: ``rows @ image @ cols.T`` resizes, crops or pads an image.

Pure numpy. Marks and detection work on whole frames at a few hundred pixels, where two small matrix
products beat any per-pixel interpolation loop and express crop, scale and letterbox in one affine map
per axis.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float32]


def cubic_matrix(n_out: int, n_in: int) -> Matrix:
    """Keys cubic interpolation (a = -0.5) of ``n_in`` cell values onto ``n_out`` pixels spanning the same extent."""
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    base = np.floor(centres).astype(int)
    matrix = np.zeros((n_out, n_in), np.float32)
    for tap in range(-1, 3):
        weight = _keys(centres - (base + tap))
        np.add.at(matrix, (np.arange(n_out), np.clip(base + tap, 0, n_in - 1)), weight)
    return matrix


def affine_matrix(n_out: int, n_in: int, scale: float = 1.0, shift: float = 0.0) -> tuple[Matrix, NDArray[np.bool_]]:
    """Linear interpolation sampling input coordinate ``scale * u + shift`` at output coordinate ``u``.

    Coordinates are normalised to [0, 1] across each image. Returns the matrix and, per output pixel,
    whether it falls inside the input (outside: a crop margin or letterbox bar; its row is zero).
    """
    u = (np.arange(n_out) + 0.5) / n_out
    x = (scale * u + shift) * n_in - 0.5
    inside = (x >= -0.5) & (x <= n_in - 0.5)
    x = np.clip(x, 0, n_in - 1)
    low = np.minimum(np.floor(x).astype(int), n_in - 2) if n_in > 1 else np.zeros(n_out, int)
    frac = (x - low).astype(np.float32)
    matrix = np.zeros((n_out, n_in), np.float32)
    rows = np.arange(n_out)
    matrix[rows, low] = 1 - frac
    if n_in > 1:
        matrix[rows, low + 1] += frac
    matrix[~inside] = 0
    return matrix, inside


def box_matrix(n_out: int, n_in: int) -> Matrix:
    """Area averaging of ``n_in`` pixels into ``n_out`` (for thumbnails and block statistics)."""
    edges = np.linspace(0, n_in, n_out + 1)
    matrix = np.zeros((n_out, n_in), np.float32)
    for row in range(n_out):
        start, end = edges[row], edges[row + 1]
        for col in range(int(start), min(int(np.ceil(end)), n_in)):
            matrix[row, col] = min(end, col + 1) - max(start, col)
        matrix[row] /= matrix[row].sum()
    return matrix


def _keys(distance: NDArray[np.float64]) -> NDArray[np.float32]:
    d = np.abs(distance)
    near = 1.5 * d**3 - 2.5 * d**2 + 1
    far = -0.5 * d**3 + 2.5 * d**2 - 4 * d + 2
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0)).astype(np.float32)

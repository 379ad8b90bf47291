"""Work planes reused from frame to frame while marking.

A 720p float32 plane is 3.7 MB: allocating a fresh one per step and frame costs the kernel's page faults
(about a millisecond each), more than the arithmetic done in it. A marker keeps its planes and fills them
in place instead. One set of planes per marker, and a marker is used from one thread.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class Planes:
    """Float32 planes by role and shape, made on first use and then reused."""

    def __init__(self) -> None:
        self._planes: dict[tuple[str, tuple[int, ...]], NDArray[np.float32]] = {}

    def get(self, role: str, shape: tuple[int, ...]) -> NDArray[np.float32]:
        """The ``role`` plane of ``shape``: its previous contents are left as they were, to be overwritten."""
        plane = self._planes.get((role, shape))
        if plane is None:
            plane = self._planes[(role, shape)] = np.empty(shape, np.float32)
        return plane

"""Keeping numpy's linear algebra on one core.

Marking runs beside three ffmpeg processes and tracing beside the origin; the matrix products here are
small, and OpenBLAS worker threads would only spin against them (measured: a frame's mask took 16 ms with
threads against 0.5 ms without).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]


def one_core() -> AbstractContextManager[Any]:
    """A context in which BLAS uses one thread."""
    limits: AbstractContextManager[Any] = threadpool_limits(limits=1, user_api="blas")
    return limits

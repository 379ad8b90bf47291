"""Watch progress: where a subscriber stopped in a title, and where playback should resume."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.clock import Clock
from airwave.errors import BadRequest
from airwave.store.tables import WatchProgress

# Resuming a few seconds in, or in the closing credits, helps nobody: start from the top instead.
MIN_RESUME_SECONDS = 5.0
FINISHED_FRACTION = 0.95


def get_progress(session: Session, user_id: int, title_id: int) -> WatchProgress | None:
    """The user's progress in a title, or None if they never played it."""
    return session.scalar(
        select(WatchProgress).where(WatchProgress.user_id == user_id, WatchProgress.title_id == title_id)
    )


def save_progress(
    session: Session, clock: Clock, user_id: int, title_id: int, *, position: float, duration: float
) -> WatchProgress:
    """Record that the user is at ``position`` seconds of ``duration`` in the title.

    Raises:
        BadRequest: a negative or non-finite position or duration.
    """
    for label, value in (("position", position), ("duration", duration)):
        if not 0 <= value < float("inf"):
            raise BadRequest(f"{label} must be a number of seconds, zero or more, not {value}")
    if duration:
        position = min(position, duration)
    progress = get_progress(session, user_id, title_id)
    if progress is None:
        progress = WatchProgress(user_id=user_id, title_id=title_id, position=position)
        session.add(progress)
    progress.position = position
    progress.duration = duration
    progress.updated_at = clock.now()
    session.flush()
    return progress


def resume_point(progress: WatchProgress | None) -> float:
    """Where playback should start: the saved position, or 0 when barely started or (nearly) finished."""
    if progress is None or progress.position < MIN_RESUME_SECONDS:
        return 0.0
    if progress.duration and progress.position >= progress.duration * FINISHED_FRACTION:
        return 0.0
    return progress.position

"""``airwave trace``: from a pirate's capture of a marked title to the session (and account) that leaked it.

I/O around the pure parts: the title's marked rendition closest above analysis size is the reference, the
candidates are every session with a watermark code for the title (optionally only those open around a
given time), the capture is decoded and detected (:mod:`airwave.watermark.detect`) and the verdict decided
(:mod:`airwave.watermark.verdict`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.catalog.titles import get_title, media_folder
from airwave.errors import BadRequest, Conflict
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession, Title, User
from airwave.store.watermark import WatermarkCode
from airwave.watermark.detect import Detection, detect
from airwave.watermark.frames import ANALYSIS_HEIGHT, decode_file
from airwave.watermark.reference import Reference
from airwave.watermark.verdict import Candidate, Verdict, judge


@dataclass(frozen=True)
class Trace:
    """A finished trace: what was read from the capture and whom it points to."""

    title_id: int
    detection: Detection
    verdict: Verdict
    seconds: float  # capture duration analysed


def trace_title(runtime: Runtime, capture: Path, title_id: int, *, around: dt.datetime | None = None) -> Trace:
    """Trace ``capture`` against the sessions that watched title ``title_id``.

    Raises:
        NotFound: no such title, or it has no watermark variants.
        Conflict: the title has no published media.
        InvalidMedia: the capture cannot be read.
        CaptureMismatch: the capture does not show this title.
    """
    with runtime.db.session() as session:
        title = get_title(session, title_id)
        reference = _reference(runtime, title)
        candidates = load_candidates(session, title_id, around)
    clip = decode_file(capture)
    detection = detect(clip, reference)
    numbers = [s.number for s in detection.segments]
    verdict = judge(numbers, [s.z for s in detection.segments], candidates, runtime.settings.trace_false_accusation)
    return Trace(title_id, detection, verdict, float(clip.times[-1]) if len(clip.times) else 0.0)


def load_candidates(session: Session, title_id: int, around: dt.datetime | None = None) -> list[Candidate]:
    """Every session of the title holding a watermark code; with ``around``, only those open at that time."""
    query = (
        select(WatermarkCode, PlaybackSession, User)
        .join(PlaybackSession, PlaybackSession.id == WatermarkCode.session_id)
        .join(User, User.id == PlaybackSession.user_id)
        .where(WatermarkCode.title_id == title_id)
    )
    if around is not None:
        query = query.where(PlaybackSession.created_at <= around, PlaybackSession.expires_at >= around)
    rows = session.execute(query.order_by(WatermarkCode.created_at)).all()
    return [Candidate(code.session_id, user.email, code.code, code.bits) for code, _playback, user in rows]


def _reference(runtime: Runtime, title: Title) -> Reference:
    folder = media_folder(runtime.settings, title)
    videos = [r for r in title.renditions if r.kind == "video" and r.width and r.height]
    if folder is None or not videos:
        raise Conflict(f"title {title.id} has no published video to trace against")
    marked = [r for r in videos if (folder / r.name / "a").is_dir()]
    if not marked:
        raise BadRequest(f"title {title.id} is not watermarked: only titles ingested with --watermark can be traced")
    above = [r for r in marked if (r.height or 0) >= ANALYSIS_HEIGHT * 1.25]
    choice = min(above, key=lambda r: r.height or 0) if above else max(marked, key=lambda r: r.height or 0)
    return Reference(folder / choice.name, choice.width or 0, choice.height or 0)

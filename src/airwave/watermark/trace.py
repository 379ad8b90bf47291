"""``airwave trace``: from a pirate's capture of a marked title or channel to the session (and account) that
leaked it.

I/O around the pure parts: the reference is the title's marked rendition closest above analysis size, or
for a live channel the marked segments of its DVR around the capture's time
(:mod:`airwave.watermark.live_reference`); the candidates are every session with a watermark code for that
title or channel (optionally only those open around a given time); the capture is decoded and detected
(:mod:`airwave.watermark.detect`) and the verdict decided (:mod:`airwave.watermark.verdict`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from airwave.catalog.titles import get_title, media_folder
from airwave.channels.service import get_channel
from airwave.errors import BadRequest, Conflict
from airwave.runtime import Runtime
from airwave.store.tables import PlaybackSession, Title, User
from airwave.store.watermark import WatermarkCode
from airwave.watermark.detect import Detection, detect
from airwave.watermark.frames import ANALYSIS_HEIGHT, Clip, decode_file
from airwave.watermark.live_reference import channel_reference
from airwave.watermark.reference import Reference
from airwave.watermark.verdict import Candidate, Verdict, judge

SHOWN = 10  # candidates listed besides the accused
LIVE_MARGIN = 600.0  # seconds of DVR searched either side of --around, beyond the capture's own length

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Trace:
    """A finished trace: what was read from the capture and whom it points to."""

    title_id: int | None
    detection: Detection
    verdict: Verdict
    seconds: float  # capture duration analysed
    channel: str | None = None

    @property
    def content(self) -> str:
        """What was traced, for people: "title 12" or "channel news"."""
        return f"channel {self.channel}" if self.channel is not None else f"title {self.title_id}"


def trace_title(
    runtime: Runtime,
    capture: Path,
    title_id: int,
    *,
    around: dt.datetime | None = None,
    on_progress: Progress | None = None,
) -> Trace:
    """Trace ``capture`` against the sessions that watched title ``title_id``.

    Raises:
        NotFound: no such title, or it has no watermark variants.
        Conflict: the title has no published media.
        InvalidMedia: the capture cannot be read.
        CaptureMismatch: the capture does not show this title.
    """
    report = on_progress or _quiet
    report(0.0, "reading the title's watermark variants")
    with runtime.db.session() as session:
        title = get_title(session, title_id)
        reference = _reference(runtime, title)
        candidates = load_candidates(session, WatermarkCode.title_id == title_id, around)
    report(0.05, "decoding the capture")
    clip = decode_file(capture)
    detection, verdict = _decide(runtime, clip, reference, candidates, report)
    return Trace(title_id, detection, verdict, _seconds(clip))


def trace_channel(
    runtime: Runtime,
    capture: Path,
    slug: str,
    *,
    around: dt.datetime | None = None,
    on_progress: Progress | None = None,
) -> Trace:
    """Trace ``capture`` against the sessions that watched live channel ``slug``.

    The reference is the channel's DVR: within ``LIVE_MARGIN`` plus the capture's length of ``around``, or
    all of it (slower) without ``around``. Leaks are traced while the DVR still holds the segments.

    Raises:
        NotFound: no such channel.
        Conflict: the channel has recorded nothing.
        BadRequest: no watermarked segment in the DVR for that time.
        InvalidMedia: the capture cannot be read.
        CaptureMismatch: the capture does not show the channel in that time.
    """
    report = on_progress or _quiet
    with runtime.db.session() as session:
        get_channel(session, slug)
        candidates = load_candidates(session, WatermarkCode.channel == slug, around)
    report(0.02, "decoding the capture")
    clip = decode_file(capture)
    seconds = _seconds(clip)
    window = None
    if around is not None:
        reach = seconds + LIVE_MARGIN
        window = (around.timestamp() - reach, around.timestamp() + reach)
    report(0.1, "reading the channel's watermark variants")
    with tempfile.TemporaryDirectory(prefix="airwave-trace-") as work:
        reference = channel_reference(runtime.settings, slug, window, Path(work))
        detection, verdict = _decide(runtime, clip, reference, candidates, report)
    return Trace(None, detection, verdict, seconds, channel=slug)


def _decide(
    runtime: Runtime, clip: Clip, reference: Reference, candidates: list[Candidate], report: Progress
) -> tuple[Detection, Verdict]:
    report(0.15, "aligning the capture and reading one bit per segment")
    detection = detect(clip, reference)
    report(0.95, "scoring the candidate sessions")
    numbers = [s.number for s in detection.segments]
    verdict = judge(numbers, [s.z for s in detection.segments], candidates, runtime.settings.trace_false_accusation)
    report(1.0, verdict.message)
    return detection, verdict


def _seconds(clip: Clip) -> float:
    return float(clip.times[-1]) if len(clip.times) else 0.0


def _quiet(_done: float, _message: str) -> None:
    """Progress goes nowhere (the CLI prints only the result)."""


def load_candidates(
    session: Session, content: ColumnElement[bool], around: dt.datetime | None = None
) -> list[Candidate]:
    """Every session holding a watermark code for ``content`` (a condition on :class:`WatermarkCode`, e.g.
    ``WatermarkCode.title_id == 3``); with ``around``, only those open at that time."""
    query = (
        select(WatermarkCode, PlaybackSession, User)
        .join(PlaybackSession, PlaybackSession.id == WatermarkCode.session_id)
        .join(User, User.id == PlaybackSession.user_id)
        .where(content)
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


def trace_report(result: Trace) -> dict[str, Any]:
    """The JSON form of a trace (``airwave trace --json``, the admin trace page)."""
    verdict, detection = result.verdict, result.detection
    accused = {suspect.session_id for suspect in verdict.accused}
    listed = [s for s in verdict.ranking if s.session_id in accused] + [
        s for s in verdict.ranking if s.session_id not in accused
    ][:SHOWN]
    sessions = [
        {"session_id": s.session_id, "account": s.account, "accused": s.session_id in accused,
         "score": round(s.score, 3), "bound": s.bound, "agreement": round(s.agreement, 3),
         "segments_used": verdict.segments}
        for s in listed
    ]  # fmt: skip
    return {
        "title": result.title_id,
        "channel": result.channel,
        "outcome": verdict.outcome,
        "message": verdict.message,
        "segments_used": verdict.segments,
        "more_segments": verdict.more_segments,
        "candidates": len(verdict.ranking),
        "capture_seconds": round(result.seconds, 2),
        "starts_at_seconds": round(detection.start_seconds, 2),
        "sessions": sessions,
    }

"""Ingest: turn one file into a published title. Probe, encode into staging, publish atomically.

Publishing moves the finished folder from ``<data>/staging`` into ``<data>/media`` (a rename on one file
system) and then commits the title and its renditions in one transaction; if the commit fails the folder is
removed again. Whatever happens before the commit, no title exists and nothing under ``media/`` is
referenced, and :func:`~airwave.catalog.jobs.recover_interrupted` sweeps any leftovers.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from airwave.catalog.jobs import JobReporter, ProgressCallback, claim, job_folder
from airwave.catalog.titles import create_title, find_or_create_series, get_title
from airwave.errors import IngestCancelled
from airwave.media.ffmpeg import find_ffmpeg
from airwave.media.languages import Language, language
from airwave.media.plan import EncodePlan, plan_encode
from airwave.media.probe import probe, probe_subtitles
from airwave.media.transcode import Transcoded, transcode
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob, Rendition, Title
from airwave.watermark.costs import TitleCost, write_title_cost
from airwave.watermark.encode import mark_staged

log = logging.getLogger(__name__)

PROBED = 0.02  # share of the progress bar for probing; encoding runs to ENCODED, publishing to 1
ENCODED = 0.97


def run_job(
    runtime: Runtime, job_id: int, on_progress: ProgressCallback | None = None, *, cancel: threading.Event | None = None
) -> Title:
    """Run a queued job to completion and return the new title (with its renditions).

    Args:
        on_progress: called with (fraction 0..1, message) as the job advances.
        cancel: set it to stop the job; it ends "interrupted" and nothing is published.

    Raises:
        InvalidMedia: the source or a subtitle file is not usable; the message names it.
        MediaError: ffmpeg failed.
        IngestCancelled: ``cancel`` was set.
        IngestError: the job is not queued.
        BadRequest: the title's fields are invalid.
    """
    job = claim(runtime, job_id)
    reporter = JobReporter(runtime, job.id, on_progress)
    staging = runtime.settings.staging_dir / job_folder(job.id, job.name)
    try:
        title_id = _run(runtime, job, staging, reporter, cancel)
    except BaseException as exc:
        _record_failure(reporter, exc)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if on_progress is not None:
        on_progress(1.0, f"published as title {title_id}")
    with runtime.db.session() as session:
        return get_title(session, title_id)


def _run(runtime: Runtime, job: IngestJob, staging: Path, reporter: JobReporter, cancel: threading.Event | None) -> int:
    source = Path(job.source)
    ffmpeg = find_ffmpeg(runtime.settings)
    reporter.state("probing", f"probing {source.name}", 0.0)
    plan = _plan(runtime, job)
    _check_title(runtime, job)
    if cancel is not None and cancel.is_set():
        raise IngestCancelled("cancelled before encoding")
    reporter.state("encoding", f"encoding {source.name}", PROBED)
    shutil.rmtree(staging, ignore_errors=True)
    result = transcode(
        ffmpeg,
        plan,
        staging,
        on_progress=lambda done, message: reporter.progress(PROBED + (ENCODED - PROBED) * done, message),
        cancel=cancel,
    )
    if job.options.get("watermark"):  # WATERMARK (issue 6): A/B variants of every video rendition
        marked = mark_staged(
            ffmpeg, plan, staging, runtime.secret, runtime.settings.watermark_strength, cancel=cancel,
            on_progress=lambda done, message: reporter.progress(ENCODED, message),
        )  # fmt: skip
        write_title_cost(staging, TitleCost(marked.renditions, marked.seconds, marked.extra_bytes, plan.duration))
    reporter.state("publishing", "publishing", ENCODED)
    title_id = _publish(runtime, job, staging, result)
    if job.options.get("delete_source"):  # uploads: the published ladder replaces them
        source.unlink(missing_ok=True)
        for subtitle_path, _language in job.options.get("subtitles") or []:
            Path(subtitle_path).unlink(missing_ok=True)
    return title_id


def _plan(runtime: Runtime, job: IngestJob) -> EncodePlan:
    settings = runtime.settings
    info = probe(Path(job.source))
    subtitles: list[tuple[Path, Language | None]] = []
    for path_text, code in job.options.get("subtitles", []):
        path = Path(path_text)
        found = probe_subtitles(path)
        subtitles.append((path, language(code) or found.language))
    plan = plan_encode(
        info,
        heights=settings.ladder,
        segment_seconds=settings.segment_seconds,
        preset=settings.x264_preset,
        threads=settings.encode_threads,
        subtitle_files=subtitles,
    )
    for note in plan.notes:
        log.warning("%s: %s", info.path.name, note)
    return plan


def _check_title(runtime: Runtime, job: IngestJob) -> None:
    # Fail on a bad name, year or series placement now, not after an hour of encoding.
    with Session(runtime.db.engine) as session:
        _create_title(session, runtime, job)
        session.rollback()


def _publish(runtime: Runtime, job: IngestJob, staging: Path, result: Transcoded) -> int:
    target = runtime.settings.media_dir / staging.name
    shutil.rmtree(target, ignore_errors=True)  # a leftover of this job id cannot be referenced
    staging.rename(target)
    try:
        with runtime.db.session() as session:
            title = _create_title(session, runtime, job)
            title.duration = round(result.duration, 3)
            title.media_path = target.name
            title.poster = result.poster
            title.thumbnails = result.thumbnails
            title.renditions = [Rendition(**vars(spec)) for spec in result.renditions]
            row = session.get_one(IngestJob, job.id)
            row.state, row.progress, row.title_id = "done", 1.0, title.id
            row.message, row.finished_at = f"published as title {title.id}", runtime.clock.now()
            session.flush()
            return title.id
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _create_title(session: Session, runtime: Runtime, job: IngestJob) -> Title:
    options: dict[str, Any] = job.options
    placement: dict[str, Any] = {}
    if options.get("series"):
        series = find_or_create_series(session, runtime.clock, options["series"])
        placement = {"kind": "episode", "parent_id": series.id}
        placement |= {"season": options.get("season"), "episode": options.get("episode")}
    title = create_title(
        session,
        runtime.clock,
        name=job.name,
        description=options.get("description") or "",
        year=options.get("year"),
        genres=options.get("genres") or (),
        **placement,
    )
    title.watermark = bool(options.get("watermark"))
    return title


def _record_failure(reporter: JobReporter, exc: BaseException) -> None:
    if isinstance(exc, IngestCancelled | KeyboardInterrupt):
        state, message = "interrupted", "interrupted; nothing was published. Submit the file again."
    else:
        state, message = "failed", str(exc) or type(exc).__name__
    try:
        reporter.state(state, message)
    except Exception:  # the database itself may be what failed; the job is then swept as interrupted
        log.exception("cannot record the end of ingest job %d", reporter.job_id)

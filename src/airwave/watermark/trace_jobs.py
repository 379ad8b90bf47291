"""Traces run in the background for the admin trace page: a job per uploaded capture, kept on disk.

A trace takes from seconds to minutes, longer than a request should, so the page stores the capture under
``<data>/traces/<id>/`` with a ``job.json`` (state, progress, what is traced, and at the end the verdict in
the JSON form of ``airwave trace --json``) and a runner thread ("trace-runner") works through the queue.
The record outlives the process: any server worker can show it, an operator keeps the capture and the
verdict as evidence, and a job whose process died while running reads as interrupted. Ids are random, so
one job's URL does not reveal another's.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import queue
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from airwave.accounts import audit
from airwave.catalog.jobs import owner_alive, this_process
from airwave.errors import AirwaveError, BadRequest, NotFound
from airwave.runtime import Runtime
from airwave.store.tables import User
from airwave.watermark.trace import Progress, Trace, trace_channel, trace_report, trace_title

log = logging.getLogger(__name__)

RECORD = "job.json"
FINAL = ("done", "failed", "interrupted")
_ID = re.compile(r"^[0-9a-f]{16}$")
JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class TraceJob:
    """One trace asked for on the admin page."""

    id: str
    title_id: int | None
    channel: str | None
    around: str | None  # ISO 8601, UTC
    filename: str  # the capture's name as uploaded
    size: int
    created_at: str
    created_by: int  # the admin's user id
    state: str = "queued"  # queued | running | done | failed | interrupted
    progress: float = 0.0
    message: str = "waiting to start"
    owner: str = ""  # the process running it
    finished_at: str | None = None
    result: dict[str, Any] | None = field(default=None)

    @property
    def content(self) -> str:
        """What is traced, for people."""
        return f"channel {self.channel}" if self.channel is not None else f"title {self.title_id}"


def traces_dir(runtime: Runtime) -> Path:
    """Where trace jobs and their captures are kept."""
    return runtime.settings.data / "traces"


def create_job(runtime: Runtime, capture: Path, job: TraceJob) -> TraceJob:
    """Store a new job with its capture (moved into the job's folder)."""
    folder = traces_dir(runtime) / job.id
    folder.mkdir(parents=True)
    capture.replace(folder / ("capture" + Path(job.filename).suffix.lower()[:8]))
    save(runtime, job)
    return job


def new_id() -> str:
    return secrets.token_hex(8)


def capture_of(runtime: Runtime, job: TraceJob) -> Path:
    """The stored capture of ``job``."""
    return next((traces_dir(runtime) / job.id).glob("capture*"))


def save(runtime: Runtime, job: TraceJob) -> None:
    """Write the job's record atomically."""
    folder = traces_dir(runtime) / job.id
    temporary = folder / (RECORD + ".tmp")
    temporary.write_text(json.dumps(asdict(job), indent=1))
    os.replace(temporary, folder / RECORD)


def load(runtime: Runtime, job_id: str) -> TraceJob:
    """The job ``job_id``; one left running by a process that is gone reads as interrupted.

    Raises:
        NotFound: no such job.
    """
    path = traces_dir(runtime) / job_id / RECORD
    if not _ID.match(job_id) or not path.is_file():
        raise NotFound(f"no trace job {job_id!r}: it may have been removed")
    job = _parse(path)
    if job.state not in FINAL and job.owner and not owner_alive(job.owner):
        message = "interrupted: the server stopped while tracing; upload the capture again"
        job = replace(job, state="interrupted", message=message)
    return job


def recent(runtime: Runtime, limit: int = 20) -> list[TraceJob]:
    """The newest jobs first."""
    folder = traces_dir(runtime)
    if not folder.is_dir():
        return []
    jobs = [load(runtime, path.parent.name) for path in folder.glob(f"*/{RECORD}") if _ID.match(path.parent.name)]
    return sorted(jobs, key=lambda job: job.created_at, reverse=True)[:limit]


def run(runtime: Runtime, job: TraceJob) -> TraceJob:
    """Run ``job`` to its end here, recording progress and the verdict (or the reason it failed)."""
    job = replace(job, state="running", owner=this_process(), message="starting")
    save(runtime, job)

    def progress(done: float, message: str) -> None:
        nonlocal job
        job = replace(job, progress=round(done, 3), message=message)
        save(runtime, job)

    around = dt.datetime.fromisoformat(job.around) if job.around else None
    try:
        result = _trace(runtime, job, around, progress)
    except AirwaveError as exc:
        job = replace(job, state="failed", message=str(exc))
    except Exception as exc:  # recorded for the admin, who otherwise sees a job stuck "running"
        log.exception("trace job %s failed unexpectedly", job.id)
        job = replace(job, state="failed", message=f"the trace failed unexpectedly: {exc}")
    else:
        job = replace(job, state="done", progress=1.0, message=result.verdict.message, result=trace_report(result))
    job = replace(job, finished_at=runtime.clock.now().isoformat())
    save(runtime, job)
    _audit(runtime, job)
    return job


def _audit(runtime: Runtime, job: TraceJob) -> None:
    """Log the verdict under the admin who asked for the trace."""
    accused = [s["session_id"] for s in (job.result or {}).get("sessions", []) if s.get("accused")]
    detail = f"trace {job.id}: {job.state}: {job.message}" + (f" (sessions {', '.join(accused)})" if accused else "")
    target = f"channel:{job.channel}" if job.channel is not None else f"title:{job.title_id}"
    with runtime.db.session() as session:
        user = session.get(User, job.created_by)
        if user is not None:
            audit.record(session, runtime.clock, audit.Actor(user), "watermark.trace_result", target, detail)


def _trace(runtime: Runtime, job: TraceJob, around: dt.datetime | None, progress: Progress) -> Trace:
    capture = capture_of(runtime, job)
    if job.channel is not None:
        return trace_channel(runtime, capture, job.channel, around=around, on_progress=progress)
    if job.title_id is None:
        raise BadRequest("a trace needs a title or a channel to compare the capture with")
    return trace_title(runtime, capture, job.title_id, around=around, on_progress=progress)


def _parse(path: Path) -> TraceJob:
    raw = json.loads(path.read_text())
    names = TraceJob.__dataclass_fields__
    return TraceJob(**{key: value for key, value in raw.items() if key in names})


class TraceRunner:
    """Runs queued trace jobs one at a time in the thread "trace-runner" (one core: the origin keeps serving)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._queue: queue.Queue[TraceJob | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="trace-runner", daemon=True)
        self._closed = False

    def start(self) -> None:
        self._thread.start()

    def submit(self, job: TraceJob) -> None:
        """Queue ``job`` (already stored with :func:`create_job`)."""
        self._queue.put(job)

    def close(self) -> None:
        """Stop taking jobs; a trace under way is left to finish (it cannot be cut short). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(JOIN_SECONDS)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                run(self.runtime, job)
            except Exception:
                log.exception("trace job %s could not be recorded", job.id)

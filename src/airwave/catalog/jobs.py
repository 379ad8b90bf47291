"""Ingest jobs: submitting, claiming, reporting progress, and recovering after a crash.

A job row outlives the process running it, so the admin pages can show progress and failures. Its
``owner`` names the process (``host:pid:start-time``); a job whose owner is gone was interrupted, and its
work folders are swept. The job's folders are named ``j<id>-<slug>`` so a sweep can tell whose they are.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from airwave.clock import Clock
from airwave.errors import AirwaveError, BadRequest, IngestError
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob, Title

log = logging.getLogger(__name__)

STATES = ("queued", "probing", "encoding", "publishing", "done", "failed", "interrupted")
RUNNING = ("probing", "encoding", "publishing")
OPTIONS = frozenset(
    {"description", "year", "genres", "series", "season", "episode", "subtitles", "watermark", "delete_source"}
)
_FOLDER = re.compile(r"^j(\d+)-")
_HOST = socket.gethostname()

ProgressCallback = Callable[[float, str], None]


def submit(
    session: Session, clock: Clock, *, source: Path, name: str, options: dict[str, Any], owner: str = ""
) -> IngestJob:
    """Queue a file for ingest as a new title called ``name``.

    Args:
        options: description, year, genres (list), series, season, episode, subtitles ([[path, lang]]),
            watermark, delete_source (remove the file after success, for uploads).
        owner: :func:`this_process` when the caller runs the job itself (the CLI); empty lets the server's
            :class:`JobRunner` take it.

    Raises:
        BadRequest: no name, or an unknown option.
    """
    if not name.strip():
        raise BadRequest("a title needs a name (--title)")
    unknown = set(options) - OPTIONS
    if unknown:
        raise BadRequest(f"unknown ingest options: {', '.join(sorted(unknown))}")
    subtitles = [[str(Path(path).resolve()), lang] for path, lang in options.get("subtitles", [])]
    job = IngestJob(
        source=str(Path(source).resolve()),
        name=name.strip(),
        options={**options, "subtitles": subtitles},
        state="queued",
        progress=0.0,
        message="waiting to start",
        owner=owner,
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    return job


def claim(runtime: Runtime, job_id: int) -> IngestJob:
    """Mark a queued job as ours and return it.

    Raises:
        IngestError: the job does not exist, or is not queued (another process took it, or it finished).
    """
    me = this_process()
    with runtime.db.session() as session:
        taken = session.execute(
            update(IngestJob)
            .where(IngestJob.id == job_id, IngestJob.state == "queued", IngestJob.owner.in_(("", me)))
            .values(state="probing", owner=me, started_at=runtime.clock.now(), message="starting")
        )
        job = session.get(IngestJob, job_id)
        if job is None:
            raise IngestError(f"there is no ingest job {job_id}")
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise IngestError(f"ingest job {job_id} is {job.state}, not queued; submit the file again")
        return job


def job_folder(job_id: int, name: str) -> str:
    """The folder a job writes into (under staging, then media): ``j12-the-big-sleep``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return f"j{job_id}-{slug or 'title'}"


class JobReporter:
    """Records a job's state and progress in its row (progress at most every ``interval`` seconds)."""

    def __init__(
        self, runtime: Runtime, job_id: int, on_progress: ProgressCallback | None = None, interval: float = 0.5
    ) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.on_progress = on_progress
        self.interval = interval
        self._last_write = 0.0

    def state(self, state: str, message: str, progress: float | None = None) -> None:
        """Enter ``state`` (always written); ``progress`` None leaves it where it was."""
        fields: dict[str, Any] = {"state": state, "message": message}
        if progress is not None:
            fields["progress"] = progress
        self._write(**fields)

    def progress(self, progress: float, message: str) -> None:
        """Report progress within the current state."""
        if self.on_progress is not None:
            self.on_progress(progress, message)
        if time.monotonic() - self._last_write >= self.interval:
            self._write(progress=progress, message=message)

    def _write(self, **fields: Any) -> None:
        if self.on_progress is not None and "progress" in fields and "state" in fields:
            self.on_progress(fields["progress"], fields["message"])
        if fields.get("state") in ("done", "failed", "interrupted"):
            fields["finished_at"] = self.runtime.clock.now()
        with self.runtime.db.session() as session:
            session.execute(update(IngestJob).where(IngestJob.id == self.job_id).values(**fields))
        self._last_write = time.monotonic()


def recover_interrupted(runtime: Runtime) -> int:
    """Mark jobs whose process died as interrupted and sweep their folders; returns how many were marked.

    Also removes staging folders of jobs no longer running, and media folders that no title references
    (left by a crash between moving a folder into place and committing its title).
    """
    with runtime.db.session() as session:
        pending = session.scalars(select(IngestJob).where(IngestJob.state.in_(("queued", *RUNNING)))).all()
        dead = [job for job in pending if job.owner and not owner_alive(job.owner)]
        for job in dead:
            job.state, job.finished_at = "interrupted", runtime.clock.now()
            job.message = "interrupted: the process running it stopped; nothing was published. Submit it again."
        live = {job.id for job in pending} - {job.id for job in dead}
        referenced = {path for path in session.scalars(select(Title.media_path)) if path}
    for job in dead:
        log.warning("ingest job %d (%s) was interrupted; nothing was published", job.id, job.name)
    _sweep(runtime.settings.staging_dir.iterdir(), live, set(), only_ours=False)
    _sweep(runtime.settings.media_dir.iterdir(), live, referenced, only_ours=True)
    return len(dead)


def this_process() -> str:
    """This process's owner name: host, pid, and start time (so a reused pid is not mistaken for us)."""
    return f"{_HOST}:{os.getpid()}:{_start_time(os.getpid())}"


def owner_alive(owner: str) -> bool:
    """Whether the process named by ``owner`` still runs (processes on other hosts are assumed to)."""
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != _HOST or not pid_text.isdigit():
        return host != _HOST
    return _start_time(int(pid_text)) == started and started != ""


def _start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return ""
    except OSError:  # no /proc (macOS): fall back to "a process with this pid exists"
        return "?" if _pid_exists(pid) else ""
    return stat.rpartition(")")[2].split()[19]  # field 22, starttime, counting from after the command name


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep(folders: Iterable[Path], live: set[int], referenced: set[str], *, only_ours: bool) -> None:
    for folder in folders:
        match = _FOLDER.match(folder.name)
        if folder.name in referenced or (match and int(match[1]) in live) or (only_ours and not match):
            continue
        log.info("removing %s: left by an ingest that did not finish", folder)
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            folder.unlink(missing_ok=True)


class JobRunner:
    """Runs queued jobs one at a time in the thread "ingest-runner" (in the server process)."""

    def __init__(self, runtime: Runtime, poll_interval: float = 2.0) -> None:
        self.runtime = runtime
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Recover jobs a previous run left behind, then start taking queued jobs."""
        recover_interrupted(self.runtime)
        self._thread = threading.Thread(target=self._run, name="ingest-runner", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for queued jobs now (call after :func:`submit`)."""
        self._wake.set()

    def close(self) -> None:
        """Stop: a running job is cancelled (marked interrupted, nothing published). Idempotent."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        from airwave.catalog.ingest import run_job  # ingest imports this module

        while not self._stop.is_set():
            job_id = self._next()
            if job_id is None:
                self._wake.wait(self.poll_interval)
                self._wake.clear()
                continue
            try:
                run_job(self.runtime, job_id, cancel=self._stop)
            except AirwaveError as exc:
                log.warning("ingest job %d did not complete: %s", job_id, exc)
            except Exception:
                log.exception("ingest job %d failed unexpectedly", job_id)

    def _next(self) -> int | None:
        try:
            with self.runtime.db.session() as session:
                return session.scalar(
                    select(IngestJob.id)
                    .where(IngestJob.state == "queued", IngestJob.owner == "")
                    .order_by(IngestJob.id)
                    .limit(1)
                )
        except Exception:
            log.exception("cannot read the ingest queue")
            return None

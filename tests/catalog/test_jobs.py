"""Ingest job bookkeeping on SQLite and PostgreSQL: submit, claim, progress, crash recovery and sweeping."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from airwave.catalog.jobs import (
    JobReporter,
    JobRunner,
    claim,
    job_folder,
    owner_alive,
    recover_interrupted,
    submit,
    this_process,
)
from airwave.clock import FakeClock
from airwave.errors import BadRequest, IngestError
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob, Title


def new_job(runtime: Runtime, name: str = "Film", owner: str = "", **options: object) -> int:
    with runtime.db.session() as session:
        return submit(session, runtime.clock, source=Path("film.mp4"), name=name, options=options, owner=owner).id


def job(runtime: Runtime, job_id: int) -> IngestJob:
    with runtime.db.session() as session:
        return session.get_one(IngestJob, job_id)


def dead_owner() -> str:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return f"{socket.gethostname()}:{int(finished.stdout)}:12345"


def test_submit_queues_with_an_absolute_source(runtime: Runtime) -> None:
    job_id = new_job(runtime, "  The Film ", genres=["Drama"], subtitles=[["subs.srt", "fr"]])
    row = job(runtime, job_id)
    assert (row.state, row.name, row.progress) == ("queued", "The Film", 0.0)
    assert Path(row.source).is_absolute()
    assert row.options["genres"] == ["Drama"]
    assert row.options["subtitles"] == [[str(Path("subs.srt").resolve()), "fr"]]


@pytest.mark.parametrize(("name", "options", "problem"), [(" ", {}, "needs a name"), ("x", {"colour": 1}, "colour")])
def test_submit_rejects_bad_requests(runtime: Runtime, name: str, options: dict[str, object], problem: str) -> None:
    with pytest.raises(BadRequest, match=problem), runtime.db.session() as session:
        submit(session, runtime.clock, source=Path("f.mp4"), name=name, options=options)


def test_a_job_is_claimed_once(runtime: Runtime) -> None:
    job_id = new_job(runtime)
    claimed = claim(runtime, job_id)
    assert (claimed.state, claimed.owner) == ("probing", this_process())
    with pytest.raises(IngestError, match="is probing, not queued"):
        claim(runtime, job_id)
    with pytest.raises(IngestError, match="no ingest job 999"):
        claim(runtime, 999)


def test_a_job_submitted_for_another_process_is_not_taken(runtime: Runtime) -> None:
    job_id = new_job(runtime, owner="elsewhere:1:1")
    with pytest.raises(IngestError):
        claim(runtime, job_id)


def test_progress_is_written_at_most_every_interval(runtime: Runtime) -> None:
    job_id = new_job(runtime)
    seen: list[tuple[float, str]] = []
    reporter = JobReporter(runtime, job_id, lambda f, m: seen.append((f, m)), interval=3600)
    reporter.state("encoding", "encoding film.mp4", 0.1)
    reporter.progress(0.5, "encoding: 5 s of 10 s")
    assert (job(runtime, job_id).state, job(runtime, job_id).progress) == ("encoding", 0.1)
    assert seen == [(0.1, "encoding film.mp4"), (0.5, "encoding: 5 s of 10 s")]
    reporter.state("failed", "film.mp4 is empty (0 bytes)")
    row = job(runtime, job_id)
    assert (row.state, row.progress, row.message) == ("failed", 0.1, "film.mp4 is empty (0 bytes)")
    assert row.finished_at is not None


@pytest.mark.parametrize(
    ("name", "folder"),
    [("The Big Sleep", "j7-the-big-sleep"), ("Amélie: l'été!", "j7-amelie-l-ete"), ("???", "j7-title")],
)
def test_job_folders_are_safe_slugs(name: str, folder: str) -> None:
    assert job_folder(7, name) == folder


def test_owner_liveness() -> None:
    assert owner_alive(this_process())
    assert not owner_alive(dead_owner())
    assert owner_alive("another-host:1:1")  # cannot tell: assume it runs


def test_recovery_marks_dead_jobs_and_sweeps_only_their_leftovers(runtime: Runtime, clock: FakeClock) -> None:
    settings = runtime.settings
    dead = new_job(runtime, "Dead", owner=dead_owner())
    mine = new_job(runtime, "Mine", owner=this_process())
    waiting = new_job(runtime, "Waiting")
    with runtime.db.session() as session:
        session.get_one(IngestJob, dead).state = "encoding"
        session.get_one(IngestJob, mine).state = "encoding"
        published = Title(name="Published", media_path="j1-published", created_at=clock.now(), updated_at=clock.now())
        session.add(published)
    folders = {
        "staging-dead": settings.staging_dir / job_folder(dead, "Dead"),
        "staging-mine": settings.staging_dir / job_folder(mine, "Mine"),
        "staging-waiting": settings.staging_dir / job_folder(waiting, "Waiting"),
        "media-orphan": settings.media_dir / job_folder(dead, "Dead"),
        "media-published": settings.media_dir / "j1-published",
        "media-foreign": settings.media_dir / "not-ours",
    }
    for folder in folders.values():
        (folder / "720p").mkdir(parents=True)

    assert recover_interrupted(runtime) == 1

    assert job(runtime, dead).state == "interrupted"
    assert "nothing was published" in job(runtime, dead).message
    assert (job(runtime, mine).state, job(runtime, waiting).state) == ("encoding", "queued")
    remaining = {name for name, folder in folders.items() if folder.exists()}
    assert remaining == {"staging-mine", "staging-waiting", "media-published", "media-foreign"}
    assert recover_interrupted(runtime) == 0


def test_runner_starts_idles_and_closes_promptly(runtime: Runtime) -> None:
    runner = JobRunner(runtime, poll_interval=0.05)
    runner.start()
    assert "ingest-runner" in {thread.name for thread in threading.enumerate()}
    runner.wake()
    runner.close()
    runner.close()
    assert "ingest-runner" not in {thread.name for thread in threading.enumerate()}
    with runtime.db.session() as session:
        assert session.scalars(select(IngestJob)).all() == []

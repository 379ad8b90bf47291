"""The server's JobRunner: it runs queued jobs, and closing it mid-job publishes nothing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from airwave.catalog.jobs import JobRunner, submit
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob
from tests.e2e.test_ingest_interrupt import ffmpeg_children
from tests.media.clips import make_clip, sqlite_runtime, tree

pytestmark = pytest.mark.e2e


def queue(runtime: Runtime, source: Path, name: str) -> int:
    with runtime.db.session() as session:
        return submit(session, runtime.clock, source=source, name=name, options={"delete_source": True}).id


def job_state(runtime: Runtime, job_id: int) -> str:
    with runtime.db.session() as session:
        return session.get_one(IngestJob, job_id).state


def wait_for(condition: Callable[[], bool], deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_runner_runs_queued_jobs(tmp_path: Path) -> None:
    with sqlite_runtime(tmp_path) as runtime:
        source = make_clip(tmp_path / "upload.mp4", seconds=1)
        runner = JobRunner(runtime, poll_interval=0.05)
        runner.start()
        try:
            job_id = queue(runtime, source, "Uploaded")
            runner.wake()
            wait_for(lambda: job_state(runtime, job_id) in {"done", "failed"})
        finally:
            runner.close()
        assert job_state(runtime, job_id) == "done"
        assert not source.exists()  # delete_source: the upload is removed once published


def test_closing_the_runner_interrupts_the_running_job(tmp_path: Path) -> None:
    with sqlite_runtime(tmp_path, x264_preset="veryslow") as runtime:
        source = make_clip(tmp_path / "upload.mp4", size="640x360", seconds=4)
        runner = JobRunner(runtime, poll_interval=0.05)
        runner.start()
        try:
            job_id = queue(runtime, source, "Slow")
            wait_for(lambda: bool(ffmpeg_children(os.getpid())))
        finally:
            runner.close()
        assert job_state(runtime, job_id) == "interrupted"
        assert ffmpeg_children(os.getpid()) == []
        assert tree(runtime.settings.media_dir) == tree(runtime.settings.staging_dir) == []
        assert source.exists()  # kept for a retry

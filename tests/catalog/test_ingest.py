"""Ingest through the job on SQLite and PostgreSQL, with a tiny clip: what gets published, and what a failure
leaves behind (nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from airwave.catalog import ingest
from airwave.catalog.ingest import run_job
from airwave.catalog.jobs import submit
from airwave.errors import BadRequest, InvalidMedia
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob, Rendition, Title
from tests.media.clips import make_clip, tree

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", size="160x90", seconds=1)


def queue(runtime: Runtime, source: Path, name: str = "Tiny", **options: object) -> int:
    with runtime.db.session() as session:
        return submit(session, runtime.clock, source=source, name=name, options=options).id


def state(runtime: Runtime) -> tuple[list[str], list[str], int]:
    """The media store, the staging area and the number of catalogue rows."""
    settings = runtime.settings
    with runtime.db.session() as session:
        titles = len(session.scalars(select(Title)).all()) + len(session.scalars(select(Rendition)).all())
    return tree(settings.media_dir), tree(settings.staging_dir), titles


def test_ingest_publishes_a_title_with_its_renditions(runtime: Runtime, clip: Path) -> None:
    job_id = queue(runtime, clip, "Tiny", year=2024, genres=["Drama"], description="A test.")
    progress: list[float] = []
    title = run_job(runtime, job_id, on_progress=lambda fraction, _message: progress.append(fraction))
    assert (title.name, title.kind, title.year, [g.name for g in title.genres]) == ("Tiny", "film", 2024, ["Drama"])
    assert title.duration == pytest.approx(1.0, abs=0.1)
    assert (title.poster, title.thumbnails) == ("poster.jpg", {"interval": 1, "width": 160, "height": 90,
                                                              "columns": 1, "count": 1})  # fmt: skip
    assert [(r.kind, r.name, r.width, r.height) for r in title.renditions] == [
        ("video", "90p", 160, 90),
        ("audio", "audio-eng", None, None),
    ]
    folder = runtime.settings.media_dir / str(title.media_path)
    assert (folder / "master.m3u8").read_text().startswith("#EXTM3U")
    assert list(runtime.settings.staging_dir.iterdir()) == []
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    with runtime.db.session() as session:
        job = session.get_one(IngestJob, job_id)
        assert (job.state, job.progress, job.title_id) == ("done", 1.0, title.id)


def test_episode_goes_under_its_series(runtime: Runtime, clip: Path) -> None:
    title = run_job(runtime, queue(runtime, clip, "Pilot", series="The Show", season=1, episode=1))
    assert (title.kind, title.season, title.episode) == ("episode", 1, 1)
    with runtime.db.session() as session:
        series = session.get_one(Title, title.parent_id)
        assert (series.kind, series.name) == ("series", "The Show")


def test_bad_file_fails_the_job_and_changes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    before = state(runtime)
    (tmp_path / "empty.mp4").write_bytes(b"")
    job_id = queue(runtime, tmp_path / "empty.mp4")
    with pytest.raises(InvalidMedia, match=r"empty\.mp4 is empty"):
        run_job(runtime, job_id)
    assert state(runtime) == before
    with runtime.db.session() as session:
        job = session.get_one(IngestJob, job_id)
        assert (job.state, job.message) == ("failed", "empty.mp4 is empty (0 bytes)")


def test_bad_title_fields_fail_before_encoding(runtime: Runtime, clip: Path) -> None:
    before = state(runtime)
    with pytest.raises(BadRequest, match="year"):
        run_job(runtime, queue(runtime, clip, year=3000))
    assert state(runtime) == before


def test_failed_commit_removes_the_published_folder(
    runtime: Runtime, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = state(runtime)
    real = ingest.create_title
    calls = []

    def create_then_fail(*args: object, **kwargs: object) -> Title:
        calls.append(1)
        title = real(*args, **kwargs)  # type: ignore[arg-type]
        if len(calls) == 2:  # the first call only validates the fields, the second publishes
            raise RuntimeError("database went away")
        return title

    monkeypatch.setattr(ingest, "create_title", create_then_fail)
    with pytest.raises(RuntimeError, match="database went away"):
        run_job(runtime, queue(runtime, clip))
    assert state(runtime) == before

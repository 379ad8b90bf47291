"""Issue 2 item 9: every awkward input either ingests correctly or fails with a message that names the file
and the problem, leaving the catalogue and the media store exactly as they were."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import pytest
from sqlalchemy import func, select

from airwave.catalog.ingest import run_job
from airwave.catalog.jobs import submit
from airwave.errors import InvalidMedia
from airwave.runtime import Runtime
from airwave.store.tables import IngestJob, Rendition, Title
from tests.media.clips import FFMPEG, decode, make_clip, sqlite_runtime, tree

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with sqlite_runtime(tmp_path_factory.mktemp("bad-input")) as rt:
        yield rt


def snapshot(runtime: Runtime) -> tuple[int, int, list[str], list[str]]:
    with runtime.db.session() as session:
        titles = session.scalar(select(func.count()).select_from(Title)) or 0
        renditions = session.scalar(select(func.count()).select_from(Rendition)) or 0
    return titles, renditions, tree(runtime.settings.media_dir), tree(runtime.settings.staging_dir)


def ingest(runtime: Runtime, source: Path) -> Title:
    with runtime.db.session() as session:
        job = submit(session, runtime.clock, source=source, name=source.stem, options={})
    return run_job(runtime, job.id)


def truncated_mp4(tmp: Path) -> Path:
    good = make_clip(tmp / "whole.mp4", seconds=2)
    cut = tmp / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return cut


def truncated_mkv(tmp: Path) -> Path:
    # Matroska keeps its duration in the header: the file opens, and only decoding finds the end missing.
    good = make_clip(tmp / "whole.mkv", seconds=6, size="320x180")
    cut = tmp / "cut short.mkv"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    return cut


def not_a_video(tmp: Path) -> Path:
    path = tmp / "notes.txt"
    path.write_text("meeting notes\n" * 50)
    return path


def empty(tmp: Path) -> Path:
    path = tmp / "empty.mp4"
    path.write_bytes(b"")
    return path


FAILURES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "not a video": (not_a_video, r"^notes\.txt is not a video file ffmpeg can read$"),
    "zero bytes": (empty, r"^empty\.mp4 is empty \(0 bytes\)$"),
    "truncated mp4": (truncated_mp4, r"^cut\.mp4 is truncated or corrupt"),
    "truncated mkv": (truncated_mkv, r"^cut short\.mkv is truncated or corrupt: only [\d.]+ s of its 6\.0 s"),
    "audio only": (lambda tmp: make_clip(tmp / "song.m4a", video=False, seconds=1), r"^song\.m4a has no video"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_bad_input_fails_naming_the_file_and_changes_nothing(runtime: Runtime, tmp_path: Path, case: str) -> None:
    make, message = FAILURES[case]
    source = make(tmp_path)
    before = snapshot(runtime)
    with pytest.raises(InvalidMedia, match=message):
        ingest(runtime, source)
    assert snapshot(runtime) == before
    with runtime.db.session() as session:
        job = session.scalars(select(IngestJob).order_by(IngestJob.id.desc())).first()
        assert job is not None
        assert job.state == "failed"
        assert source.name in job.message


def rungs(runtime: Runtime, title: Title) -> list[tuple[int | None, int | None]]:
    folder = runtime.settings.media_dir / str(title.media_path)
    for rendition in title.renditions:
        if rendition.kind != "subtitles":
            decode(folder / rendition.playlist)
    return [(r.width, r.height) for r in title.renditions if r.kind == "video"]


def output_pixel_format(runtime: Runtime, title: Title) -> str:
    folder = runtime.settings.media_dir / str(title.media_path) / title.renditions[0].name
    with av.open(str(folder / "index.m3u8")) as container:
        return str(next(container.decode(video=0)).format.name)


def test_odd_width_853x480_ingests_with_even_sizes(runtime: Runtime, tmp_path: Path) -> None:
    # x264 needs 4:4:4 to store an odd width; the ladder output is 4:2:0 with even sizes.
    source = make_clip(tmp_path / "odd.mkv", size="853x480", seconds=1, pix_fmt="yuv444p")
    assert rungs(runtime, ingest(runtime, source)) == [(640, 360), (320, 180)]


def test_ten_bit_ingests_as_8_bit(runtime: Runtime, tmp_path: Path) -> None:
    title = ingest(runtime, make_clip(tmp_path / "ten bit.mp4", size="320x180", seconds=1, pix_fmt="yuv420p10le"))
    assert rungs(runtime, title) == [(320, 180)]
    assert output_pixel_format(runtime, title) == "yuv420p"
    assert not title.renditions[0].codecs.startswith("avc1.6E")  # not High 10


def test_4k_ingests_capped_at_the_top_rung(runtime: Runtime, tmp_path: Path) -> None:
    title = ingest(runtime, make_clip(tmp_path / "uhd.mp4", size="3840x2160", seconds=1, fps=10))
    assert rungs(runtime, title) == [(640, 360), (320, 180)]


def test_name_with_spaces_quotes_and_colon_ingests(runtime: Runtime, tmp_path: Path) -> None:
    source = make_clip(tmp_path / 'it\'s a "film": part 1 (100%).mp4', seconds=1)
    title = ingest(runtime, source)
    assert title.name == source.stem
    assert rungs(runtime, title) == [(160, 90)]


def test_rotated_phone_video_is_laddered_upright(runtime: Runtime, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "landscape.mp4", size="640x360", seconds=1)
    phone = tmp_path / "phone.mp4"
    subprocess.run([FFMPEG, "-v", "error", "-display_rotation", "90", "-i", str(clip), "-c", "copy", str(phone)],
                   check=True)  # fmt: skip
    assert rungs(runtime, ingest(runtime, phone)) == [(360, 640), (180, 320)]

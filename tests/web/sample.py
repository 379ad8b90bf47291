"""A tiny real HLS title (made once by ffmpeg) and helpers to publish it into a runtime's catalogue."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from airwave.catalog.titles import create_title
from airwave.media.ffmpeg import find_ffmpeg
from airwave.runtime import Runtime
from airwave.store.tables import Rendition

RENDITION = "180p"


def make_sample(folder: Path, ffmpeg: str) -> Path:
    """Encode 2 s of 160x90 test video with sound as CMAF HLS (1 s segments), a poster and thumbnails."""
    rendition = folder / RENDITION
    rendition.mkdir(parents=True)
    encode = [
        ffmpeg, "-nostdin", "-loglevel", "error",
        "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "64k",
        "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
        "-hls_fmp4_init_filename", "init.mp4",
        "-hls_segment_filename", str(rendition / "seg_%05d.m4s"),
        str(rendition / "index.m3u8"),
    ]  # fmt: skip
    subprocess.run(encode, check=True, timeout=60)
    poster = [ffmpeg, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90",
              "-frames:v", "1", str(folder / "poster.jpg")]  # fmt: skip
    subprocess.run(poster, check=True, timeout=60)
    shutil.copy(folder / "poster.jpg", folder / "thumbs.jpg")
    (folder / "thumbs.vtt").write_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nthumbs.jpg#xywh=0,0,160,90\n")
    return folder


def sample_dir(cache: Path) -> Path:
    """The sample under ``cache``, encoding it on first use."""
    folder = cache / "sample-title"
    if not (folder / RENDITION / "index.m3u8").exists():
        with _lock(cache):
            if not (folder / RENDITION / "index.m3u8").exists():
                make_sample(folder, find_ffmpeg_for_tests())
    return folder


def find_ffmpeg_for_tests() -> str:
    from airwave.config import load_settings

    return find_ffmpeg(load_settings())


def publish(runtime: Runtime, sample: Path, *, name: str = "Sample Film", **fields: object) -> int:
    """Copy the sample into the media dir as a new title's media; return the title id."""
    with runtime.db.session() as session:
        title = create_title(session, runtime.clock, name=name, **fields)  # type: ignore[arg-type]
        folder = f"title-{title.id}"
        shutil.copytree(sample, runtime.settings.media_dir / folder)
        title.media_path = folder
        title.poster = "poster.jpg"
        title.duration = 2.0
        title.thumbnails = {"interval": 2, "width": 160, "height": 90, "columns": 1, "count": 1}
        title.renditions = [
            Rendition(
                position=0, kind="video", name=RENDITION, playlist=f"{RENDITION}/index.m3u8",
                codecs="avc1.42c00c,mp4a.40.2", bandwidth=200_000, average_bandwidth=150_000,
                width=160, height=90, frame_rate=25.0, label="180p", is_default=True,
            )
        ]  # fmt: skip
        return title.id


class _lock:
    """An exclusive file lock, so parallel test workers encode the sample once."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / ".lock"

    def __enter__(self) -> None:
        import fcntl

        self._handle = open(self._path, "w")
        fcntl.flock(self._handle, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        self._handle.close()

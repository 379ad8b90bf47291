"""Tiny test media made with ffmpeg's generators (never downloaded), and helpers shared by the media tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import av
import imageio_ffmpeg

from airwave.clock import FakeClock
from airwave.config import Settings, load_settings
from airwave.runtime import Runtime, open_runtime

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

SRT = "1\n00:00:00,200 --> 00:00:00,900\nHello\n\n2\n00:00:01,000 --> 00:00:01,800\nWorld\n"


def make_clip(
    path: Path,
    *,
    size: str = "160x90",
    seconds: float = 2,
    fps: int = 25,
    languages: Sequence[str] = ("eng",),
    subtitles: Sequence[str] = (),
    pix_fmt: str = "yuv420p",
    video: bool = True,
    extra: Sequence[str] = (),
) -> Path:
    """Render a clip: testsrc2 video, one sine tone per audio language, SRT-based subtitle streams."""
    inputs: list[str] = []
    maps: list[str] = []
    if video:
        inputs += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"]
        maps += ["-map", "0:v"]
    for number, _lang in enumerate(languages):
        inputs += ["-f", "lavfi", "-i", f"sine=frequency={300 + 200 * number}:sample_rate=48000:duration={seconds}"]
        maps += ["-map", f"{len(maps) // 2}:a"]
    for _lang in subtitles:
        srt = path.with_name(path.stem + ".gen.srt")
        srt.write_text(SRT)
        inputs += ["-i", str(srt)]
        maps += ["-map", f"{len(maps) // 2}:s"]
    metadata = [item for n, lang in enumerate(languages) for item in (f"-metadata:s:a:{n}", f"language={lang}")]
    metadata += [item for n, lang in enumerate(subtitles) for item in (f"-metadata:s:s:{n}", f"language={lang}")]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix_fmt, "-c:a", "aac"]
    if subtitles:
        codecs += ["-c:s", "mov_text" if path.suffix == ".mp4" else "srt"]
    argv = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *inputs, *maps, *codecs, *metadata, *extra]
    subprocess.run([*argv, "-t", str(seconds), str(path)], check=True, capture_output=True)
    return path


def decode(playlist: Path) -> tuple[int, float]:
    """Decode a media playlist end to end with ffmpeg; return (frames or audio frames, seconds decoded)."""
    result = subprocess.run(
        [FFMPEG, "-hide_banner", "-v", "error", "-xerror", "-i", str(playlist), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{playlist} does not decode: {result.stderr}"
    assert result.stderr.strip() == "", f"{playlist} decodes with errors: {result.stderr}"
    with av.open(str(playlist)) as container:
        stream = container.streams[0]
        count, last = 0, 0.0
        for frame in container.decode(stream):
            count += 1
            last = float(frame.time) if frame.time is not None else last
    return count, last


def segment_starts_with_keyframe(init: Path, segment: Path) -> bool:
    """Whether the first video packet of an fMP4 segment is a keyframe (it can start a rung switch)."""
    combined = segment.with_suffix(".check.mp4")
    combined.write_bytes(init.read_bytes() + segment.read_bytes())
    try:
        with av.open(str(combined)) as container:
            packet = next(p for p in container.demux(video=0) if p.size)
            return bool(packet.is_keyframe)
    finally:
        combined.unlink()


def sqlite_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings like the conftest ``settings`` fixture, on SQLite only (for the heavy ffmpeg tests)."""
    values: dict[str, object] = {
        "data": tmp_path / "var",
        "database_url": f"sqlite:///{tmp_path / 'airwave.db'}",
        "secret_key": "test-secret",
        "ladder": (360, 180),
        "x264_preset": "ultrafast",
        "segment_seconds": 1.0,
    }
    return load_settings(**{**values, **overrides})


@contextmanager
def sqlite_runtime(tmp_path: Path, **overrides: object) -> Iterator[Runtime]:
    runtime = open_runtime(sqlite_settings(tmp_path, **overrides), clock=FakeClock())
    try:
        yield runtime
    finally:
        runtime.close()


def tree(folder: Path) -> list[str]:
    """Every path under ``folder``, relative and sorted: to show that a failure changed nothing."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []

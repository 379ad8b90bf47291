"""Probing real files made with ffmpeg, including every kind of bad input the issue lists."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from airwave.errors import InvalidMedia
from airwave.media.probe import probe, probe_subtitles
from tests.media.clips import FFMPEG, SRT, make_clip

pytestmark = pytest.mark.e2e


def test_streams_languages_and_subtitle_kinds(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "film.mkv", size="320x180", languages=("eng", "fre"), subtitles=("deu",)))
    assert info.duration == pytest.approx(2.0, abs=0.05)
    video = info.video
    assert (video.width, video.height, video.fps, video.codec, video.pix_fmt, video.bit_depth) == (
        320, 180, 25.0, "h264", "yuv420p", 8,
    )  # fmt: skip
    assert [(a.codec, a.channels, a.language.tag if a.language else None) for a in info.audio] == [
        ("aac", 1, "en"),
        ("aac", 1, "fr"),  # ISO 639-2/B "fre" becomes the RFC 5646 tag "fr"
    ]
    (sub,) = info.subtitles
    assert (sub.codec, sub.is_text, sub.language.tag if sub.language else None) == ("srt", True, "de")


def test_ten_bit_depth_is_reported(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "ten.mp4", pix_fmt="yuv420p10le", seconds=1))
    assert (info.video.pix_fmt, info.video.bit_depth) == ("yuv420p10le", 10)


def test_display_size_applies_pixel_aspect(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "anamorphic.mp4", size="160x90", seconds=1, extra=["-vf", "setsar=4/3"]))
    assert info.video.sample_aspect == Fraction(4, 3)
    assert info.video.display_size == (213, 90)


def test_display_size_applies_rotation(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "phone.mp4", size="160x90", seconds=1)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [FFMPEG, "-v", "error", "-display_rotation", "90", "-i", str(clip), "-c", "copy", str(rotated)], check=True
    )
    assert probe(rotated).video.display_size == (90, 160)


def test_file_name_with_spaces_and_quotes(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / 'it\'s a "quoted" film.mp4', seconds=1))
    assert info.duration == pytest.approx(1.0, abs=0.05)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "good.mp4", size="320x180", seconds=2)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidMedia, match=r"nothing\.mp4 does not exist"):
        probe(tmp_path / "nothing.mp4")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "x.mp4").write_bytes(b"")
    with pytest.raises(InvalidMedia, match=r"^x\.mp4 is empty \(0 bytes\)$"):
        probe(tmp_path / "x.mp4")


def test_not_a_video(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("these are not the frames you are looking for\n" * 20)
    with pytest.raises(InvalidMedia, match=r"^notes\.txt is not a video file ffmpeg can read$"):
        probe(tmp_path / "notes.txt")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "folder.mp4").mkdir()
    with pytest.raises(InvalidMedia, match=r"folder\.mp4 is not a regular file"):
        probe(tmp_path / "folder.mp4")


def test_truncated_file_without_its_index(tmp_path: Path, good: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # ffmpeg writes the moov index last
    with pytest.raises(InvalidMedia, match=r"^cut\.mp4 is truncated or corrupt"):
        probe(cut)


def test_truncated_file_with_its_index_first(tmp_path: Path, good: Path) -> None:
    fast = tmp_path / "fast.mp4"
    subprocess.run([FFMPEG, "-v", "error", "-i", str(good), "-c", "copy", "-movflags", "+faststart", str(fast)],
                   check=True)  # fmt: skip
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(fast.read_bytes()[: fast.stat().st_size // 2])
    with pytest.raises(InvalidMedia, match=r"^cut\.mp4 is truncated or corrupt: it is .* but its index needs"):
        probe(cut)


def test_audio_only(tmp_path: Path) -> None:
    audio = make_clip(tmp_path / "song.m4a", video=False, seconds=1)
    with pytest.raises(InvalidMedia, match=r"^song\.m4a has no video stream \(it contains only audio\)$"):
        probe(audio)


def test_subtitle_files(tmp_path: Path) -> None:
    (tmp_path / "good.srt").write_text(SRT)
    assert probe_subtitles(tmp_path / "good.srt").is_text
    (tmp_path / "bad.srt").write_text("\x00\x01 not subtitles")
    with pytest.raises(InvalidMedia, match=r"bad\.srt is not a subtitle file"):
        probe_subtitles(tmp_path / "bad.srt")

"""The in-process FLV to CMAF muxer: what it writes decodes (PyAV, ffmpeg), every segment starts at a
keyframe and plays on its own after the init segment, and timestamps run on without gaps across segments."""

from __future__ import annotations

import io
import itertools
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import pytest

from airwave.channels.rtmp_proto import AUDIO, VIDEO, flv_tags
from airwave.media.fmp4 import CmafSegmenter, Segment, UnsupportedMedia, parse_asc, sps_size
from airwave.media.mp4 import avc_codec
from tests.media.clips import FFMPEG

FPS = 25


def encoder_flv(path: Path, *, size: str = "320x180", seconds: int = 5, gop: int = 12) -> bytes:
    """An FLV like an encoder pushes: H.264 with B-frames (composition offsets), AAC, a keyframe every ``gop``."""
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds), "-c:v", "libx264",
            "-preset", "veryfast", "-bf", "2", "-g", str(gop), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
            str(path)]  # fmt: skip
    subprocess.run(argv, check=True, timeout=60)
    return path.read_bytes()


def _segment(data: bytes, target: float) -> tuple[bytes, list[Segment]]:
    init: list[bytes] = []
    segments: list[Segment] = []
    segmenter = CmafSegmenter(target, init.append, segments.append)
    for kind, timestamp, body in flv_tags(data):
        if kind == VIDEO:
            segmenter.video_tag(timestamp, body)
        elif kind == AUDIO:
            segmenter.audio_tag(timestamp, body)
    segmenter.flush()
    assert len(init) == 1
    return init[0], segments


@pytest.fixture(scope="module")
def muxed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[Segment]]:
    return _segment(encoder_flv(tmp_path_factory.mktemp("flv") / "source.flv"), target=1.0)


def test_segments_are_cut_at_keyframes_near_the_target(muxed: tuple[bytes, list[Segment]]) -> None:
    _init, segments = muxed
    assert [s.n for s in segments] == list(range(len(segments)))
    # keyframes every 12 frames (0.48 s): a segment closes at the first one at or past each whole second
    assert [s.duration for s in segments[:4]] == [1.44, 0.96, 0.96, 0.96]
    assert sum(s.duration for s in segments) == pytest.approx(5.0, abs=0.05)


def test_init_and_segments_decode_with_continuous_timestamps(muxed: tuple[bytes, list[Segment]]) -> None:
    init, segments = muxed
    whole = init + b"".join(s.data for s in segments)
    with av.open(io.BytesIO(whole)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (320, 180)
        assert container.streams.audio[0].codec_context.sample_rate == 48000
        frames = sorted(f.pts * f.time_base for f in container.decode(video=0))
    assert len(frames) == 5 * FPS
    steps = {b - a for a, b in itertools.pairwise(frames)}
    assert steps == {Fraction(1, FPS)}  # no gap and no overlap across segment boundaries
    with av.open(io.BytesIO(whole)) as container:
        audio = [(f.pts, f.samples) for f in container.decode(audio=0)]
    assert all(pts + samples == following for (pts, samples), (following, _) in itertools.pairwise(audio))


def test_every_segment_plays_on_its_own_after_the_init_segment(muxed: tuple[bytes, list[Segment]]) -> None:
    init, segments = muxed
    for segment in segments:
        with av.open(io.BytesIO(init + segment.data)) as container:
            first = next(container.decode(video=0))
            assert first.key_frame, f"segment {segment.n} does not start with a keyframe"


def test_ffmpeg_decodes_a_playlist_of_the_segments(muxed: tuple[bytes, list[Segment]], tmp_path: Path) -> None:
    init, segments = muxed
    (tmp_path / "init.mp4").write_bytes(init)
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2", '#EXT-X-MAP:URI="init.mp4"']
    for segment in segments:
        (tmp_path / f"{segment.n}.m4s").write_bytes(segment.data)
        lines += [f"#EXTINF:{segment.duration:.3f},", f"{segment.n}.m4s"]
    (tmp_path / "index.m3u8").write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]))
    argv = [FFMPEG, "-nostdin", "-v", "error", "-i", str(tmp_path / "index.m3u8"), "-f", "null", "-"]
    done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-800:]
    assert "error" not in done.stderr.lower(), done.stderr[-800:]


def test_codec_strings_and_picture_size_come_from_the_headers(muxed: tuple[bytes, list[Segment]]) -> None:
    init, _segments = muxed
    assert avc_codec(init).startswith("avc1.64")  # High profile, as libx264 writes yuv420p by default
    assert parse_asc(bytes([0x11, 0x90])).codec == "mp4a.40.2"  # AAC-LC, 48 kHz, stereo
    assert (parse_asc(bytes([0x11, 0x90])).rate, parse_asc(bytes([0x11, 0x90])).channels) == (48000, 2)


def test_sps_sizes_with_cropping(tmp_path: Path) -> None:
    """A height that is not a multiple of 16 is coded larger and cropped; the SPS parser applies the crop."""
    init, _segments = _segment(encoder_flv(tmp_path / "odd.flv", size="176x100", seconds=1), target=1.0)
    with av.open(io.BytesIO(init)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (176, 100)
    avcc = init[init.index(b"avcC") + 4 :]
    sps = avcc[8 : 8 + int.from_bytes(avcc[6:8], "big")]
    assert sps_size(sps) == (176, 100)


def test_a_video_codec_other_than_h264_is_refused() -> None:
    segmenter = CmafSegmenter(2.0, lambda _init: None, lambda _segment: None)
    with pytest.raises(UnsupportedMedia, match=r"not H\.264"):
        segmenter.video_tag(0, bytes([0x12, 0, 0, 0, 0, 1, 2]))  # Sorenson H.263 keyframe
    with pytest.raises(UnsupportedMedia, match="not AAC"):
        segmenter.audio_tag(0, bytes([0x2F, 1, 2]))  # MP3

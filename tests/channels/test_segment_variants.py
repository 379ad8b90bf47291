"""One live segment marked with real ffmpeg: A and B share an init, keep the picture (the planes go to x264
without the decoder's row padding), carry the mark with opposite signs, and sit on the original's timeline."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import av
import numpy as np

from airwave.channels.segment_variants import Encoding, encode_variants
from airwave.watermark.embed import Marker
from airwave.watermark.pattern import title_key
from tests.media.clips import FFMPEG

WIDTH, HEIGHT = 200, 112  # rows of 200 (chroma 100) px: the decoder pads them, the encoders must not see it
STRENGTH = 4.0  # strong enough to measure after x264 at this size; the mark's shape is what is checked
KEY = title_key("secret", "live/news")


def _live_segment(folder: Path) -> tuple[bytes, bytes]:
    """Init and second segment of a 4 s 2 s-GOP fMP4 stream with audio, as a channel run writes them."""
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-map", "0:v", "-map", "1:a",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
         "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
         "-hls_segment_filename", f"{folder}/seg-%d.m4s", str(folder / "index.m3u8")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return (folder / "init.mp4").read_bytes(), (folder / "seg-1.m4s").read_bytes()


def _decoded(init: bytes, segment: bytes) -> tuple[np.ndarray, float]:
    """The segment's luma frames as coded and its first frame's time."""
    with av.open(io.BytesIO(init + segment), format="mp4", mode="r") as container:
        frames = list(container.decode(video=0))
    luma = [np.asarray(f.reformat(format="yuv420p").to_ndarray()[:HEIGHT], np.float64) for f in frames]
    return np.stack(luma), float(frames[0].time or 0.0)


def test_variants_keep_the_picture_carry_opposite_marks_and_the_original_timeline(tmp_path: Path) -> None:
    (tmp_path / "live").mkdir()
    init, media = _live_segment(tmp_path / "live")
    encoding = Encoding("veryfast", 3_000_000, 4_500_000, 6_000_000)
    shared, (a, b) = encode_variants(FFMPEG, init, media, 2, KEY, STRENGTH, encoding, tmp_path)
    original, start = _decoded(init, media)
    first_a, start_a = _decoded(shared, a)
    first_b, start_b = _decoded(shared, b)
    assert first_a.shape == first_b.shape == original.shape
    assert abs(start_a - start) < 1e-3
    assert abs(start_b - start) < 1e-3
    for variant in (first_a, first_b):
        psnr = 10 * np.log10(255**2 / np.mean((variant - original) ** 2))
        assert psnr > 30, psnr  # a stride or plane-order mistake scrambles the picture far below this
    marker = Marker(KEY, STRENGTH, 25.0, 2.0)
    middle = 25  # away from the ramps at the segment's edges
    expected = marker.mark(original[middle].astype(np.uint8), 50 + middle)
    half = (first_a[middle] - first_b[middle]) / 2
    correlation = np.corrcoef(half.ravel(), expected.ravel())[0, 1]
    assert correlation > 0.5, correlation

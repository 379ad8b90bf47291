"""Decoding video into small 8-bit luma frames with PyAV: captures, and our own A/B segments.

Detection works at a fixed analysis size (ANALYSIS_HEIGHT rows, the picture's own aspect): the mark lives
in 18 rows of cells, so 144 rows keep 8 px per cell while making every frame cheap to correlate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from airwave.errors import InvalidMedia

ANALYSIS_HEIGHT = 144

Frames = NDArray[np.uint8]  # (n, height, width)


@dataclass(frozen=True)
class Clip:
    """Decoded frames and their presentation times in seconds, from the first frame."""

    frames: Frames
    times: NDArray[np.float64]


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """Width and height of the analysis frames of a ``width`` x ``height`` picture."""
    return max(2, round(ANALYSIS_HEIGHT * width / height / 2) * 2), ANALYSIS_HEIGHT


def decode_file(path: Path, *, max_seconds: float | None = None) -> Clip:
    """Every frame of ``path``'s first video stream at analysis size.

    Raises:
        InvalidMedia: not a readable video file.
    """
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.video:
                raise InvalidMedia(f"{path.name} has no video stream")
            return _decode(container, max_seconds)
    except (av.FFmpegError, OSError) as exc:
        raise InvalidMedia(f"cannot read {path.name}: {exc}") from None


def decode_segment(init: bytes, segment: bytes, size: tuple[int, int]) -> Frames:
    """The frames of one fMP4 segment (with its init section) at ``size`` (width, height)."""
    with av.open(io.BytesIO(init + segment), format="mp4", mode="r") as container:
        frames = [_gray(frame, size) for frame in container.decode(video=0)]
    return np.stack(frames) if frames else np.zeros((0, size[1], size[0]), np.uint8)


def _decode(container: av.container.InputContainer, max_seconds: float | None) -> Clip:
    stream = container.streams.video[0]
    size = analysis_size(stream.codec_context.width, stream.codec_context.height)
    frames: list[Frames] = []
    times: list[float] = []
    for frame in container.decode(stream):
        if frame.time is None:
            continue
        if max_seconds is not None and times and frame.time - times[0] > max_seconds:
            break
        times.append(frame.time)
        frames.append(_gray(frame, size))
    if not frames:
        raise InvalidMedia("the capture has no decodable video frames")
    start = times[0]
    return Clip(np.stack(frames), np.asarray(times, np.float64) - start)


def _gray(frame: av.VideoFrame, size: tuple[int, int]) -> Frames:
    picture = frame.reformat(width=size[0], height=size[1], format="gray", interpolation="AREA").to_ndarray()
    return np.asarray(picture, np.uint8)

"""One live segment marked: decoded, marked as segment N, encoded twice (A and B), and retimed.

The decode, the mark and the two x264 encoders overlap: frames go from PyAV's decoder as planes (no RGB
conversion) through the marker (luma only; chroma passes through) into two ffmpeg processes, one per
variant, which on a two-core machine share the cores with numpy marking the next frame. Both encoders get identical
settings, so A and B share one initialisation segment; each comes out starting at zero and is moved onto
the original's timeline (:mod:`airwave.channels.retime`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.stream import VideoStream
from numpy.typing import NDArray

from airwave.channels.retime import Track, base_times, retime, tracks
from airwave.errors import MediaError
from airwave.media.process import FFmpegProcess
from airwave.watermark.cores import one_core
from airwave.watermark.embed import FIRST_SEGMENT, Marker

VARIANTS = ("a", "b")


@dataclass(frozen=True)
class Encoding:
    """The x264 settings both variants of a rendition's segments are encoded with."""

    preset: str
    bitrate: int
    maxrate: int
    bufsize: int


def encode_variants(
    ffmpeg: str, init: bytes, media: bytes, number: int, key: bytes, strength: float, encoding: Encoding, work: Path
) -> tuple[bytes, tuple[bytes, bytes]]:
    """Decode one segment, mark it as segment ``number``, and encode A and B; returns (init, (A, B)).

    The two encoders run beside the decode-and-mark loop, so on two cores the three overlap.

    Raises:
        MediaError: the segment has no video, ffmpeg failed, or the two encodes do not share one init.
    """
    original = work / "original.mp4"
    original.write_bytes(init + media)
    with av.open(str(original), mode="r") as container:
        video = _demux(container)
        marker = Marker(key, strength, float(video.fps), video.frames / float(video.fps))
        encoders = [
            FFmpegProcess(encode_argv(ffmpeg, original, video.size, video.fps, encoding, work / v),
                          name=f"ffmpeg-live-wm-{v}", stdin_pipe=True, stop_timeout=1.0)
            for v in VARIANTS
        ]  # fmt: skip
        with one_core(), encoders[0], encoders[1]:
            start = _mark_frames(video, marker, (number - FIRST_SEGMENT) * video.frames, encoders)
            _finish(encoders)
    results = [_read_output(work / v) for v in VARIANTS]
    if init_parameters(results[0][0]) != init_parameters(results[1][0]):
        raise MediaError("the A and B encodes of a live segment came out with different parameters")
    starts = _starts(init, media, results[0][0], start)
    return results[0][0], (retime(results[0][1], starts), retime(results[1][1], starts))


@dataclass(frozen=True)
class _Video:
    """A segment's video, demuxed once: its packets (the decoder's flush packet last), frame count, rate, size."""

    packets: list[av.Packet[VideoStream]]
    frames: int
    fps: Fraction
    size: tuple[int, int]


def _demux(container: av.container.InputContainer) -> _Video:
    if not container.streams.video:
        raise MediaError("the segment has no video to watermark")
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or Fraction(25)
    packets = list(container.demux(stream))
    frames = sum(1 for packet in packets if packet.size)
    if not frames:
        raise MediaError("the segment has no video frames")
    size = (stream.codec_context.width, stream.codec_context.height)
    return _Video(packets, frames, Fraction(rate).limit_denominator(1001), size)


def _mark_frames(video: _Video, marker: Marker, first: int, encoders: list[FFmpegProcess]) -> float:
    """Decode, mark and hand every frame to the A and B encoders; returns the first frame's time (seconds).

    Frames are numbered from the channel's first (``first`` is this segment's), as the marker expects. Only
    the luma is marked; the chroma planes go to the pipes as the decoder left them (no RGB round trip).
    """
    start: float | None = None
    index = 0
    width, height = video.size
    marked = (np.empty((height, width), np.uint8), np.empty((height, width), np.uint8))  # reused per frame
    for packet in video.packets:
        for frame in packet.decode():
            if start is None and frame.time is not None:
                start = float(frame.time)
            luma, chroma = _planes(frame)
            marker.variants(luma, first + min(index, video.frames - 1), out=marked)
            for encoder, plane in zip(encoders, marked, strict=True):
                _write(encoder, (plane, *chroma))
            index += 1
    if start is None:
        raise MediaError("the segment has no decodable video frame")
    return start


def _planes(frame: av.VideoFrame) -> tuple[NDArray[np.uint8], tuple[NDArray[np.uint8], ...]]:
    """The frame's 8-bit 4:2:0 luma plane and its two chroma planes, without the decoder's row padding."""
    planar = frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
    y, u, v = (
        np.ascontiguousarray(np.frombuffer(memoryview(p), np.uint8).reshape(-1, p.line_size)[: p.height, : p.width])
        for p in planar.planes
    )
    return y, (u, v)


def _finish(encoders: list[FFmpegProcess]) -> None:
    for encoder in encoders:
        encoder.stdin.close()
    for encoder in encoders:
        if encoder.wait() != 0:
            raise MediaError(f"the live watermark encoder failed: {encoder.stderr_tail or 'no message'}")


def encode_argv(ffmpeg: str, original: Path, size: tuple[int, int], fps: Fraction, encoding: Encoding,
                folder: Path) -> list[str]:  # fmt: skip
    """Raw marked frames from stdin plus the original's audio, copied, into a one-segment fMP4 HLS folder.

    No B-frames: a segment encoded on its own then starts presenting at its first decode time, which is
    what lets :func:`~airwave.channels.retime.retime` give it the original's timeline exactly.
    """
    folder.mkdir(parents=True, exist_ok=True)
    return [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "level+error",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{size[0]}x{size[1]}",
            "-framerate", f"{fps.numerator}/{fps.denominator}", "-i", "pipe:0", "-i", f"file:{original}",
            "-map", "0:v:0", "-map", "1:a:0?", "-c:a", "copy",
            "-c:v", "libx264", "-preset", encoding.preset, "-profile:v", "high", "-bf", "0",
            "-b:v", str(encoding.bitrate), "-maxrate", str(encoding.maxrate), "-bufsize", str(encoding.bufsize),
            "-g", "100000", "-sc_threshold", "0",
            "-f", "hls", "-hls_time", "100000", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", f"{folder}/segment-%d.m4s",
            "-hls_flags", "independent_segments", str(folder / "index.m3u8")]  # fmt: skip


def _starts(init: bytes, media: bytes, marked_init: bytes, video_start: float) -> dict[int, int]:
    """Where each track of the marked encode must start: the original's video presentation start
    (``video_start``, its first frame's time; the marked encode has no B-frames) and the original's audio
    decode start, in the marked tracks' timescales."""
    original_tracks = {t.handler: t for t in tracks(init)}
    original_times = base_times(media)
    starts = {}
    for track in tracks(marked_init):
        if track.handler == "vide":
            seconds = video_start
        elif track.handler in original_tracks:
            source = original_tracks[track.handler]
            seconds = original_times[source.track_id] / source.timescale
        else:
            continue
        starts[track.track_id] = round(seconds * track.timescale)
    return starts


def init_parameters(init: bytes) -> tuple[bytes, list[Track]]:
    """What must match for one init to serve both variants: the H.264 parameter sets (``avcC``) and the
    tracks. Bitrate hints (``btrt``, ``esds``) differ between encodes and do not matter to a decoder."""
    position = init.find(b"avcC")
    if position < 4:
        raise MediaError("the live watermark encode has no H.264 configuration")
    size = int.from_bytes(init[position - 4 : position], "big")
    return init[position - 4 : position - 4 + size], tracks(init)


def _read_output(folder: Path) -> tuple[bytes, bytes]:
    segments = sorted(folder.glob("segment-*.m4s"))
    if len(segments) != 1:
        raise MediaError(f"the live watermark encoder wrote {len(segments)} segments instead of one")
    return (folder / "init.mp4").read_bytes(), segments[0].read_bytes()


def _write(encoder: FFmpegProcess, planes: tuple[NDArray[np.uint8], ...]) -> None:
    try:
        for plane in planes:
            encoder.stdin.write(plane.data)
    except (BrokenPipeError, ValueError):
        encoder.wait()
        raise MediaError(f"the live watermark encoder stopped: {encoder.stderr_tail or 'no message'}") from None

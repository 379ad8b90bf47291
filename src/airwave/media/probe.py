"""Reading what a media file holds (with PyAV; the imageio-ffmpeg wheel has no ffprobe).

Every failure becomes :class:`~airwave.errors.InvalidMedia` with a message that names the file and says what
is wrong with it in words an operator understands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from airwave.errors import InvalidMedia
from airwave.media.languages import Language, language

BITMAP_SUBTITLES = frozenset({"hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle", "xsub", "dvb_teletext"})
_READ_FAILURES = (av.error.FFmpegError, OSError, ValueError, IndexError, StopIteration)


@dataclass(frozen=True)
class VideoInfo:
    """The video stream ingest encodes."""

    index: int  # stream index in the file, for ffmpeg's -map 0:<index>
    codec: str
    width: int  # coded size
    height: int
    sample_aspect: Fraction  # pixel shape; 1 for square pixels
    rotation: int  # display rotation in degrees; ffmpeg applies it while decoding
    fps: float
    pix_fmt: str
    bit_depth: int

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: pixel aspect and rotation applied."""
        width = max(1, round(self.width * self.sample_aspect))
        if self.rotation % 180 == 90:
            return self.height, width
        return width, self.height


@dataclass(frozen=True)
class AudioInfo:
    index: int
    codec: str
    channels: int
    sample_rate: int
    language: Language | None
    title: str
    default: bool


@dataclass(frozen=True)
class SubtitleInfo:
    index: int
    codec: str
    language: Language | None
    title: str
    is_text: bool  # text can become WebVTT; bitmaps (PGS, DVD) cannot
    default: bool


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` found."""

    path: Path
    size: int
    container: str
    duration: float  # seconds
    start_time: float  # seconds; the first timestamp (non-zero in MPEG-TS, for example)
    video: VideoInfo
    audio: tuple[AudioInfo, ...]
    subtitles: tuple[SubtitleInfo, ...]


def probe(path: Path) -> MediaInfo:
    """Describe the streams of ``path``.

    Raises:
        InvalidMedia: the file is missing, empty, not media, truncated, or has no video stream.
    """
    size = _check_file(path)
    try:
        container = av.open(str(path), metadata_errors="replace")
    except _READ_FAILURES:
        raise InvalidMedia(_unreadable(path)) from None
    with container:
        return _describe(path, size, container)


def probe_subtitles(path: Path) -> SubtitleInfo:
    """Check that ``path`` is a subtitle file ffmpeg can read (SRT, WebVTT, ASS/SSA) and describe it.

    Raises:
        InvalidMedia: it is not.
    """
    _check_file(path)
    problem = f"{path.name} is not a subtitle file ffmpeg can read (use SRT, WebVTT or ASS)"
    try:
        with av.open(str(path), metadata_errors="replace") as container:
            streams = [_subtitle(stream) for stream in container.streams if stream.type == "subtitle"]
    except _READ_FAILURES:
        raise InvalidMedia(problem) from None
    if not streams or not streams[0].is_text:
        raise InvalidMedia(problem)
    return streams[0]


def _check_file(path: Path) -> int:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InvalidMedia(f"{path} does not exist") from None
    except OSError as exc:
        raise InvalidMedia(f"{path} cannot be read: {exc.strerror}") from None
    if not path.is_file():
        raise InvalidMedia(f"{path.name} is not a regular file")
    if stat.st_size == 0:
        raise InvalidMedia(f"{path.name} is empty (0 bytes)")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InvalidMedia(f"{path.name} cannot be read: {exc.strerror}") from None
    return stat.st_size


def _describe(path: Path, size: int, container: Any) -> MediaInfo:
    _check_format(path, str(container.format.name))
    streams = list(container.streams)
    videos = [s for s in streams if s.type == "video" and not _flag(s, "attached_pic")]
    if not videos:
        types = {s.type for s in streams}
        kinds = "only audio" if "audio" in types else "only subtitles" if "subtitle" in types else "no audio or video"
        raise InvalidMedia(f"{path.name} has no video stream (it contains {kinds})")
    video = _video(path, container, videos[0])
    _check_complete(path, size, streams)
    return MediaInfo(
        path=path,
        size=size,
        container=str(container.format.name),
        duration=_duration(path, container, videos[0]),
        start_time=(container.start_time or 0) / av.time_base,
        video=video,
        audio=tuple(_audio(s) for s in streams if s.type == "audio"),
        subtitles=tuple(_subtitle(s) for s in streams if s.type == "subtitle"),
    )


def _check_format(path: Path, name: str) -> None:
    # ffmpeg "plays" any text file as ANSI art (the tty demuxer) and a picture as a one-frame video.
    if name == "tty":
        raise InvalidMedia(f"{path.name} is not a video file ffmpeg can read")
    if name == "image2" or name.endswith("_pipe"):
        raise InvalidMedia(f"{path.name} is a still image, not a video")


def _video(path: Path, container: Any, stream: Any) -> VideoInfo:
    try:
        frame = next(container.decode(stream))
    except _READ_FAILURES:
        raise InvalidMedia(
            f"{path.name} is truncated or corrupt: its first video frame ({stream.codec_context.name}) "
            "cannot be decoded"
        ) from None
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    pix_fmt = str(frame.format.name)
    return VideoInfo(
        index=int(stream.index),
        codec=str(stream.codec_context.name),
        width=int(frame.width),
        height=int(frame.height),
        sample_aspect=Fraction(stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio or 1),
        rotation=round(getattr(frame, "rotation", 0) or 0) % 360,
        fps=float(rate) if rate and 1 <= float(rate) <= 240 else 25.0,
        pix_fmt=pix_fmt,
        bit_depth=max(int(c.bits) for c in av.VideoFormat(pix_fmt).components),
    )


def _audio(stream: Any) -> AudioInfo:
    context = stream.codec_context
    return AudioInfo(
        index=int(stream.index),
        codec=str(context.name),
        channels=int(context.layout.nb_channels) if context.layout else 0,
        sample_rate=int(context.sample_rate or 0),
        language=language(stream.metadata.get("language")),
        title=_title(stream),
        default=_flag(stream, "default"),
    )


def _subtitle(stream: Any) -> SubtitleInfo:
    codec = str(stream.codec_context.name)
    return SubtitleInfo(
        index=int(stream.index),
        codec=codec,
        language=language(stream.metadata.get("language")),
        title=_title(stream),
        is_text=codec not in BITMAP_SUBTITLES,
        default=_flag(stream, "default"),
    )


def _duration(path: Path, container: Any, video: Any) -> float:
    if container.duration:
        seconds = container.duration / av.time_base
    elif video.duration and video.time_base:
        seconds = float(video.duration * video.time_base)
    else:
        seconds = _scan_duration(container, video)
    if not math.isfinite(seconds) or seconds < 0.1:
        raise InvalidMedia(f"{path.name} has no usable duration ({seconds:.2f} s): it is not a video")
    return float(seconds)


def _scan_duration(container: Any, video: Any) -> float:
    # Raw streams (e.g. an .h264 elementary stream) carry no duration: find the last timestamp.
    container.seek(0)
    last = 0.0
    for packet in container.demux(video):
        if packet.pts is not None and packet.time_base:
            last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    return last - (container.start_time or 0) / av.time_base


def _check_complete(path: Path, size: int, streams: list[Any]) -> None:
    # MP4/MOV indexes say where every sample is; one beyond the end means the file was cut short.
    needed = 0
    for stream in streams:
        entries = stream.index_entries
        for position in range(max(0, len(entries) - 8), len(entries)):
            entry = entries[position]
            needed = max(needed, int(entry.pos) + int(entry.size))
    if needed > size:
        raise InvalidMedia(
            f"{path.name} is truncated or corrupt: it is {_mb(size)} but its index needs {_mb(needed)} "
            "(an incomplete download or copy?)"
        )


def _unreadable(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(512)
    if _looks_like_media(head):
        return f"{path.name} is truncated or corrupt: ffmpeg cannot read its header"
    return f"{path.name} is not a video file ffmpeg can read"


def _looks_like_media(head: bytes) -> bool:
    if head[4:8] in {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"}:
        return True  # MP4 / QuickTime
    if len(head) > 188 and head[0] == head[188] == 0x47:
        return True  # MPEG-TS
    signatures = (b"\x1a\x45\xdf\xa3", b"RIFF", b"FLV", b"OggS", b"\x00\x00\x01\xba", b"\x30\x26\xb2\x75")
    return head.startswith(signatures)


def _flag(stream: Any, name: str) -> bool:
    return bool(stream.disposition & getattr(av.stream.Disposition, name))


def _title(stream: Any) -> str:
    return str(stream.metadata.get("title") or stream.metadata.get("name") or "").strip()


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"

"""Channel source URLs: what each kind means, whether a given URL is one, and what a source carries.

=================  ==========================================================================
``push:rtmp``      an encoder (OBS, ffmpeg) pushes to the one RTMP port with the channel's key
``push:srt``       an encoder pushes SRT to the channel's own port, the key as passphrase
``http(s)://``     pull an HLS (``.m3u8``) or other HTTP stream
``udp://``         pull MPEG-TS over UDP, multicast groups included (``udp://239.0.0.1:1234``)
``rtsp://``        pull from a camera or an encoder (over TCP)
``srt://``         pull SRT as a caller
``rtmp(s)://``     pull from another RTMP server
``file:///path``   a file played in a loop forever (slates, tests)
=================  ==========================================================================
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import av

from airwave.errors import AirwaveError, BadRequest
from airwave.media.probe import probe

log = logging.getLogger(__name__)

RTMP_PUSH = "push:rtmp"
SRT_PUSH = "push:srt"
PULL_SCHEMES = ("http", "https", "udp", "rtp", "rtsp", "srt", "rtmp", "rtmps")
EXAMPLES = "push:rtmp, push:srt, http(s)://…/index.m3u8, udp://239.0.0.1:1234, rtsp://…, srt://host:port, file:///path"


@dataclass(frozen=True)
class Source:
    """A parsed source: ``kind`` is rtmp-push, srt-push, pull or file."""

    kind: str
    url: str

    @property
    def is_push(self) -> bool:
        return self.kind in ("rtmp-push", "srt-push")

    @property
    def path(self) -> Path:
        """The file of a ``file://`` source."""
        return Path(unquote(urlsplit(self.url).path))

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()


def parse_source(url: str, *, field: str = "source") -> Source:
    """Check a source URL and say what it is.

    Raises:
        BadRequest: not a kind of source Airwave can take; the message lists the kinds.
    """
    text = url.strip()
    if text == RTMP_PUSH:
        return Source("rtmp-push", text)
    if text == SRT_PUSH:
        return Source("srt-push", text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        path = Path(unquote(parts.path))
        if parts.netloc not in ("", "localhost") or not path.is_absolute():
            raise BadRequest(f"{field}: a file source is file:///absolute/path, not {text!r}", field=field)
        if not path.is_file():
            raise BadRequest(f"{field}: there is no file {path}", field=field)
        return Source("file", text)
    if scheme in PULL_SCHEMES and parts.netloc:
        if any(ch in text for ch in "\n\r \t"):
            raise BadRequest(f"{field}: a URL cannot contain spaces or line breaks", field=field)
        return Source("pull", text)
    raise BadRequest(f"{field}: {text!r} is not a source Airwave can use; use one of {EXAMPLES}", field=field)


def redact(url: str) -> str:
    """The URL without a password, for logs and the admin pages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def ffmpeg_input(
    source: Source, *, ingest_host: str = "0.0.0.0", srt_port: int | None = None, key: str = ""
) -> list[str]:
    """The input options for ``source`` (an RTMP push arrives as FLV on stdin)."""
    if source.kind == "rtmp-push":
        return ["-f", "flv", "-i", "pipe:0"]
    if source.kind == "srt-push":
        # SRT passphrases are 10-79 characters; the stream key is 24.
        return ["-i", f"srt://{ingest_host}:{srt_port}?mode=listener&passphrase={key}&pbkeylen=16"]
    if source.kind == "file":
        # -re: read at the native rate, as a live source would arrive; -stream_loop -1: forever.
        return ["-re", "-stream_loop", "-1", "-i", f"file:{source.path}"]
    scheme = source.scheme
    if scheme == "rtsp":
        return ["-rtsp_transport", "tcp", "-timeout", "10000000", "-i", source.url]
    if scheme in ("udp", "rtp"):
        joiner = "&" if "?" in source.url else "?"
        return ["-i", f"{source.url}{joiner}overrun_nonfatal=1&fifo_size=1000000&timeout=10000000"]
    if scheme in ("http", "https"):
        return ["-rw_timeout", "10000000", "-reconnect", "1", "-i", source.url]
    return ["-i", source.url]


PROBE_TIMEOUT = 10.0  # seconds to open a live source and read its stream headers
_PROBE_FAILURES = (av.error.FFmpegError, OSError, ValueError, IndexError, StopIteration)


@dataclass(frozen=True)
class SourceInfo:
    """What a source carries: enough to choose passthrough or a ladder, and to size the ladder."""

    video: str  # ffmpeg codec name: h264, hevc, mpeg2video, ...
    audio: str | None
    width: int  # displayed size (pixel aspect applied)
    height: int
    fps: float


def probe_source(source: Source, timeout: float = PROBE_TIMEOUT) -> SourceInfo | None:
    """Open a file or pull source and describe its first video and audio streams; None if it cannot be known.

    Push sources arrive only once the run reads them, so they are not probed. A pull source that does not
    answer within ``timeout`` is not known either: the run is planned without it and tries the source itself.
    """
    if source.kind == "file":
        try:
            info = probe(source.path)
        except AirwaveError as exc:
            log.warning("cannot probe %s: %s", source.path, exc)
            return None
        width, height = info.video.display_size
        audio = info.audio[0].codec if info.audio else None
        return SourceInfo(info.video.codec, audio, width, height, info.video.fps)
    if source.kind != "pull":
        return None
    try:
        with av.open(source.url, options=_probe_options(source), timeout=timeout) as container:
            return _describe(container)
    except _PROBE_FAILURES as exc:
        log.warning("cannot probe %s: %s", redact(source.url), exc)
        return None


def _probe_options(source: Source) -> dict[str, str]:
    if source.scheme == "rtsp":
        return {"rtsp_transport": "tcp"}
    if source.scheme in ("udp", "rtp"):
        return {"overrun_nonfatal": "1", "fifo_size": "1000000"}
    return {}


def _describe(container: Any) -> SourceInfo | None:
    videos = [s for s in container.streams.video if s.codec_context.width and s.codec_context.height]
    if not videos:
        return None
    video = videos[0]
    context = video.codec_context
    aspect = float(video.sample_aspect_ratio or context.sample_aspect_ratio or 1)
    rate = video.average_rate or video.guessed_rate or video.base_rate
    fps = float(rate) if rate and 1 <= float(rate) <= 240 else 25.0
    audio = next(iter(container.streams.audio), None)
    return SourceInfo(
        str(context.name), str(audio.codec_context.name) if audio is not None else None,
        max(1, round(context.width * aspect)), int(context.height), fps,
    )  # fmt: skip

"""Channel source URLs: what each kind means and whether a given URL is one. Pure.

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

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from airwave.errors import BadRequest

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

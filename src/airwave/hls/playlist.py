"""Media playlists: a small parser (for tests, measuring, and live channels) and a VOD renderer. Pure."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from airwave.errors import MediaError

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float  # seconds, from EXTINF
    title: str = ""


@dataclass
class MediaPlaylist:
    """The parts of an RFC 8216 media playlist Airwave uses."""

    version: int = 1
    target_duration: int = 0
    media_sequence: int = 0
    playlist_type: str | None = None  # "VOD" | "EVENT"
    independent_segments: bool = False
    map_uri: str | None = None  # EXT-X-MAP: the fMP4 initialisation section
    ended: bool = False  # EXT-X-ENDLIST
    segments: list[Segment] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return sum(segment.duration for segment in self.segments)


def parse_media_playlist(text: str) -> MediaPlaylist:
    """Parse a media playlist.

    Raises:
        MediaError: the text is not an M3U8 playlist or a tag is malformed.
    """
    lines = [line.strip() for line in text.splitlines()]
    if not lines or lines[0] != "#EXTM3U":
        raise MediaError("not an HLS playlist: the first line is not #EXTM3U")  # RFC 8216 4.3.1.1
    playlist, pending = MediaPlaylist(), None
    for line in lines[1:]:
        if not line:
            continue
        if not line.startswith("#"):
            if pending is None:
                raise MediaError(f"segment {line!r} has no #EXTINF")
            playlist.segments.append(Segment(line, *pending))
            pending = None
        elif line.startswith("#EXTINF:"):
            pending = _extinf(line)
        else:
            _tag(playlist, line)
    return playlist


def render_vod_playlist(segments: Sequence[Segment], *, map_uri: str | None = None, version: int = 7) -> str:
    """Render a complete VOD media playlist (used for a subtitle track's single ``subs.vtt`` segment)."""
    # RFC 8216 4.3.3.1: every EXTINF rounded to the nearest integer must be <= EXT-X-TARGETDURATION.
    target = max((math.floor(s.duration + 0.5) for s in segments), default=1)
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{version}", f"#EXT-X-TARGETDURATION:{max(1, target)}"]
    lines += ["#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if map_uri:
        lines.append(f'#EXT-X-MAP:URI="{map_uri}"')
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration:.3f},{segment.title}", segment.uri]
    return "\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n"


def _extinf(line: str) -> tuple[float, str]:
    duration, _, title = line.removeprefix("#EXTINF:").partition(",")
    try:
        return float(duration), title
    except ValueError:
        raise MediaError(f"malformed {line!r}: the duration is not a number") from None


def _tag(playlist: MediaPlaylist, line: str) -> None:
    name, _, value = line.partition(":")
    try:
        if name == "#EXT-X-VERSION":
            playlist.version = int(value)
        elif name == "#EXT-X-TARGETDURATION":
            playlist.target_duration = int(value)
        elif name == "#EXT-X-MEDIA-SEQUENCE":
            playlist.media_sequence = int(value)
    except ValueError:
        raise MediaError(f"malformed {line!r}: not an integer") from None
    if name == "#EXT-X-PLAYLIST-TYPE":
        playlist.playlist_type = value
    elif name == "#EXT-X-INDEPENDENT-SEGMENTS":
        playlist.independent_segments = True
    elif name == "#EXT-X-ENDLIST":
        playlist.ended = True
    elif name == "#EXT-X-MAP":
        playlist.map_uri = attributes(value).get("URI")


def attributes(text: str) -> dict[str, str]:
    """Parse an attribute list (RFC 8216 4.2): ``KEY=value,KEY="quoted, value"`` -> {KEY: value}."""
    return {match[1]: match[2].strip('"') for match in _ATTRIBUTE.finditer(text)}

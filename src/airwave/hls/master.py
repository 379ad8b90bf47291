"""The multivariant ("master") playlist of a title. Pure.

One variant stream per video rendition; audio languages and subtitle tracks are alternative renditions
(EXT-X-MEDIA) shared by every variant through the groups "audio" and "subs".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

VERSION = 7  # RFC 8216 7: fMP4 (EXT-X-MAP) needs 6+; the media playlists ffmpeg writes say 7
AUDIO_GROUP = "audio"
SUBTITLE_GROUP = "subs"


class RenditionLike(Protocol):
    """What the master playlist needs of a rendition (the attributes of ``store.tables.Rendition``)."""

    kind: str  # video | audio | subtitles
    name: str
    playlist: str  # media playlist URI, relative to the master playlist
    codecs: str
    bandwidth: int  # peak bits/s
    average_bandwidth: int
    width: int | None
    height: int | None
    frame_rate: float | None
    language: str | None
    label: str
    channels: int | None
    is_default: bool


def render_master(renditions: Sequence[RenditionLike]) -> str:
    """Render the master playlist; variants in the order given."""
    audio = [r for r in renditions if r.kind == "audio"]
    subtitles = [r for r in renditions if r.kind == "subtitles"]
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS", ""]
    lines += [_media("AUDIO", AUDIO_GROUP, r, audio) for r in audio]
    lines += [_media("SUBTITLES", SUBTITLE_GROUP, r, subtitles) for r in subtitles]
    if audio or subtitles:
        lines.append("")
    for video in (r for r in renditions if r.kind == "video"):
        lines += [_stream_inf(video, audio, bool(subtitles)), video.playlist]
    return "\n".join(lines) + "\n"


def _media(media_type: str, group: str, rendition: RenditionLike, members: Sequence[RenditionLike]) -> str:
    # RFC 8216 4.3.4.1.1: within a group, at most one DEFAULT=YES; NAME must be unique.
    default = rendition.is_default or (media_type == "AUDIO" and not any(m.is_default for m in members) and
                                       rendition is members[0])  # fmt: skip
    attributes = [f"TYPE={media_type}", f'GROUP-ID="{group}"']
    if rendition.language:
        attributes.append(f'LANGUAGE="{_quoted(rendition.language)}"')
    attributes.append(f'NAME="{_quoted(rendition.label or rendition.name)}"')
    attributes += [f"DEFAULT={_yes(default)}", "AUTOSELECT=YES"]
    if media_type == "SUBTITLES":
        attributes.append("FORCED=NO")
    if rendition.channels:
        attributes.append(f'CHANNELS="{rendition.channels}"')
    attributes.append(f'URI="{_quoted(rendition.playlist)}"')
    return "#EXT-X-MEDIA:" + ",".join(attributes)


def _stream_inf(video: RenditionLike, audio: Sequence[RenditionLike], has_subtitles: bool) -> str:
    # RFC 8216 4.3.4.2: BANDWIDTH is the peak of any playable combination of renditions, so add the
    # largest audio peak; AVERAGE-BANDWIDTH likewise with averages.
    peak = video.bandwidth + max((a.bandwidth for a in audio), default=0)
    average = video.average_bandwidth + max((a.average_bandwidth for a in audio), default=0)
    codecs = [video.codecs, *dict.fromkeys(a.codecs for a in audio if a.codecs)]
    attributes = [f"BANDWIDTH={peak}"]
    if average:
        attributes.append(f"AVERAGE-BANDWIDTH={average}")
    attributes.append(f'CODECS="{",".join(c for c in codecs if c)}"')
    if video.width and video.height:
        attributes.append(f"RESOLUTION={video.width}x{video.height}")
    if video.frame_rate:
        attributes.append(f"FRAME-RATE={video.frame_rate:.3f}")
    if audio:
        attributes.append(f'AUDIO="{AUDIO_GROUP}"')
    if has_subtitles:
        attributes.append(f'SUBTITLES="{SUBTITLE_GROUP}"')
    # RFC 8216 4.3.4.2: NONE says there are no CEA-608/708 captions in the video (players stop looking).
    attributes.append("CLOSED-CAPTIONS=NONE")
    return "#EXT-X-STREAM-INF:" + ",".join(attributes)


def _quoted(text: str) -> str:
    # RFC 8216 4.2: a quoted-string cannot contain a double quote, CR or LF.
    return text.replace('"', "'").replace("\r", " ").replace("\n", " ")


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"

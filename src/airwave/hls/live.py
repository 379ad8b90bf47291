"""Live and DVR media playlists rendered from a channel's own segment index. Pure.

Airwave never serves ffmpeg's playlists: sources restart and switch, and only an index it keeps itself can
promise what RFC 8216 asks of a live playlist: media sequence numbers that never go back (6.2.1), a
discontinuity sequence that counts every discontinuity removed from the top (4.3.3.3), and
``EXT-X-DISCONTINUITY`` wherever the encoding parameters may change (4.3.2.3).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Protocol

VERSION = 7  # RFC 8216 7: EXT-X-MAP in a playlist without I-frames only needs 6; ffmpeg's fMP4 says 7


class SegmentLike(Protocol):
    """What a playlist needs of a segment (``channels.feeds.LiveSegment``)."""

    @property
    def msn(self) -> int: ...
    @property
    def uri(self) -> str: ...
    @property
    def duration(self) -> float: ...
    @property
    def pdt(self) -> dt.datetime: ...
    @property
    def discontinuity(self) -> bool: ...
    @property
    def init_uri(self) -> str: ...
    @property
    def discontinuity_sequence(self) -> int: ...


def render_live(
    segments: Sequence[SegmentLike],
    target_duration: int,
    *,
    window: int | None,
    endlist: bool,
    playlist_type: str | None,
    prefix: str = "",
) -> str:
    """Render a media playlist of ``segments`` (ordered by msn).

    Args:
        segments: the segments, oldest first; ``window`` keeps only the last that many (the live window).
        target_duration: EXT-X-TARGETDURATION; raised if a segment is longer (RFC 8216 4.3.3.1).
        window: segments to keep from the end, None for all (DVR, catch-up).
        endlist: add EXT-X-ENDLIST (a finished catch-up programme).
        playlist_type: "EVENT", "VOD" or None (a sliding live window).
        prefix: put before every URI (e.g. "../" when the playlist sits one folder below the channel root).
    """
    shown = list(segments[-window:]) if window is not None and window > 0 else list(segments)
    target = max([target_duration, *(round_half_up(s.duration) for s in shown)])
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{VERSION}", f"#EXT-X-TARGETDURATION:{target}"]
    first = shown[0] if shown else None
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first.msn if first else 0}")
    lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{first.discontinuity_sequence if first else 0}")
    if playlist_type:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{playlist_type}")
    lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    lines += _segment_lines(shown, prefix)
    if endlist:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _segment_lines(segments: Sequence[SegmentLike], prefix: str) -> list[str]:
    lines: list[str] = []
    init = None
    for index, segment in enumerate(segments):
        if segment.discontinuity and index > 0:
            lines.append("#EXT-X-DISCONTINUITY")
        if segment.init_uri != init:
            init = segment.init_uri
            lines.append(f'#EXT-X-MAP:URI="{prefix}{init}"')
        if index == 0 or segment.discontinuity:
            # RFC 8216 4.3.2.6: the date of the first sample, after every discontinuity it may jump.
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(segment.pdt)}")
        lines += [f"#EXTINF:{segment.duration:.3f},", f"{prefix}{segment.uri}"]
    return lines


def round_half_up(seconds: float) -> int:
    """RFC 8216 4.3.3.1: each EXTINF, rounded to the nearest integer, is at most the target duration."""
    return math.floor(seconds + 0.5)


def format_pdt(when: dt.datetime) -> str:
    """ISO 8601 with milliseconds and a zone, as RFC 8216 4.3.2.6 asks (``2026-01-02T03:04:05.678Z``)."""
    utc = when.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"

"""HLS AES-128 for live channels: segments encrypted where they are served, keys that change every period.

Why on delivery rather than by ffmpeg: playout channels stitch catalogue segments that no ffmpeg run writes,
a blackout puts a slate in place of a programme for some viewers only, and start-over and catch-up re-list
old segments. Encrypting where a segment is served covers every one of them with one rule, as on demand.

A protected media playlist lists each segment as ``enc/<period>/<msn>/<uri>``: ``period`` is the key
period of the segment's EXT-X-PROGRAM-DATE-TIME (wall clock, ``delivery.keys.live_period``), and the IV is
its media sequence number (no IV attribute, RFC 8216 5.2), so one URL names exactly one ciphertext and
edges cache it like any segment (the same stitched file at another msn is another URL). The first request
of a URL checks it against the channel's feed, so a client cannot make the origin encrypt arbitrary
(period, msn) pairs, and writes the copy under ``<data>/encrypted/c<slug>/<period>/<msn>/``; later requests
are a stat and sendfile. Period folders older than the channel's DVR window are removed as new ones appear.

Init sections stay clear: RFC 8216 4.3.2.5 applies a preceding EXT-X-KEY to an EXT-X-MAP, so every MAP that
follows a key gets ``METHOD=NONE`` before it and the key again after it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from airwave.delivery import keys

PREFIX = "enc/"
_PATH = re.compile(r"^enc/(\d{1,11})/(\d{1,12})/(.+)$")
NO_KEY = "#EXT-X-KEY:METHOD=NONE"


@dataclass(frozen=True)
class EncryptedPath:
    """A parsed ``enc/<period>/<msn>/<uri>`` request path."""

    period: int
    msn: int
    uri: str

    @property
    def name(self) -> str:
        """Where its encrypted copy lives under the channel's encrypted folder."""
        return f"{self.period}/{self.msn}/{self.uri}"


def parse_path(path: str) -> EncryptedPath | None:
    """The parts of an encrypted segment path, or None when ``path`` is not one. Pure."""
    match = _PATH.match(path)
    if match is None or ".." in match[3].split("/"):
        return None
    return EncryptedPath(int(match[1]), int(match[2]), match[3])


def protect_playlist(text: str, period_of: Callable[[dt.datetime], int]) -> str:
    """Encrypt a rendered live, start-over or catch-up media playlist: key tags and ``enc/`` URIs. Pure.

    Segment dates come from EXT-X-PROGRAM-DATE-TIME plus the EXTINF durations since; media sequence numbers
    from EXT-X-MEDIA-SEQUENCE. URIs keep their leading ``../`` (the way back to the channel root) and key
    URIs use the same way back, so one function serves playlists at any depth.
    """
    out: list[str] = []
    msn, pdt, duration = 0, None, 0.0
    active: int | None = None
    for line in text.splitlines():
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            msn = int(line.partition(":")[2])
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pdt = dt.datetime.fromisoformat(line.partition(":")[2].replace("Z", "+00:00"))
        elif line.startswith("#EXT-X-MAP:") and active is not None:
            out += [NO_KEY, line]
            active = None
            continue
        elif line.startswith("#EXTINF:"):
            duration = float(line.removeprefix("#EXTINF:").partition(",")[0])
        elif line and not line.startswith("#"):
            if pdt is None:
                raise ValueError("a live playlist needs EXT-X-PROGRAM-DATE-TIME to be encrypted")
            up, uri = _split_up(line)
            period = period_of(pdt)
            if period != active:
                _insert_before_extinf(out, keys.key_tag(f"{up}{keys.KEY_PATH}{period}.key"))
                active = period
            out.append(f"{up}{PREFIX}{period}/{msn}/{uri}")
            msn, pdt = msn + 1, pdt + dt.timedelta(seconds=duration)
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _split_up(uri: str) -> tuple[str, str]:
    rest = uri.lstrip("./")
    return uri[: len(uri) - len(rest)], rest


def _insert_before_extinf(out: list[str], tag: str) -> None:
    at = len(out)
    while at > 0 and out[at - 1].startswith("#EXTINF:"):
        at -= 1
    out.insert(at, tag)


def period_range(period: int, rotation_seconds: float) -> tuple[dt.datetime, dt.datetime]:
    """The times whose segments may carry ``period``: the period itself and one on either side (a segment
    date recomputed from durations may land a few milliseconds across a boundary)."""
    start = dt.datetime.fromtimestamp((period - 1) * rotation_seconds, dt.UTC)
    return start, start + dt.timedelta(seconds=3 * rotation_seconds)


def encrypted_folder(data: Path, slug: str) -> Path:
    """Where a channel's encrypted segment copies are kept."""
    return data / "encrypted" / f"c{slug}"


def prune_periods(folder: Path, oldest: int) -> int:
    """Remove the period folders before ``oldest``; returns how many went."""
    removed = 0
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.name.isdigit() and int(entry.name) < oldest:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed

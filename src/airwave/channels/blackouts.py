"""Blackouts on air: a viewer in a blacked-out territory sees a slate instead of the programme.

The rules are ``accounts.rights`` blackouts (a channel, a stretch of time, territories). :class:`BlackoutFeed`
wraps a channel's feed for one viewer: every segment whose middle falls inside a rule that applies to the
viewer's territory is replaced by a segment of the channel's blackout slate, at the same media sequence
number and date. Each slate segment starts with ``EXT-X-DISCONTINUITY`` (its timestamps restart), and so
does the first segment back on the channel; live, start-over and catch-up playlists all read the wrapped
feed, so all of them black out alike.

The discontinuity sequence (RFC 8216 6.2.2) must count the discontinuities added before the first segment
shown. They are counted from the rules alone (one per slate segment of a grid-long nominal length, one on
return), so the number is the same at every refresh without keeping any state.

Staff (admins and support) previewing a channel are not blacked out: they must see what is on air to check
it, so :func:`viewer_rules` gives them no rules, and the channel page tells them what viewers in the
blacked-out territories get instead (:func:`staff_notice`). A rule added while viewers watch reaches them at
their next playlist refresh: at once in the process that changed it (:func:`forget_rules`), within
``RULES_TTL`` seconds in the others.

The slate is made by ``channels.slate.slate_argv`` (ffmpeg) once per channel rendition and segment length,
under ``<data>/channels/<slug>/blackout/<grid ms>/<rendition>/``, saying "Not available in your area".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airwave.accounts import rights
from airwave.accounts.entitlements import STAFF
from airwave.channels import slate
from airwave.channels.feeds import Feed, LiveSegment
from airwave.channels.plan import read_track
from airwave.channels.vodmedia import ChannelRendition, Track
from airwave.delivery.lookup import TTLCache
from airwave.errors import MediaError
from airwave.hls.master import RenditionLike
from airwave.media.ffmpeg import find_ffmpeg
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.tables import User

TEXT = "Not available in your area"
FOLDER = "blackout"
RULES_TTL = 5.0
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
_rules: TTLCache[tuple[int, int], tuple[Rule, ...]] = TTLCache(5_000)
_staff: TTLCache[tuple[int, int], bool] = TTLCache(10_000)
_making: dict[Path, threading.Lock] = {}
_making_lock = threading.Lock()


@dataclass(frozen=True)
class Rule:
    """A blackout as the playlists need it (a detached copy of ``store.accounts.Blackout``)."""

    start: dt.datetime
    stop: dt.datetime
    territories: frozenset[str]

    def applies(self, territory: str | None) -> bool:
        """A client whose territory is unknown is blacked out wherever anyone is (``rights.blacked_out``)."""
        return territory is None or territory.upper() in self.territories


def rules_for(runtime: Runtime, channel_id: int) -> tuple[Rule, ...]:
    """Every blackout of a channel, earliest first (cached a few seconds; blocking on a miss)."""
    key = (id(runtime), channel_id)
    found, cached = _rules.get(key)
    if found and cached is not None:
        return cached
    with runtime.db.session() as session:
        rows = rights.blackouts(session, channel_id, _EPOCH, _FAR)
        loaded = tuple(Rule(_utc(r.start), _utc(r.stop), frozenset(r.territories.split())) for r in rows)
    _rules.put(key, loaded, RULES_TTL)
    return loaded


def forget_rules(runtime: Runtime, channel_id: int) -> None:
    """Drop the cached rules of a channel (after an admin changed them)."""
    _rules.drop((id(runtime), channel_id))


def for_territory(rules: Sequence[Rule], territory: str | None) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules if rule.applies(territory))


def viewer_rules(runtime: Runtime, channel_id: int, territory: str | None, user_id: int) -> tuple[Rule, ...]:
    """The blackouts the viewer ``user_id`` in ``territory`` gets: none for staff previewing the channel."""
    rules = for_territory(rules_for(runtime, channel_id), territory)
    if rules and is_staff(runtime, user_id):
        return ()
    return rules


def cached_viewer_rules(runtime: Runtime, channel_id: int, territory: str | None,
                        user_id: int) -> tuple[Rule, ...] | None:  # fmt: skip
    """:func:`viewer_rules` from memory only: None when answering needs the database."""
    found, rules = _rules.get((id(runtime), channel_id))
    if not found or rules is None:
        return None
    applying = for_territory(rules, territory)
    if not applying:
        return applying
    found, staff = _staff.get((id(runtime), user_id))
    if not found or staff is None:
        return None
    return () if staff else applying


def is_staff(runtime: Runtime, user_id: int) -> bool:
    """Whether ``user_id`` is an admin or support agent (cached like the rules; blocking on a miss)."""
    key = (id(runtime), user_id)
    found, cached = _staff.get(key)
    if found and cached is not None:
        return cached
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        staff = user is not None and user.role in STAFF
    _staff.put(key, staff, RULES_TTL)
    return staff


def staff_notice(rules: Sequence[Rule], start: dt.datetime, stop: dt.datetime) -> str | None:
    """What staff previewing ``[start, stop)`` of a channel are told of its blackouts there, or None. Pure."""
    hits = [rule for rule in rules if rule.start < stop and rule.stop > start]
    if not hits:
        return None
    places = ", ".join(sorted(set().union(*(rule.territories for rule in hits))))
    until = max(rule.stop for rule in hits)
    return (
        f"Blacked out in {places} until {until:%H:%M} UTC: viewers there see the slate. You see the channel "
        "because staff previews are never blacked out."
    )


def in_force(rules: Sequence[Rule], moment: dt.datetime) -> Rule | None:
    """The rule covering ``moment``, or None. Pure."""
    return next((rule for rule in rules if rule.start <= moment < rule.stop), None)


def added_before(rules: Sequence[Rule], moment: dt.datetime, grid: float) -> int:
    """Discontinuities the rules add before ``moment``: one per nominal slate segment, one on return. Pure."""
    count = 0
    for rule in rules:
        if rule.start >= moment:
            continue
        seconds = (min(rule.stop, moment) - rule.start).total_seconds()
        count += math.ceil(seconds / grid) + (rule.stop <= moment)
    return count


def blacken(segments: Sequence[LiveSegment], rules: Sequence[Rule], rendition: str, track: Track | None,
            grid: float) -> list[LiveSegment]:  # fmt: skip
    """``segments`` with those inside ``rules`` replaced by slate segments, discontinuities around. Pure.

    Raises:
        MediaError: a segment is blacked out but there is no slate (``track`` is None).
    """
    if not segments or not rules:
        return list(segments)
    extra = added_before(rules, segments[0].pdt, grid)
    out: list[LiveSegment] = []
    previous = False
    for index, segment in enumerate(segments):
        black = in_force(rules, segment.pdt + dt.timedelta(seconds=segment.duration / 2)) is not None
        if black:
            if track is None:
                raise MediaError(f"the blackout slate for {rendition} is missing")
            extra += not segment.discontinuity
            out.append(_slate_segment(segment, rendition, track, segment.discontinuity_sequence + extra))
        else:
            back = previous and index > 0 and not segment.discontinuity
            extra += back
            out.append(dataclasses.replace(segment, discontinuity=segment.discontinuity or back,
                                           discontinuity_sequence=segment.discontinuity_sequence + extra))  # fmt: skip
        previous = black
    return out


def _slate_segment(segment: LiveSegment, rendition: str, track: Track, dseq: int) -> LiveSegment:
    name, duration = track.segments[segment.msn % len(track.segments)]
    root = f"{FOLDER}/{rendition}/"
    return LiveSegment(segment.msn, root + name, duration, segment.pdt, True, root + track.init, dseq)


class BlackoutFeed:
    """A channel's feed as one viewer sees it: blacked-out stretches replaced by the slate (a ``Feed``)."""

    def __init__(self, feed: Feed, rules: Sequence[Rule], folder: Path, grid: float) -> None:
        self.feed, self.rules, self.folder, self.grid = feed, tuple(rules), folder, grid

    def renditions(self) -> Sequence[RenditionLike]:
        return self.feed.renditions()

    def segments(self, rendition: str, start: dt.datetime | None, end: dt.datetime | None) -> list[LiveSegment]:
        base = self.feed.segments(rendition, start, end)
        return blacken(base, self.rules, rendition, read_track(self.folder / rendition), self.grid)

    def target_duration(self) -> int:
        return max(self.feed.target_duration(), math.floor(self.grid + 0.5))

    def resolve(self, uri: str) -> Path | None:
        return slate_file(self.folder, uri) if uri.startswith(FOLDER + "/") else self.feed.resolve(uri)


def slate_file(folder: Path, uri: str) -> Path | None:
    """The slate file behind ``blackout/<rendition>/<file>``, or None."""
    parts = uri.split("/")
    if len(parts) != 3 or parts[0] != FOLDER or not all(_plain(part) for part in parts[1:]):
        return None
    path = folder / parts[1] / parts[2]
    return path if path.is_file() else None


def slate_uri_for(folder: Path, rendition: str, msn: int) -> str | None:
    """The slate URI a blacked-out segment ``msn`` of ``rendition`` is given (to check encrypted requests)."""
    track = read_track(folder / rendition)
    if track is None:
        return None
    return f"{FOLDER}/{rendition}/{track.segments[msn % len(track.segments)][0]}"


def _plain(part: str) -> bool:
    return bool(part) and not part.startswith(".") and all(c.isalnum() or c in "._-" for c in part)


def grid_of(runtime: Runtime, feed: Feed) -> float:
    """The channel's segment length: the playout grid, or the live segment setting."""
    plan = getattr(feed, "plan", None)
    grid_ms = getattr(getattr(plan, "schedule", None), "grid_ms", None)
    return grid_ms / 1000 if isinstance(grid_ms, int) else runtime.settings.live_segment_seconds


def slate_folder(runtime: Runtime, channel: Channel, grid: float) -> Path:
    return runtime.settings.data / "channels" / channel.slug / FOLDER / str(round(grid * 1000))


def ensure_slate(runtime: Runtime, channel: Channel, feed: Feed) -> Path:
    """Make the blackout slate of every rendition of ``feed`` that lacks one; return its folder (blocking).

    Raises:
        MediaError: the channel has no renditions yet, or ffmpeg failed.
    """
    grid = grid_of(runtime, feed)
    folder = slate_folder(runtime, channel, grid)
    renditions = feed.renditions()
    if not renditions:
        raise MediaError(f"{channel.name} has no renditions yet: the blackout slate is made once it is on air")
    with _lock_for(folder):
        for rendition in renditions:
            if not (folder / rendition.name / "index.m3u8").exists():
                _make(find_ffmpeg(runtime.settings), _as_channel_rendition(rendition), grid, folder)
    return folder


def _make(ffmpeg: str, rendition: ChannelRendition, grid: float, folder: Path) -> None:
    work = folder / f".{rendition.name}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    argv = [arg.replace(f"text='{slate.TEXT}'", f"text='{TEXT}'") for arg in slate.slate_argv(ffmpeg, rendition,
                                                                                             grid, work)]  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise MediaError(f"could not make the blackout slate for {rendition.name}: {result.stderr.strip()[-400:]}")
    target = folder / rendition.name
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)


def _lock_for(folder: Path) -> threading.Lock:
    with _making_lock:
        return _making.setdefault(folder, threading.Lock())


def _as_channel_rendition(rendition: RenditionLike) -> ChannelRendition:
    values: dict[str, Any] = {f.name: getattr(rendition, f.name, None) for f in dataclasses.fields(ChannelRendition)}
    values["kind"] = values["kind"] or "video"
    values["label"] = values["label"] or ""
    values["is_default"] = bool(values["is_default"])
    return ChannelRendition(**values)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)

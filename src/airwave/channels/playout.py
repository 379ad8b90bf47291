"""Playout channels: the live feed stitched from the catalogue, and the guide made from the schedule.

:class:`PlayoutFeed` implements ``channels.feeds.Feed`` as a pure function of the schedule and the clock:
nothing runs in the background, any origin worker answers the same, and a restart loses nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from airwave.channels.feeds import LiveSegment
from airwave.channels.plan import Plan, load_plan
from airwave.channels.schedule import cell_at, cell_start, occurrences, slot_at
from airwave.channels.stitch import stitch
from airwave.channels.vodmedia import ChannelRendition
from airwave.delivery.files import servable
from airwave.runtime import Runtime
from airwave.store.channels import Channel

LIVE_WINDOW_SECONDS = 60.0  # what a live request gets; the player's window is trimmed by hls.live
PLAN_TTL = 5.0  # seconds a loaded plan is reused; schedule edits drop it at once (forget_plan)
SHORT_GAP = dt.timedelta(minutes=5)  # gaps shorter than this join the programme before them in the guide

_plans: dict[int, tuple[float, Plan]] = {}
_plans_lock = threading.Lock()


def plan_for(runtime: Runtime, channel: Channel) -> Plan:
    """The channel's plan, loaded at most every few seconds."""
    with _plans_lock:
        cached = _plans.get(channel.id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    with runtime.db.session() as session:
        plan = load_plan(session, runtime.settings, channel)
    with _plans_lock:
        _plans[channel.id] = (time.monotonic() + PLAN_TTL, plan)
    return plan


def forget_plan(channel_id: int) -> None:
    """Drop a cached plan (after its schedule, fillers or items changed)."""
    with _plans_lock:
        _plans.pop(channel_id, None)


class PlayoutFeed:
    """The media of a playout channel: existing VOD segments on the schedule's grid (``channels.feeds.Feed``)."""

    def __init__(self, runtime: Runtime, channel: Channel) -> None:
        self._clock = runtime.clock
        self._dvr = dt.timedelta(hours=channel.dvr_hours)
        self.plan = plan_for(runtime, channel)

    def renditions(self) -> Sequence[ChannelRendition]:
        return self.plan.renditions

    def segments(self, rendition: str, start: dt.datetime | None, end: dt.datetime | None) -> list[LiveSegment]:
        """Segments of ``rendition`` from ``start`` to ``end`` (None: the live window; the open end).

        A segment is published once its cell has fully elapsed, as if it had been encoded live; nothing
        older than the channel's DVR window is offered.
        """
        source = self.plan.sources(rendition)
        if source is None:
            return []
        schedule, now = self.plan.schedule, self._clock.now()
        published = cell_at(schedule, now)
        oldest = cell_at(schedule, now - self._dvr)
        if start is None:
            first = published - math.ceil(LIVE_WINDOW_SECONDS * 1000 / schedule.grid_ms)
        else:
            first = max(oldest, cell_at(schedule, start))
        last = published if end is None else min(published, -(-_ms_since_epoch(end) // schedule.grid_ms))
        return stitch(schedule, source, first, last) if first < last else []

    def target_duration(self) -> int:
        # RFC 8216 4.3.3.1: the longest EXTINF, rounded to the nearest integer.
        longest = max(
            (d for m in self.plan.media.values() for t in m.tracks.values() for _u, d in t.segments),
            default=self.plan.schedule.grid_ms / 1000,
        )
        return max(1, math.floor(longest + 0.5))

    def resolve(self, uri: str) -> Path | None:
        """The file behind ``vod/<title>/<rendition>/<file>`` or ``slate/<rendition>/<file>``."""
        parts = uri.split("/")
        if len(parts) == 4 and parts[0] == "vod" and parts[1].isdigit():
            media = self.plan.media.get(int(parts[1]))
            if media is not None and servable(f"{parts[2]}/{parts[3]}"):
                return media.root / parts[2] / parts[3]
        if len(parts) == 3 and parts[0] == "slate" and servable(f"{parts[1]}/{parts[2]}"):
            return self.plan.slate_dir / parts[1] / parts[2]
        return None


def playout_state(plan: Plan, now: dt.datetime) -> tuple[str, str]:
    """A playout channel's state and the problem behind it. Pure.

    "live" while a scheduled item or filler plays, "slate" while the slate fills a gap no title covers, and
    "failing" when nothing can play (no renditions: no title has published media the channel can use).
    """
    if not plan.renditions:
        reason = plan.warnings[0] if plan.warnings else "no title in the schedule or fillers has published media"
        return "failing", f"nothing to play: {reason}; add titles with media to the schedule or the fillers"
    slot, _offset = slot_at(plan.schedule, cell_at(plan.schedule, now))
    if slot.item is None or not slot.item.playable:
        return "slate", ""
    return "live", ""


@dataclass(frozen=True)
class GuideEntry:
    """A programme the schedule produces: a block's airing, or the interlude between blocks (no title)."""

    start: dt.datetime
    stop: dt.datetime
    title_id: int | None


def guide_entries(
    plan: Plan, start: dt.datetime, end: dt.datetime, block_titles: Mapping[int, int] | None = None
) -> list[GuideEntry]:
    """The guide of ``[start, end)`` as a viewer reads it: one programme per block airing. Pure.

    An airing is one programme from the block's start to its end, whatever plays in it: a film or a single
    episode under its own title, several episodes (or a series' run) under the block's title, the fillers
    after them included. Time between blocks is an interlude; one shorter than :data:`SHORT_GAP` joins the
    programme before it.

    Args:
        block_titles: block id -> the title the block was scheduled with (a series for its episodes).
    """
    schedule, titles = plan.schedule, block_titles or {}
    first, last = cell_at(schedule, start), cell_at(schedule, end) + 1
    entries: list[GuideEntry] = []
    cursor = first
    for airing in occurrences(schedule, first, last):
        if airing.first > cursor:
            entries.append(GuideEntry(cell_start(schedule, cursor), cell_start(schedule, airing.first), None))
        items = airing.items()
        title = items[0].title_id if len(items) == 1 else titles.get(airing.block.id)
        title = title if title is not None else (items[0].title_id if items else None)
        begin = airing.first if not entries else max(airing.first, cursor)  # the first may have begun earlier
        entries.append(GuideEntry(cell_start(schedule, begin), cell_start(schedule, airing.end), title))
        cursor = max(cursor, airing.end)
    if cursor < last:
        entries.append(GuideEntry(cell_start(schedule, cursor), cell_start(schedule, last), None))
    return _join_short_gaps(entries)


def _join_short_gaps(entries: list[GuideEntry]) -> list[GuideEntry]:
    merged: list[GuideEntry] = []
    for entry in entries:
        short = entry.title_id is None and entry.stop - entry.start < SHORT_GAP
        if merged and (short or (entry.title_id is None and merged[-1].title_id is None)):
            merged[-1] = GuideEntry(merged[-1].start, entry.stop, merged[-1].title_id)
        else:
            merged.append(entry)
    return merged


def _ms_since_epoch(moment: dt.datetime) -> int:
    return math.floor(moment.timestamp() * 1000)

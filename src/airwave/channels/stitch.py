"""Turning a playout schedule into live segments: existing VOD segments, stitched without re-encoding. Pure.

Cell ``k`` of the schedule becomes the segment with media sequence number ``k`` and programme date-time
``k * grid``: the same for every rendition, never going back. Each item starts with its own init section and
``EXT-X-DISCONTINUITY`` (timestamps restart); the slate loops its few segments, with a discontinuity at each
loop. Discontinuity sequence numbers come from ``channels.continuity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from airwave.channels.continuity import SLATE_SEGMENTS, discontinuity_sequence
from airwave.channels.feeds import LiveSegment
from airwave.channels.schedule import Schedule, Slot, cell_start, slots
from airwave.channels.vodmedia import Track


@dataclass(frozen=True)
class RenditionTracks:
    """Where one channel rendition's segments come from: a track per title, and the slate's track."""

    name: str
    tracks: Mapping[int, Track]  # title id -> that title's track for this rendition
    slate: Track | None


def stitch(schedule: Schedule, source: RenditionTracks, first: int, end: int) -> list[LiveSegment]:
    """The segments of cells ``[first, end)`` of one rendition, ordered by media sequence number."""
    found: list[LiveSegment] = []
    sequence = discontinuity_sequence(schedule, first)
    for slot in slots(schedule, first, end):
        for cell in range(max(first, slot.first), min(end, slot.end)):
            segment = _segment(schedule, source, slot, cell)
            if segment is None:
                continue
            if segment.discontinuity and cell != first:
                sequence += 1
            found.append(replace(segment, discontinuity_sequence=sequence))
    return found


def _segment(schedule: Schedule, source: RenditionTracks, slot: Slot, cell: int) -> LiveSegment | None:
    offset = cell - slot.first
    item = slot.item if slot.item is not None and slot.item.playable else None
    track = source.tracks.get(item.title_id) if item is not None else None
    pdt = cell_start(schedule, cell)
    if item is not None and track is not None and offset < len(track.segments):
        root = f"vod/{item.title_id}/{track.folder}/"
        uri, duration = track.segments[offset]
        return LiveSegment(cell, root + uri, duration, pdt, offset == 0, root + track.init)
    index = offset % SLATE_SEGMENTS
    if source.slate is None or index >= len(source.slate.segments):
        return None
    root = f"slate/{source.name}/"
    uri, duration = source.slate.segments[index]
    duration = min(duration, schedule.grid_ms / 1000)
    return LiveSegment(cell, root + uri, duration, pdt, index == 0, root + source.slate.init)

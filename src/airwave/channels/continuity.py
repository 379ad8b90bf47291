"""Discontinuity sequence numbers of a playout channel, counted in closed form. Pure.

RFC 8216 6.2.2: a live playlist's EXT-X-DISCONTINUITY-SEQUENCE must count every discontinuity that slid
off its top, so each segment needs the number of discontinuities since a fixed anchor. A stitched channel
has one at every item start and at every loop of the slate; a day's count is computed from its blocks and
gaps (whole filler rotations counted at once) and memoised, so any cell costs O(days since the anchor).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from airwave.channels.schedule import DAY_MS, Gap, Item, Schedule, Slot, day_first_cell, day_parts

ANCHOR_DAY = 19_723  # 2024-01-01: counting starts here
SLATE_SEGMENTS = 6  # segments in one loop of the slate


def discontinuity_sequence(schedule: Schedule, cell: int) -> int:
    """The discontinuity sequence number of the segment in ``cell`` (its own discontinuity included)."""
    day = cell * schedule.grid_ms // DAY_MS
    if day < ANCHOR_DAY:
        return 0
    total = sum(_day_count(schedule, d) for d in range(ANCHOR_DAY, day))
    return total + count_between(schedule, day, day_first_cell(schedule, day), cell + 1)


def count_between(schedule: Schedule, day: int, low: int, high: int) -> int:
    """Discontinuities in cells ``[low, high)`` among the parts of ``day``."""
    count = 0
    for part in day_parts(schedule, day):
        if isinstance(part, Gap):
            count += gap_count(schedule.fillers, part, low, high)
        elif isinstance(part, Slot) and part.item is not None and part.item.playable:
            count += low <= part.first < high
        else:
            count += _steps(low - part.first, high - part.first, SLATE_SEGMENTS, -(-part.cells // SLATE_SEGMENTS))
    return count


def gap_count(fillers: Sequence[Item], gap: Gap, low: int, high: int) -> int:
    """Discontinuities in cells ``[low, high)`` of a gap filled as ``schedule.fill_gap`` fills it."""
    low, high = max(low, gap.first), min(high, gap.end)
    if low >= high:
        return 0
    playable = [item for item in fillers if item.cells > 0]
    count, cursor = 0, gap.first
    if playable:
        turn = gap.first % len(playable)
        rotation = playable[turn:] + playable[:turn]
        cycle = sum(item.cells for item in rotation)
        full = (gap.end - gap.first) // cycle
        offset = 0
        for item in rotation:
            count += _steps(low - gap.first - offset, high - gap.first - offset, cycle, full)
            offset += item.cells
        cursor += full * cycle
        for item in rotation:
            if cursor + item.cells > gap.end:
                break
            count += low <= cursor < high
            cursor += item.cells
    if cursor < gap.end:
        count += _steps(low - cursor, high - cursor, SLATE_SEGMENTS, -(-(gap.end - cursor) // SLATE_SEGMENTS))
    return count


@functools.lru_cache(maxsize=8192)
def _day_count(schedule: Schedule, day: int) -> int:
    return count_between(schedule, day, day_first_cell(schedule, day), day_first_cell(schedule, day + 1))


def _steps(low: int, high: int, step: int, n: int) -> int:
    """How many k in [0, n) have low <= k * step < high."""
    first, last = max(0, -(-low // step)), min(n, -(-high // step))
    return max(0, last - first)

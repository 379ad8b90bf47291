"""A playout channel's schedule as a pure function of time. No I/O.

Time is cut into *cells* of one segment duration (``grid_ms``) counted from the Unix epoch: cell ``k`` spans
``[k * grid, (k + 1) * grid)``. Every item (a film or an episode) occupies one cell per VOD segment, so the
segment playing in cell ``k`` is known from the schedule alone and ``k`` itself is the live media sequence
number: it only grows with time and is the same for every viewer and every rendition.

The day (UTC, no daylight saving) repeats by weekday. A :class:`Block` starts on the first cell at or after
its time of day and holds whole items back to back (the first item always plays, cut at the block end if it
is too long); what is left of the block, and every gap between blocks, is filled with the fillers in
rotation and then with the slate. Gaps are split at midnight, so a day's timeline depends only on the
blocks that touch it.

Series in order: occurrence ``n`` of a block (counted from the epoch) starts at episode ``n * per_block``
where ``per_block`` is how many of the longest episode fit in the block; with equal-length episodes every
episode airs once, in order. Shuffled blocks draw a fresh order per occurrence from a seeded generator.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

DAY_MS = 86_400_000
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


@dataclass(frozen=True)
class Item:
    """Something that can be played: ``cells`` segments of a title."""

    title_id: int
    cells: int
    name: str = ""
    playable: bool = True  # False: its media cannot play on this channel; the slate keeps its time


@dataclass(frozen=True)
class Block:
    """On the weekdays in ``weekdays`` (bit 0 = Monday), from ``start`` seconds after midnight UTC, for
    ``length`` seconds, play ``items`` (one film, or a series' episodes in order)."""

    id: int
    weekdays: int
    start: int
    length: int
    items: tuple[Item, ...]
    shuffle: bool = False


@dataclass(frozen=True)
class Schedule:
    """Everything that decides what a playout channel plays when."""

    grid_ms: int
    blocks: tuple[Block, ...] = ()
    fillers: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Slot:
    """``cells`` cells from cell ``first`` play ``item`` from its start (None: the slate)."""

    first: int
    cells: int
    item: Item | None
    block_id: int | None = None  # None: a gap filler or the slate

    @property
    def end(self) -> int:
        return self.first + self.cells


def cell_at(schedule: Schedule, moment: dt.datetime) -> int:
    """The cell playing at ``moment``."""
    return _ms(moment) // schedule.grid_ms


def cell_start(schedule: Schedule, cell: int) -> dt.datetime:
    """When cell ``cell`` begins (exact to the millisecond)."""
    return dt.datetime.fromtimestamp(0, dt.UTC) + dt.timedelta(milliseconds=cell * schedule.grid_ms)


def slots(schedule: Schedule, first: int, end: int) -> list[Slot]:
    """The slots that play any of the cells ``[first, end)``, in order, contiguous."""
    found: dict[int, Slot] = {}
    day = first * schedule.grid_ms // DAY_MS
    last_day = max(first, end - 1) * schedule.grid_ms // DAY_MS
    while day <= last_day:
        for slot in _day_slots(schedule, day, first, end):
            if slot.end > first and slot.first < end:
                found[slot.first] = slot
        day += 1
    return [found[key] for key in sorted(found)]


def slot_at(schedule: Schedule, cell: int) -> tuple[Slot, int]:
    """The slot playing cell ``cell`` and how many cells into the slot's item it is."""
    (slot,) = slots(schedule, cell, cell + 1)
    return slot, cell - slot.first


def weekday(day: int) -> int:
    """Monday = 0 for a day counted from the Unix epoch."""
    return (day + EPOCH_WEEKDAY) % 7


def occurrence_number(block: Block, day: int) -> int:
    """How many times ``block`` ran before ``day`` (since the epoch)."""
    weeks = day // 7
    count = weeks * bin(block.weekdays & 0x7F).count("1")
    return count + sum(1 for d in range(weeks * 7, day) if block.weekdays >> weekday(d) & 1)


def block_items(block: Block, occurrence: int, cells: int) -> list[Item]:
    """The items one occurrence of ``block`` plays in ``cells`` cells (the first even if it does not fit)."""
    if not block.items:
        return []
    order = list(block.items)
    start = 0
    if block.shuffle:
        random.Random(f"{block.id}:{occurrence}").shuffle(order)
    else:
        per_block = max(1, cells // max(item.cells for item in order))
        start = occurrence * per_block % len(order)
    chosen, used = [], 0
    for step in range(len(order)):
        item = order[(start + step) % len(order)]
        if step and used + item.cells > cells:
            break
        chosen.append(item)
        used += item.cells
    return chosen


def fill_gap(fillers: Sequence[Item], first: int, end: int, want_from: int | None = None) -> Iterator[Slot]:
    """Fill cells ``[first, end)``: fillers in rotation while the next one fits, then the slate.

    ``want_from`` lets a caller skip whole rotations that end before the cells it needs.
    """
    playable = [item for item in fillers if item.cells > 0]
    cursor = first
    if playable:
        rotation = playable[first % len(playable) :] + playable[: first % len(playable)]
        cycle = sum(item.cells for item in rotation)
        skip = min((end - first) // cycle, max(0, ((want_from or first) - first) // cycle))
        cursor += skip * cycle
        fits = True
        while fits:
            for item in rotation:
                if cursor + item.cells > end:
                    fits = False
                    break
                yield Slot(cursor, item.cells, item)
                cursor += item.cells
    if cursor < end:
        yield Slot(cursor, end - cursor, None)


@dataclass(frozen=True)
class Gap:
    """Cells ``[first, end)`` that no block item covers: fillers in rotation, then the slate."""

    first: int
    end: int


def day_parts(schedule: Schedule, day: int) -> list[Slot | Gap]:
    """A day's timeline as block items and gaps; the first part may start the day before."""
    day_first, day_end = day_first_cell(schedule, day), day_first_cell(schedule, day + 1)
    parts: list[Slot | Gap] = []
    cursor = day_first
    for block, first, end, occurrence in _occurrences(schedule, day):
        if end <= day_first or first >= day_end:
            continue
        if first > cursor:
            parts.append(Gap(cursor, first))
        for item in block_items(block, occurrence, end - first):
            cells = min(item.cells, end - first)
            parts.append(Slot(first, cells, item, block.id))
            first += cells
        if first < end:
            parts.append(Gap(first, end))
        cursor = max(cursor, end)
    if cursor < day_end:
        parts.append(Gap(cursor, day_end))
    return parts


@dataclass(frozen=True)
class Occurrence:
    """One airing of a block: cells ``[first, end)`` of day ``day``, its ``number``-th since the epoch."""

    block: Block
    first: int
    end: int
    number: int

    def items(self) -> list[Item]:
        """What this airing plays (the rest of its cells go to the fillers and the slate)."""
        return block_items(self.block, self.number, self.end - self.first)


def occurrences(schedule: Schedule, first: int, end: int) -> list[Occurrence]:
    """The block airings that overlap cells ``[first, end)``, in order (overlaps cut as the timeline cuts them)."""
    found: dict[tuple[int, int], Occurrence] = {}
    day = first * schedule.grid_ms // DAY_MS
    last_day = max(first, end - 1) * schedule.grid_ms // DAY_MS
    while day <= last_day:
        for block, low, high, number in _occurrences(schedule, day):
            if high > first and low < end:
                found[(low, block.id)] = Occurrence(block, low, high, number)
        day += 1
    return [found[key] for key in sorted(found)]


def day_first_cell(schedule: Schedule, day: int) -> int:
    """The first cell that starts at or after midnight of ``day``."""
    return _ceil_cell(day * DAY_MS, schedule)


def _day_slots(schedule: Schedule, day: int, want_from: int, want_end: int) -> Iterator[Slot]:
    for part in day_parts(schedule, day):
        if isinstance(part, Slot):
            yield part
        elif part.end > want_from and part.first < want_end:
            for slot in fill_gap(schedule.fillers, part.first, part.end, want_from):
                if slot.first >= want_end:
                    break
                yield slot


def _occurrences(schedule: Schedule, day: int) -> list[tuple[Block, int, int, int]]:
    """Block occurrences touching ``day`` (from the day before too), overlaps cut in favour of the earlier."""
    found = []
    for d in (day - 1, day):
        for block in schedule.blocks:
            if block.weekdays >> weekday(d) & 1 and block.length > 0:
                start_ms = d * DAY_MS + block.start * 1000
                first = _ceil_cell(start_ms, schedule)
                end = _ceil_cell(start_ms + block.length * 1000, schedule)
                found.append((block, first, end, occurrence_number(block, d)))
    found.sort(key=lambda occurrence: (occurrence[1], occurrence[0].id))
    kept, cursor = [], None
    for block, first, end, number in found:
        first = first if cursor is None else max(first, cursor)
        if first < end:
            kept.append((block, first, end, number))
            cursor = end
    return kept


def _ceil_cell(ms: int, schedule: Schedule) -> int:
    return -(-ms // schedule.grid_ms)


def _ms(moment: dt.datetime) -> int:
    delta = moment - dt.datetime.fromtimestamp(0, dt.UTC)
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000

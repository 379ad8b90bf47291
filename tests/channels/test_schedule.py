from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from airwave.channels.plan import Plan
from airwave.channels.playout import guide_entries
from airwave.channels.schedule import (
    Block,
    Item,
    Schedule,
    Slot,
    block_items,
    cell_at,
    cell_start,
    fill_gap,
    occurrence_number,
    slot_at,
    slots,
    weekday,
)

GRID = 4000  # 4 s cells
CELLS_PER_DAY = 86_400 // 4
FILM = Item(1, 900, "Film")  # one hour
TRAILER = Item(2, 15, "Trailer")  # one minute
SHORT = Item(3, 1, "Sting")  # shorter than one segment: one cell
EVERY_DAY = 0b1111111
MONDAY = 20_000  # 1970-01-05 + 20000 days ... any Monday: (day + 3) % 7 == 0


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day, hours=hour, minutes=minute)


def test_weekday_and_cells_are_exact() -> None:
    assert weekday(0) == 3  # Thursday
    assert weekday(4) == 0  # Monday 1970-01-05
    schedule = Schedule(GRID)
    moment = dt.datetime(2027, 3, 1, 12, 0, 2, tzinfo=dt.UTC)
    cell = cell_at(schedule, moment)
    assert cell_start(schedule, cell) <= moment < cell_start(schedule, cell + 1)
    assert (cell_start(schedule, cell + 1) - cell_start(schedule, cell)).total_seconds() == 4


def test_block_plays_its_film_then_fillers_then_slate() -> None:
    block = Block(7, EVERY_DAY, 20 * 3600, 2 * 3600, (FILM,))
    schedule = Schedule(GRID, (block,), (TRAILER,))
    day = 20_000
    start = cell_at(schedule, at(day, 20))
    slot, offset = slot_at(schedule, start + 10)
    assert slot == Slot(start, 900, FILM, 7)
    assert offset == 10
    slot, offset = slot_at(schedule, start + 900)
    assert slot.item == TRAILER
    assert slot.block_id is None
    assert offset == 0
    # one hour after the film: 60 trailers fit exactly, then the day goes on with fillers
    assert slot_at(schedule, start + 1799)[0].item == TRAILER


def test_slots_are_contiguous_and_cover_the_window_across_midnight() -> None:
    block = Block(1, EVERY_DAY, 23 * 3600 + 30 * 60, 3600, (FILM,))  # 23:30 - 00:30
    schedule = Schedule(GRID, (block,), (TRAILER, SHORT))
    first = cell_at(schedule, at(20_000, 22))
    end = cell_at(schedule, at(20_001, 2))
    found = slots(schedule, first, end)
    assert found[0].first <= first
    assert found[-1].end >= end
    for before, after in itertools.pairwise(found):
        assert before.end == after.first
    film = [slot for slot in found if slot.item == FILM]
    assert len(film) == 1
    assert film[0].first == cell_at(schedule, at(20_000, 23, 30))
    # the film crosses midnight whole; the next day's gap starts when it ends
    assert film[0].end == cell_at(schedule, at(20_001, 0, 30))


def test_the_same_cell_gives_the_same_answer_from_any_window() -> None:
    schedule = Schedule(GRID, (Block(1, 0b0011111, 9 * 3600, 5400, (FILM, TRAILER)),), (TRAILER, SHORT))
    base = cell_at(schedule, at(20_000, 0))
    wide = {slot.first: slot for slot in slots(schedule, base, base + 3 * CELLS_PER_DAY)}
    for probe in range(base, base + 3 * CELLS_PER_DAY, 997):
        slot, _ = slot_at(schedule, probe)
        assert wide[slot.first] == slot


def test_without_blocks_or_fillers_the_slate_plays_and_splits_at_midnight() -> None:
    schedule = Schedule(GRID)
    base = cell_at(schedule, at(20_000, 0))
    found = slots(schedule, base + 5, base + CELLS_PER_DAY + 5)
    assert [slot.item for slot in found] == [None, None]
    assert found[0] == Slot(base, CELLS_PER_DAY, None)


def test_weekdays_choose_the_days() -> None:
    monday_only = Block(1, 0b0000001, 12 * 3600, 3600, (FILM,))
    schedule = Schedule(GRID, (monday_only,))
    monday = 20_000 - weekday(20_000)
    assert weekday(monday) == 0
    assert slot_at(schedule, cell_at(schedule, at(monday, 12, 1)))[0].item == FILM
    assert slot_at(schedule, cell_at(schedule, at(monday + 1, 12, 1)))[0].item is None


def test_series_in_order_continues_from_the_previous_day() -> None:
    episodes = tuple(Item(10 + n, 450, f"Episode {n}") for n in range(5))  # 30 min each
    block = Block(3, EVERY_DAY, 18 * 3600, 3600, episodes)  # two episodes a day
    assert occurrence_number(block, 20_001) == occurrence_number(block, 20_000) + 1
    today = block_items(block, occurrence_number(block, 20_000), 900)
    tomorrow = block_items(block, occurrence_number(block, 20_001), 900)
    assert len(today) == len(tomorrow) == 2
    order = [item.title_id for item in episodes]
    first = order.index(today[0].title_id)
    assert [item.title_id for item in today + tomorrow] == [order[(first + i) % 5] for i in range(4)]


def test_shuffle_is_stable_per_occurrence_and_varies_between_them() -> None:
    episodes = tuple(Item(n, 10) for n in range(8))
    block = Block(3, EVERY_DAY, 0, 80 * 4, episodes, shuffle=True)
    assert block_items(block, 5, 80) == block_items(block, 5, 80)
    orders = {tuple(item.title_id for item in block_items(block, n, 80)) for n in range(6)}
    assert len(orders) > 1
    assert sorted(item.title_id for item in block_items(block, 5, 80)) == list(range(8))


def test_an_item_longer_than_its_block_is_cut_at_the_block_end() -> None:
    block = Block(1, EVERY_DAY, 6 * 3600, 1800, (FILM,))
    schedule = Schedule(GRID, (block,))
    start = cell_at(schedule, at(20_000, 6))
    slot, _ = slot_at(schedule, start)
    assert slot.cells == 450
    assert slot.item == FILM
    assert slot_at(schedule, start + 450)[0].item is None


def test_overlapping_blocks_keep_the_earlier() -> None:
    early = Block(1, EVERY_DAY, 10 * 3600, 3600, (FILM,))
    late = Block(2, EVERY_DAY, 10 * 3600 + 1800, 3600, (FILM,))
    schedule = Schedule(GRID, (early, late))
    start = cell_at(schedule, at(20_000, 10))
    first, second = (slot for slot in slots(schedule, start, start + 1800) if slot.block_id)
    assert first.block_id == 1
    assert first.cells == 900
    assert second.block_id == 2
    assert second.first == first.end
    assert second.cells == 450


def test_fill_gap_rotates_skips_whole_cycles_and_ends_with_slate() -> None:
    gap = list(fill_gap((TRAILER, SHORT), 100, 100 + 16 * 3 + 5))
    assert sum(slot.cells for slot in gap) == 53
    assert gap[-1].item is None
    assert gap[-1].cells == 5
    skipped = list(fill_gap((TRAILER, SHORT), 100, 100 + 16 * 3 + 5, want_from=140))
    assert skipped[0].first == 132
    assert skipped[-1] == gap[-1]
    assert list(fill_gap((), 0, 10)) == [Slot(0, 10, None)]


def test_grid_need_not_divide_the_day() -> None:
    schedule = Schedule(3003, (Block(1, EVERY_DAY, 0, 600, (TRAILER,)),))
    midnight = at(20_000, 0)
    slot, _ = slot_at(schedule, cell_at(schedule, midnight + dt.timedelta(seconds=4)))
    assert slot.item == TRAILER
    assert cell_start(schedule, slot.first) >= midnight
    assert cell_start(schedule, slot.first) - midnight < dt.timedelta(milliseconds=3003)


def test_the_guide_shows_one_programme_per_block_airing_under_the_block_title() -> None:
    """A block of a series' short episodes reads as one programme under the series' name; a film block under
    the film's; the hour between blocks as an interlude (and a gap under five minutes joins the block)."""
    episodes = tuple(Item(10 + n, 3, f"Episode {n}") for n in range(3))
    film = Item(20, 5, "Film")
    schedule = Schedule(
        grid_ms=4000,
        blocks=(
            Block(1, 0b1111111, 20 * 3600, 1800, episodes),  # 20:00-20:30: a series (id 5) in order
            Block(2, 0b1111111, 20 * 3600 + 1980, 3600, (film,)),  # 20:33-21:33: a film; a 3-minute gap before
        ),
        fillers=(Item(30, 2, "Filler"),),
    )
    plan = Plan(schedule, {}, (), (), Path("/nonexistent"))
    day = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    entries = guide_entries(plan, day + dt.timedelta(hours=19), day + dt.timedelta(hours=23), {1: 5, 2: 20})
    titled = [(e.start.strftime("%H:%M"), e.stop.strftime("%H:%M"), e.title_id) for e in entries]
    assert titled == [
        ("19:00", "20:00", None),
        ("20:00", "20:33", 5),
        ("20:33", "21:33", 20),
        ("21:33", "23:00", None),
    ]

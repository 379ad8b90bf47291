"""Editing a playout channel's schedule: blocks on the weekly grid and the filler list.

Functions take the caller's session and commit nothing. After a change, :func:`schedule_changed` rewrites
the channel's guide, makes any missing slate and drops the cached plan, so viewers and the guide follow at
once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airwave.channels.guide import refresh_playout_guide
from airwave.channels.plan import load_plan
from airwave.channels.playout import forget_plan
from airwave.channels.slate import ensure_slate
from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.media.ffmpeg import find_ffmpeg
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.epg import PlayoutBlock, PlayoutFiller
from airwave.store.tables import Title

WEEK_MINUTES = 7 * 1440
ORDERS = ("sequential", "shuffle")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(text: str) -> int:
    """``"daily"``, ``"weekdays"``, ``"weekend"`` or names like ``"mon,wed,fri"`` -> a weekday bit mask.

    Raises:
        BadRequest: an unknown day name.
    """
    named = {"daily": 0b1111111, "all": 0b1111111, "weekdays": 0b0011111, "weekend": 0b1100000}
    text = text.strip().lower()
    if text in named:
        return named[text]
    mask = 0
    for part in filter(None, (p.strip()[:3] for p in text.split(","))):
        if part not in DAYS:
            raise BadRequest(f"unknown day {part!r}: use mon,tue,wed,thu,fri,sat,sun, daily, weekdays or weekend")
        mask |= 1 << DAYS.index(part)
    return mask


def format_weekdays(mask: int) -> str:
    """The inverse of :func:`parse_weekdays`, for display."""
    names = {0b1111111: "daily", 0b0011111: "weekdays", 0b1100000: "weekend"}
    return names.get(mask, ",".join(day for index, day in enumerate(DAYS) if mask >> index & 1))


def parse_start(text: str) -> int:
    """``"HH:MM"`` (UTC) -> minutes after midnight.

    Raises:
        BadRequest: not a time of day.
    """
    try:
        hours, minutes = (int(part) for part in text.strip().split(":"))
    except ValueError:
        raise BadRequest(f"start {text!r}: give a time of day as HH:MM (UTC)") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise BadRequest(f"start {text!r}: give a time of day as HH:MM (UTC)")
    return hours * 60 + minutes


def blocks_of(session: Session, channel: Channel) -> list[PlayoutBlock]:
    """The channel's blocks in start order."""
    query = select(PlayoutBlock).where(PlayoutBlock.channel_id == channel.id)
    return list(session.scalars(query.order_by(PlayoutBlock.start_minute, PlayoutBlock.id)))


def add_block(
    session: Session,
    clock: Clock,
    channel: Channel,
    *,
    title_id: int,
    start_minute: int,
    minutes: int,
    weekdays: int = 0b1111111,
    order: str = "sequential",
) -> PlayoutBlock:
    """Add a block to a playout channel's weekly grid.

    Raises:
        BadRequest: not a playout channel, or a field is out of range (the message names it).
        NotFound: no such title.
        Conflict: the block overlaps another one on a shared day.
    """
    _require_playout(channel)
    if not 0 <= start_minute < 1440:
        raise BadRequest("start: a time of day between 00:00 and 23:59", field="start")
    if not 1 <= minutes <= 1440:
        raise BadRequest("minutes: a block lasts 1 to 1440 minutes", field="minutes")
    if not 1 <= weekdays <= 0b1111111:
        raise BadRequest("weekdays: choose at least one day", field="weekdays")
    if order not in ORDERS:
        raise BadRequest("order: sequential or shuffle", field="order")
    _require_title(session, title_id)
    block = PlayoutBlock(
        channel_id=channel.id, weekdays=weekdays, start_minute=start_minute, minutes=minutes,
        title_id=title_id, order=order, created_at=clock.now(),
    )  # fmt: skip
    for other in blocks_of(session, channel):
        if _overlap(block, other):
            title = session.get(Title, other.title_id)
            name = title.name if title else other.title_id
            raise Conflict(f"it overlaps the block of {name!r} at {other.start_minute // 60:02}:"
                           f"{other.start_minute % 60:02} ({format_weekdays(other.weekdays)})")  # fmt: skip
    session.add(block)
    session.flush()
    return block


def delete_block(session: Session, channel: Channel, block_id: int) -> None:
    """Remove a block. Raises NotFound if the channel has no such block."""
    block = session.get(PlayoutBlock, block_id)
    if block is None or block.channel_id != channel.id:
        raise NotFound(f"{channel.slug} has no block {block_id}")
    session.delete(block)
    session.flush()


def set_fillers(session: Session, channel: Channel, title_ids: Sequence[int]) -> list[PlayoutFiller]:
    """Replace the channel's fillers (played in this order in the gaps).

    Raises:
        BadRequest: not a playout channel. NotFound: a title does not exist.
    """
    _require_playout(channel)
    for title_id in title_ids:
        _require_title(session, title_id)
    session.execute(delete(PlayoutFiller).where(PlayoutFiller.channel_id == channel.id))
    rows = [
        PlayoutFiller(channel_id=channel.id, title_id=title_id, position=index)
        for index, title_id in enumerate(dict.fromkeys(title_ids))
    ]
    session.add_all(rows)
    session.flush()
    return rows


def filler_ids(session: Session, channel: Channel) -> list[int]:
    query = select(PlayoutFiller.title_id).where(PlayoutFiller.channel_id == channel.id)
    return list(session.scalars(query.order_by(PlayoutFiller.position)))


def schedule_changed(runtime: Runtime, session: Session, channel: Channel, now: dt.datetime) -> list[str]:
    """Rewrite the channel's guide, make missing slates, drop the cached plan; return the plan's warnings."""
    forget_plan(channel.id)
    refresh_playout_guide(session, runtime.settings, channel, now)
    plan = load_plan(session, runtime.settings, channel)
    ensure_slate(find_ffmpeg(runtime.settings), plan)
    return list(plan.warnings)


def _overlap(a: PlayoutBlock, b: PlayoutBlock) -> bool:
    def spans(block: PlayoutBlock) -> list[tuple[int, int]]:
        found = []
        for day in range(7):
            if block.weekdays >> day & 1:
                start = day * 1440 + block.start_minute
                found += [(start, start + block.minutes), (start - WEEK_MINUTES, start - WEEK_MINUTES + block.minutes)]
        return found

    return any(s1 < e2 and s2 < e1 for s1, e1 in spans(a) for s2, e2 in spans(b))


def _require_playout(channel: Channel) -> None:
    if channel.kind != "playout":
        raise BadRequest(f"{channel.slug} is a live channel: only playout channels have a schedule")


def _require_title(session: Session, title_id: int) -> Title:
    title = session.get(Title, title_id)
    if title is None:
        raise NotFound(f"no title {title_id}", field="title")
    return title

"""The programme guide (``/guide``): channels down, 24 hours across, server-rendered.

The grid starts on the half hour a little before now. Every programme is a block whose left edge and width
are its times at a fixed scale (``PX_PER_MINUTE``), clipped to the grid; the page's script only opens the
details panel, scrolls to now and keeps the now line moving.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import rights
from airwave.channels import service
from airwave.channels.archive import available
from airwave.channels.epg import get_programme, now_next, programmes
from airwave.channels.guide import ensure_guides
from airwave.config import Settings
from airwave.errors import NotFound
from airwave.store.accounts import Blackout
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from airwave.store.tables import User
from airwave.web import deps
from airwave.web.pages.rendering import render

router = APIRouter()
Viewer = Annotated[User, Depends(deps.require_user)]

PX_PER_MINUTE = 6
TICK = dt.timedelta(minutes=30)
SPAN = dt.timedelta(hours=24)
LEAD = dt.timedelta(minutes=30)  # the grid starts this much (rounded down to a tick) before now
BLACKOUT_NOTE = "Not available in your area: a slate is shown instead."


@dataclass(frozen=True)
class Block:
    """A programme placed on the grid."""

    programme: Programme
    left: int
    width: int
    when: str  # past | now | next | later
    replay: str  # channels.archive.available
    note: str  # why start-over / catch-up is not offered ("" when it is)
    progress: int  # percent elapsed, for the programme on air
    blackout: bool = False  # blacked out where the viewer is: the slate plays instead (``accounts.rights``)


@dataclass(frozen=True)
class Row:
    channel: Channel
    blocks: list[Block]


@dataclass(frozen=True)
class Grid:
    start: dt.datetime
    now: dt.datetime
    now_left: int
    width: int
    ticks: list[tuple[dt.datetime, int]]
    rows: list[Row]


@router.get("/guide")
def guide_page(request: Request, _user: Viewer) -> Response:
    """The TV guide: every enabled channel's programmes over the next 24 hours."""
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        grid = build_grid(session, runtime.settings, runtime.clock.now(), deps.client_territory(request))
        context = {"grid": grid, "section": "guide", "px_per_minute": PX_PER_MINUTE}
        return render(request, "guide.html", context)


def build_grid(session: Session, settings: Settings, now: dt.datetime, territory: str | None = None) -> Grid:
    """The guide of the enabled channels from shortly before ``now`` for 24 hours, with the blackouts of
    ``territory`` (the viewer's; None: unknown, blacked out wherever anyone is)."""
    start = grid_start(now)
    end = start + SPAN
    ensure_guides(session, settings, now, end)
    channels = [c for c in service.list_channels(session) if c.enabled]
    by_channel: dict[int, list[Programme]] = {c.id: [] for c in channels}
    for row in programmes(session, list(by_channel), start, end) if channels else []:
        by_channel[row.channel_id].append(row)
    rules = rights.blackouts_by_channel(session, list(by_channel), territory, start, end)
    rows = [Row(c, _blocks(c, by_channel[c.id], start, end, now, rules.get(c.id, []))) for c in channels]
    ticks = [(start + TICK * i, _px(TICK * i)) for i in range(SPAN // TICK)]
    return Grid(start, now, _px(now - start), _px(SPAN), ticks, rows)


def grid_start(now: dt.datetime) -> dt.datetime:
    """The tick at or before ``now - LEAD``."""
    early = now - LEAD
    return early.replace(minute=early.minute - early.minute % 30, second=0, microsecond=0)


def replay_note(channel: Channel, replay: str, programme: Programme) -> str:
    """Why a programme cannot be restarted or replayed ("" when it can)."""
    hours = f"{channel.dvr_hours:g}"
    return {
        "live-only": f"It began before {channel.name}’s {hours}-hour replay window: join it live.",
        "expired": f"It is older than {channel.name}’s {hours}-hour catch-up window.",
        "future": f"It starts at {programme.start:%H:%M} UTC.",
    }.get(replay, "")


def _blocks(channel: Channel, rows: list[Programme], start: dt.datetime, end: dt.datetime,
            now: dt.datetime, blackouts: list[Blackout]) -> list[Block]:  # fmt: skip
    blocks: list[Block] = []
    next_taken = False
    for programme in rows:
        left = _px(max(programme.start, start) - start)
        right = _px(min(programme.stop, end) - start)
        when = _when(programme, now, next_taken)
        next_taken = next_taken or when == "next"
        replay = available(channel, programme, now)
        elapsed = (now - programme.start) / (programme.stop - programme.start) if when == "now" else 0
        note = replay_note(channel, replay, programme)
        blackout = rights.blacked_out(blackouts, None, programme.start, programme.stop) is not None
        if blackout:
            note = f"{BLACKOUT_NOTE} {note}".strip()
        blocks.append(Block(programme, left, max(right - left, 1), when, replay, note, round(elapsed * 100),
                            blackout))  # fmt: skip
    return blocks


def _when(programme: Programme, now: dt.datetime, next_taken: bool) -> str:
    if programme.stop <= now:
        return "past"
    if programme.start <= now:
        return "now"
    return "later" if next_taken else "next"


def _px(span: dt.timedelta) -> int:
    return round(span.total_seconds() / 60 * PX_PER_MINUTE)


@dataclass(frozen=True)
class NowStrip:
    """What the channel page shows above its player: now, next, and what is being replayed."""

    now: Programme | None
    next: Programme | None
    replay: str  # channels.archive.available of the programme on air ("" without one)
    note: str
    mode: str  # live | start-over | catch-up
    watching: Programme | None  # the programme replayed (start-over: the one on air)


def now_strip(session: Session, channel: Channel, now: dt.datetime, programme_id: int | None,
              start_over: bool) -> NowStrip:  # fmt: skip
    """The now/next strip of a channel page, for live, start-over (``start_over``) or catch-up (``programme_id``).

    Raises:
        NotFound: ``programme_id`` is not a programme of this channel.
    """
    current, following = now_next(session, channel, now)
    replay = available(channel, current, now) if current is not None else ""
    note = replay_note(channel, replay, current) if current is not None else ""
    if programme_id is not None:
        watching = get_programme(session, programme_id)
        if watching.channel_id != channel.id:
            raise NotFound(f"programme {programme_id} is not in {channel.name}'s guide")
        return NowStrip(current, following, replay, note, "catch-up", watching)
    if start_over and current is not None:
        return NowStrip(current, following, replay, note, "start-over", current)
    return NowStrip(current, following, replay, note, "live", None)

"""``/api/v1/epg`` (the guide), its programmes for live channels, and ``/api/v1/schedules`` (playout)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from airwave.channels.archive import available
from airwave.channels.epg import add_programme, delete_programme, get_programme, programmes
from airwave.channels.guide import ensure_guides
from airwave.channels.plan import load_plan
from airwave.channels.programming import (
    add_block,
    blocks_of,
    delete_block,
    filler_ids,
    format_weekdays,
    parse_start,
    parse_weekdays,
    schedule_changed,
    set_fillers,
)
from airwave.channels.service import get_channel
from airwave.channels.xmltv import XProgramme
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from airwave.web.api.common import ApiAdmin, ApiUser, errors
from airwave.web.deps import DbSession, check_csrf, get_runtime

router = APIRouter(tags=["guide"], dependencies=[Depends(check_csrf)])


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    start: dt.datetime
    stop: dt.datetime
    title: str
    subtitle: str
    description: str
    category: str
    episode_num: str
    source: str
    replay: Literal["start-over", "catch-up", "live-only", "expired", "future"] = Field(
        description="What the viewer can do: restart it, watch it again, only join live, nothing yet."
    )


class ProgrammeIn(BaseModel):
    channel: str
    start: dt.datetime
    stop: dt.datetime
    title: str = Field(min_length=1, max_length=300)
    subtitle: str = ""
    description: str = ""
    category: str = ""
    episode_num: str = ""


class BlockIn(BaseModel):
    title: int = Field(description="A film or episode, or a series (its episodes play in turn).")
    start: str = Field(description="Time of day, HH:MM UTC.", examples=["20:00"])
    minutes: int = Field(ge=1, le=1440)
    days: str = Field("daily", description="daily, weekdays, weekend, or mon,tue,...")
    order: Literal["sequential", "shuffle"] = "sequential"


class BlockOut(BaseModel):
    id: int
    title: int
    start: str
    minutes: int
    days: str
    order: str


class ScheduleOut(BaseModel):
    channel: str
    blocks: list[BlockOut]
    fillers: list[int]
    renditions: list[str]
    warnings: list[str]


class FillersIn(BaseModel):
    titles: list[int]


@router.get("/epg", responses=errors(400, 401))
def guide(
    request: Request,
    user: ApiUser,
    session: DbSession,
    start: Annotated[dt.datetime | None, Query(alias="from", description="Default: two hours ago.")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to", description="Default: a day after `from`.")] = None,
    channel: Annotated[list[str] | None, Query(description="Slugs; default every channel.")] = None,
) -> list[ProgrammeOut]:
    """Programmes overlapping a time range (at most 15 days), by channel then start."""
    runtime = get_runtime(request)
    now = runtime.clock.now()
    start = _aware(start) if start else now - dt.timedelta(hours=2)
    end = _aware(end) if end else start + dt.timedelta(days=1)
    ensure_guides(session, runtime.settings, now, end)
    query = select(Channel)
    if channel:
        query = query.where(Channel.slug.in_(channel))
    by_id = {c.id: c for c in session.scalars(query)}
    rows = programmes(session, list(by_id), start, end)
    return [_out(row, by_id[row.channel_id], now) for row in rows]


@router.post("/epg/programmes", status_code=201, responses=errors(400, 401, 403, 404, 409))
def create_programme(body: ProgrammeIn, request: Request, _admin: ApiAdmin, session: DbSession) -> ProgrammeOut:
    """Add a programme to a live channel's guide (playout channels take theirs from their schedule)."""
    channel = get_channel(session, body.channel)
    values = XProgramme(**body.model_dump(exclude={"start", "stop"}), start=_aware(body.start), stop=_aware(body.stop))
    row = add_programme(session, channel, values)
    return _out(row, channel, get_runtime(request).clock.now())


@router.delete("/epg/programmes/{programme_id}", status_code=204, responses=errors(400, 401, 403, 404))
def remove_programme(programme_id: int, _admin: ApiAdmin, session: DbSession) -> Response:
    """Remove a programme from a live channel's guide."""
    delete_programme(session, get_programme(session, programme_id))
    return Response(status_code=204)


@router.get("/schedules/{slug}", responses=errors(400, 401, 403, 404))
def schedule(slug: str, request: Request, _admin: ApiAdmin, session: DbSession) -> ScheduleOut:
    """A playout channel's weekly grid, fillers, ladder, and what cannot play."""
    return _schedule(request, session, get_channel(session, slug), None)


@router.post("/schedules/{slug}/blocks", status_code=201, responses=errors(400, 401, 403, 404, 409))
def create_block(slug: str, body: BlockIn, request: Request, _admin: ApiAdmin, session: DbSession) -> ScheduleOut:
    """Add a block to a playout channel's grid; the guide and the stream follow at once."""
    runtime = get_runtime(request)
    channel = get_channel(session, slug)
    add_block(
        session, runtime.clock, channel, title_id=body.title, start_minute=parse_start(body.start),
        minutes=body.minutes, weekdays=parse_weekdays(body.days), order=body.order,
    )  # fmt: skip
    return _schedule(request, session, channel, schedule_changed(runtime, session, channel, runtime.clock.now()))


@router.delete("/schedules/{slug}/blocks/{block_id}", responses=errors(400, 401, 403, 404))
def remove_block(slug: str, block_id: int, request: Request, _admin: ApiAdmin, session: DbSession) -> ScheduleOut:
    """Remove a block from a playout channel's grid."""
    runtime = get_runtime(request)
    channel = get_channel(session, slug)
    delete_block(session, channel, block_id)
    return _schedule(request, session, channel, schedule_changed(runtime, session, channel, runtime.clock.now()))


@router.put("/schedules/{slug}/fillers", responses=errors(400, 401, 403, 404))
def replace_fillers(slug: str, body: FillersIn, request: Request, _admin: ApiAdmin, session: DbSession) -> ScheduleOut:
    """Set the titles that fill the gaps between blocks, in rotation order."""
    runtime = get_runtime(request)
    channel = get_channel(session, slug)
    set_fillers(session, channel, body.titles)
    return _schedule(request, session, channel, schedule_changed(runtime, session, channel, runtime.clock.now()))


def _schedule(request: Request, session: DbSession, channel: Channel, warnings: list[str] | None) -> ScheduleOut:
    plan = load_plan(session, get_runtime(request).settings, channel)
    blocks = [
        BlockOut(
            id=b.id,
            title=b.title_id,
            start=f"{b.start_minute // 60:02}:{b.start_minute % 60:02}",
            minutes=b.minutes,
            days=format_weekdays(b.weekdays),
            order=b.order,
        )
        for b in blocks_of(session, channel)
    ]
    return ScheduleOut(
        channel=channel.slug,
        blocks=blocks,
        fillers=filler_ids(session, channel),
        renditions=[r.name for r in plan.renditions],
        warnings=list(plan.warnings) if warnings is None else warnings,
    )


def _out(row: Programme, channel: Channel, now: dt.datetime) -> ProgrammeOut:
    values = {name: getattr(row, name) for name in ProgrammeOut.model_fields if hasattr(row, name)}
    return ProgrammeOut(**{**values, "channel": channel.slug, "replay": available(channel, row, now)})


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)

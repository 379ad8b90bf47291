"""A playout channel's schedule: the weekly grid of blocks, the fillers, and what cannot play.

Every change goes through ``channels.programming`` and then ``schedule_changed``, so the guide and the stream
follow at once. Bad input re-renders the page with the message and the form as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from airwave.channels import programming as prog
from airwave.channels.plan import load_plan, playable_titles
from airwave.channels.service import get_channel
from airwave.errors import BadRequest, ClientError
from airwave.store.channels import Channel
from airwave.store.epg import PlayoutBlock
from airwave.store.tables import Title
from airwave.web import deps
from airwave.web.pages.rendering import redirect, render

router = APIRouter()
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class BlockFields(BaseModel):
    """The add-a-block form as typed."""

    title: str = ""
    start: str = ""
    minutes: str = ""
    days: str = "daily"
    order: str = "sequential"


@dataclass(frozen=True)
class Piece:
    """A block's part on one day of the grid (a block past midnight continues on the next day)."""

    block: PlayoutBlock
    title: str
    top: float  # percent of the day
    height: float
    label: str  # "20:00-21:30", with an en dash
    warnings: list[str]


@router.get("/admin/channels/{slug}/schedule")
def schedule_page(request: Request, slug: str) -> Response:
    """The weekly grid, the add-a-block form, the fillers and the plan's warnings."""
    return _page(request, slug, {"days": "daily", "order": "sequential", "minutes": "60"}, {})


@router.post("/admin/channels/{slug}/schedule/blocks", dependencies=[Depends(deps.check_csrf)])
def add(request: Request, slug: str, fields: Annotated[BlockFields, Form()]) -> Response:
    runtime = deps.get_runtime(request)
    form = fields.model_dump()
    try:
        with runtime.db.session() as session:
            channel = get_channel(session, slug)
            prog.add_block(
                session, runtime.clock, channel, title_id=_int(form["title"], "title"),
                start_minute=prog.parse_start(form["start"]), minutes=_int(form["minutes"], "minutes"),
                weekdays=prog.parse_weekdays(form["days"]), order=form["order"],
            )  # fmt: skip
            warnings = prog.schedule_changed(runtime, session, channel, runtime.clock.now())
    except ClientError as exc:
        field = {"weekdays": "days"}.get(exc.details.get("field", "form"), exc.details.get("field", "form"))
        return _page(request, slug, form, {field: exc.message}, status=400)
    note = f" {len(warnings)} item(s) cannot play: see the warnings." if warnings else ""
    return redirect(request, _url(slug), f"Block added; the guide and the stream follow it now.{note}")


@router.post("/admin/channels/{slug}/schedule/blocks/{block_id}/delete", dependencies=[Depends(deps.check_csrf)])
def remove(request: Request, slug: str, block_id: int) -> Response:
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            channel = get_channel(session, slug)
            prog.delete_block(session, channel, block_id)
            prog.schedule_changed(runtime, session, channel, runtime.clock.now())
    except ClientError as exc:
        return redirect(request, _url(slug), exc.message, "error")
    return redirect(request, _url(slug), "Block removed; fillers take its time.")


@router.post("/admin/channels/{slug}/schedule/fillers", dependencies=[Depends(deps.check_csrf)])
def fillers(
    request: Request, slug: str, add: Annotated[str, Form()] = "", remove: Annotated[str, Form()] = ""
) -> Response:
    """Add a filler at the end of the rotation, or remove one."""
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            channel = get_channel(session, slug)
            ids = prog.filler_ids(session, channel)
            if remove:
                ids = [i for i in ids if i != _int(remove, "remove")]
            if add:
                ids.append(_int(add, "filler"))
            prog.set_fillers(session, channel, ids)
            prog.schedule_changed(runtime, session, channel, runtime.clock.now())
    except ClientError as exc:
        return redirect(request, _url(slug), exc.message, "error")
    return redirect(request, _url(slug), "Fillers saved.")


def _page(request: Request, slug: str, form: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        channel = get_channel(session, slug)
        if channel.kind != "playout":
            return redirect(
                request, "/admin/channels", f"{channel.name} is a live channel: it has no schedule.", "error"
            )
        plan = load_plan(session, runtime.settings, channel)
        days = _grid(session, channel, list(plan.warnings))
        filler_titles = [t for i in prog.filler_ids(session, channel) if (t := session.get(Title, i)) is not None]
        context = {
            "channel": channel, "days": list(zip(DAY_NAMES, days, strict=True)), "form": form, "errors": errors,
            "warnings": plan.warnings, "fillers": filler_titles, "choices": _choices(session),
            "renditions": [r.name for r in plan.renditions], "section": "channels", "now": runtime.clock.now(),
        }  # fmt: skip
        return render(request, "admin/schedule.html", context, status=status)


def _grid(session: Session, channel: Channel, warnings: list[str]) -> list[list[Piece]]:
    days: list[list[Piece]] = [[] for _ in range(7)]
    for block in prog.blocks_of(session, channel):
        title = session.get(Title, block.title_id)
        names = [repr(t.name) for t in playable_titles(session, block.title_id)]
        own = [w for w in warnings if any(name in w for name in names)]
        end = block.start_minute + block.minutes
        label = f"{_hhmm(block.start_minute)}–{_hhmm(end % 1440)}"
        for day in range(7):
            if not block.weekdays >> day & 1:
                continue
            first = min(end, 1440) - block.start_minute
            name = title.name if title else f"#{block.title_id}"
            days[day].append(Piece(block, name, block.start_minute / 14.4, first / 14.4, label, own))
            if end > 1440:  # continues after midnight on the next day
                days[(day + 1) % 7].append(Piece(block, name, 0.0, (end - 1440) / 14.4, label, own))
    return days


def _choices(session: Session) -> dict[str, list[Title]]:
    query = select(Title).where(Title.media_path.is_not(None) | (Title.kind == "series"))
    titles = list(session.scalars(query.order_by(Title.name)))
    return {kind: [t for t in titles if t.kind == kind] for kind in ("series", "film", "episode")}


def _int(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise BadRequest(f"{field}: choose or type a whole number", field=field) from None


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02}:{minute % 60:02}"


def _url(slug: str) -> str:
    return f"/admin/channels/{slug}/schedule"

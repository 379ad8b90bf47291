"""The subscriber's live TV: the channel list and the channel page with its player and zapping."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts.users import is_staff
from airwave.channels import blackouts, service
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.tables import User
from airwave.web import deps
from airwave.web.pages.guide import NowStrip, now_strip
from airwave.web.pages.rendering import render

router = APIRouter()
Viewer = Annotated[User, Depends(deps.require_user)]


@router.get("/channels")
def channel_list(request: Request, _user: Viewer) -> Response:
    """Every channel in guide order, grouped, with whether it is on air."""
    with deps.get_runtime(request).db.session() as session:
        rows = [c for c in service.list_channels(session) if c.enabled]
        return render(request, "channels.html", {"rows": rows, "section": "channels"})


@router.get("/channel/{slug}")
def channel_page(
    request: Request, slug: str, user: Viewer, programme: int | None = None, start_over: bool = False
) -> Response:
    """The live player of a channel, with the previous and next channel and the channel list to zap to;
    ``?start_over=1`` plays the current programme from its start, ``?programme=ID`` a past one (catch-up)."""
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        channel = service.get_channel(session, slug)
        strip = now_strip(session, channel, runtime.clock.now(), programme, start_over)
        rows = [c for c in service.list_channels(session) if c.enabled or c.slug == slug]
        at = next(index for index, c in enumerate(rows) if c.slug == slug)
        previous, following = rows[at - 1], rows[(at + 1) % len(rows)]
        context = {"channel": channel, "rows": rows, "previous": previous, "next": following, "strip": strip,
                   "staff_notice": _staff_notice(runtime, channel, strip) if is_staff(user) else None}  # fmt: skip
        return render(request, "channel.html", context)


def _staff_notice(runtime: Runtime, channel: Channel, strip: NowStrip) -> str | None:
    """Staff previews are never blacked out (``channels.blackouts``): say what viewers in those places get."""
    now = runtime.clock.now()
    watching = strip.watching
    start, stop = (watching.start, watching.stop) if watching else (now, now + dt.timedelta(seconds=1))
    return blackouts.staff_notice(blackouts.rules_for(runtime, channel.id), start, stop)

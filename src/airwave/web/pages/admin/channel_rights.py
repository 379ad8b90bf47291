"""A channel's rights: the territories it may be watched in, and blackouts of programmes in listed territories.

Every change is written to the audit log in the same transaction (``channel.territories``,
``channel.blackout``, ``channel.blackout_lifted``), and drops the cached rules so players follow at their
next playlist refresh.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import audit, rights
from airwave.channels import blackouts, service
from airwave.errors import BadRequest, ClientError
from airwave.store.accounts import Blackout
from airwave.store.channels import Channel
from airwave.store.epg import Programme
from airwave.web import deps
from airwave.web.pages.rendering import redirect, render

router = APIRouter()
GUIDE_DAYS = 7
TERRITORY_HINT = "Two-letter country codes separated by spaces, e.g. GB IE."


class TerritoryFields(BaseModel):
    territories: str = ""


class BlackoutFields(BaseModel):
    programme_id: str = ""
    territories: str = ""


@router.get("/admin/channels/{slug}/rights")
def rights_page(request: Request, slug: str) -> Response:
    """The channel's territories, its blackouts, and its coming programmes to black out."""
    return _page(request, slug, {}, {})


@router.post("/admin/channels/{slug}/territories", dependencies=[Depends(deps.check_csrf)])
def set_territories(request: Request, slug: str, fields: Annotated[TerritoryFields, Form()]) -> Response:
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            channel = service.get_channel(session, slug)
            stored = rights.set_channel_territories(channel, fields.territories)
            audit.record(session, runtime.clock, deps.admin_actor(request), "channel.territories", _target(channel),
                         stored or "everywhere")  # fmt: skip
            name = channel.name
    except ClientError as exc:
        return _page(request, slug, fields.model_dump(), {"territories": exc.message}, status=400)
    where = f"only in {stored}" if stored else "everywhere"
    return redirect(request, f"/admin/channels/{slug}/rights", f"{name} may now be watched {where}.")


@router.post("/admin/channels/{slug}/blackouts", dependencies=[Depends(deps.check_csrf)])
def add(request: Request, slug: str, fields: Annotated[BlackoutFields, Form()]) -> Response:
    runtime = deps.get_runtime(request)
    try:
        if not fields.programme_id.strip().isdigit():
            raise BadRequest("choose the programme to black out", field="programme_id")
        with runtime.db.session() as session:
            channel = service.get_channel(session, slug)
            programme = session.get(Programme, int(fields.programme_id))
            rule = rights.blackout_programme(session, channel, programme, fields.territories)
            audit.record(session, runtime.clock, deps.admin_actor(request), "channel.blackout", _target(channel),
                         _describe(rule))  # fmt: skip
            blackouts.forget_rules(runtime, channel.id)
            message = f"Blacked out {rule.note} in {rule.territories}."
    except ClientError as exc:
        return _page(request, slug, fields.model_dump(), {exc.details.get("field", "territories"): exc.message},
                     status=400)  # fmt: skip
    return redirect(request, f"/admin/channels/{slug}/rights", message)


@router.post("/admin/channels/{slug}/blackouts/{blackout_id}/delete", dependencies=[Depends(deps.check_csrf)])
def lift(request: Request, slug: str, blackout_id: int) -> Response:
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        channel = service.get_channel(session, slug)
        rule = rights.remove_blackout(session, channel, blackout_id)
        audit.record(session, runtime.clock, deps.admin_actor(request), "channel.blackout_lifted", _target(channel),
                     _describe(rule))  # fmt: skip
        blackouts.forget_rules(runtime, channel.id)
        message = f"Lifted the blackout of {rule.note}."
    return redirect(request, f"/admin/channels/{slug}/rights", message)


def _page(request: Request, slug: str, form: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    runtime = deps.get_runtime(request)
    now = runtime.clock.now()
    with runtime.db.session() as session:
        channel = service.get_channel(session, slug)
        context = {
            "channel": channel, "section": "channels", "errors": errors, "territory_hint": TERRITORY_HINT,
            "form": {"territories": channel.territories, **form},
            "rules": _rules(session, channel, now), "programmes": _programmes(session, channel, now),
        }  # fmt: skip
        return render(request, "admin/channel_rights.html", context, status=status)


def _rules(session: Session, channel: Channel, now: dt.datetime) -> list[Blackout]:
    statement = select(Blackout).where(Blackout.channel_id == channel.id, Blackout.stop > now - dt.timedelta(days=1))
    return list(session.scalars(statement.order_by(Blackout.start)))


def _programmes(session: Session, channel: Channel, now: dt.datetime) -> list[Programme]:
    statement = select(Programme).where(
        Programme.channel_id == channel.id, Programme.stop > now, Programme.start < now + dt.timedelta(days=GUIDE_DAYS)
    )
    return list(session.scalars(statement.order_by(Programme.start).limit(200)))


def _describe(rule: Blackout) -> str:
    return f"{rule.note} {rule.start:%Y-%m-%d %H:%M}-{rule.stop:%H:%M} UTC in {rule.territories}"


def _target(channel: Channel) -> str:
    return f"channel:{channel.slug}"

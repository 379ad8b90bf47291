"""``/api/v1/channels/{slug}/territories`` and ``.../blackouts``: a channel's rights, as on its admin page.

Admins change them; support agents may read them (to answer "why can't I watch this here?"). Every change
is written to the audit log in the same transaction, with the same actions as the admin page
(``channel.territories``, ``channel.blackout``, ``channel.blackout_lifted``), and drops the cached rules, so
viewers get the slate (or lose it) at their next playlist refresh.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from airwave.accounts import audit, rights
from airwave.channels import blackouts, service
from airwave.store.accounts import Blackout
from airwave.store.channels import Channel
from airwave.store.tables import User
from airwave.web.api.common import ApiAdmin, ApiStaff, errors
from airwave.web.api.schemas import Model
from airwave.web.deps import DbSession, actor, check_csrf, get_runtime

router = APIRouter(prefix="/channels", tags=["channel rights"], dependencies=[Depends(check_csrf)])
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
Codes = Annotated[list[str], Field(max_length=250, description="ISO 3166-1 alpha-2 country codes.")]


class TerritoriesIn(Model):
    model_config = ConfigDict(json_schema_extra={"examples": [{"territories": ["GB", "IE"]}, {"territories": []}]})

    territories: Codes = Field(description="Where the channel may be watched; an empty list means everywhere.")


class TerritoriesOut(Model):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"channel": "sport", "territories": ["GB", "IE"], "everywhere": False}]}
    )

    channel: str = Field(description="The channel's slug.")
    territories: Codes
    everywhere: bool = Field(description="True when the channel has no territory limit.")


class BlackoutIn(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"programme_id": 812, "territories": ["GB", "IE"], "note": "Cup Final: no UK rights"},
                {"start": "2027-05-01T19:45:00Z", "stop": "2027-05-01T22:00:00Z", "territories": ["DE"]},
            ]
        }
    )

    programme_id: int | None = Field(
        None, description="Black out this programme of the channel's guide (its start and stop times)."
    )
    start: AwareDatetime | None = Field(None, description="Without programme_id: when the blackout begins.")
    stop: AwareDatetime | None = Field(None, description="Without programme_id: when it ends.")
    territories: Codes = Field(min_length=1, description="Where viewers get the slate instead of the channel.")
    note: str = Field("", max_length=300, description="Shown to staff; defaults to the programme's title.")

    @model_validator(mode="after")
    def _one_way_to_say_when(self) -> Self:
        if (self.programme_id is None) == (self.start is None or self.stop is None):
            if self.programme_id is None:
                raise ValueError("give programme_id, or both start and stop")
            raise ValueError("give programme_id or start and stop, not both")
        return self


class BlackoutOut(Model):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7, "channel": "sport", "programme_id": 812, "start": "2027-05-01T19:45:00Z",
                    "stop": "2027-05-01T22:00:00Z", "territories": ["GB", "IE"], "note": "Cup Final",
                    "in_force": False,
                }
            ]
        }
    )  # fmt: skip

    id: int
    channel: str = Field(description="The channel's slug.")
    programme_id: int | None = Field(description="The guide programme it was made for, if any.")
    start: dt.datetime
    stop: dt.datetime
    territories: Codes
    note: str
    in_force: bool = Field(description="Whether it is blacking out the channel right now.")


class BlackoutList(Model):
    items: list[BlackoutOut] = Field(description="Earliest first.")


@router.get("/{slug}/territories", responses=errors(401, 403, 404))
def read_territories(slug: str, _staff: ApiStaff, session: DbSession) -> TerritoriesOut:
    """Where the channel may be watched (admins and support)."""
    return _territories_out(service.get_channel(session, slug))


@router.put("/{slug}/territories", responses=errors(400, 401, 403, 404, 422))
def write_territories(
    slug: str, body: TerritoriesIn, request: Request, admin: ApiAdmin, session: DbSession
) -> TerritoriesOut:
    """Limit the channel to these territories (an empty list: everywhere). Viewers elsewhere are refused at
    playback start and at their next playlist refresh."""
    channel = service.get_channel(session, slug)
    stored = rights.set_channel_territories(channel, body.territories)
    _record(request, session, admin, "channel.territories", channel, stored or "everywhere")
    return _territories_out(channel)


@router.get("/{slug}/blackouts", responses=errors(401, 403, 404, 422))
def list_blackouts(
    slug: str,
    request: Request,
    _staff: ApiStaff,
    session: DbSession,
    past: Annotated[bool, Query(description="Include blackouts that are over.")] = False,
) -> BlackoutList:
    """The channel's blackouts, earliest first: those not over yet, or all of them with ``past=true``."""
    channel = service.get_channel(session, slug)
    now = get_runtime(request).clock.now()
    rules = rights.blackouts(session, channel.id, _EPOCH if past else now, _FAR)
    return BlackoutList(items=[_blackout_out(channel, rule, now) for rule in rules])


@router.post("/{slug}/blackouts", status_code=201, responses=errors(400, 401, 403, 404, 422))
def add_blackout(slug: str, body: BlackoutIn, request: Request, admin: ApiAdmin, session: DbSession) -> BlackoutOut:
    """Black out a programme (``programme_id``) or a stretch of time (``start``, ``stop``) in ``territories``:
    viewers there get a slate instead, from their next playlist refresh."""
    channel = service.get_channel(session, slug)
    if body.programme_id is not None:
        rule = rights.blackout_programme_id(session, channel, body.programme_id, body.territories, body.note)
    else:
        assert body.start is not None  # the model's validator saw to both
        assert body.stop is not None
        rule = rights.add_blackout(session, channel, start=body.start.astimezone(dt.UTC),
                                   stop=body.stop.astimezone(dt.UTC), territories=body.territories,
                                   note=body.note)  # fmt: skip
    _record(request, session, admin, "channel.blackout", channel, rights.describe_blackout(rule))
    return _blackout_out(channel, rule, get_runtime(request).clock.now())


@router.delete("/{slug}/blackouts/{blackout_id}", status_code=204, responses=errors(401, 403, 404))
def remove_blackout(slug: str, blackout_id: int, request: Request, admin: ApiAdmin, session: DbSession) -> Response:
    """Lift a blackout: viewers get the channel back at their next playlist refresh."""
    channel = service.get_channel(session, slug)
    rule = rights.remove_blackout(session, channel, blackout_id)
    _record(request, session, admin, "channel.blackout_lifted", channel, rights.describe_blackout(rule))
    return Response(status_code=204)


def _record(request: Request, session: Session, admin: User, action: str, channel: Channel, detail: str) -> None:
    """Audit the change and drop the cached rules, so this process serves the change from the next refresh."""
    runtime = get_runtime(request)
    audit.record(session, runtime.clock, actor(request, admin), action, f"channel:{channel.slug}", detail)
    blackouts.forget_rules(runtime, channel.id)


def _territories_out(channel: Channel) -> TerritoriesOut:
    codes = channel.territories.split()
    return TerritoriesOut(channel=channel.slug, territories=codes, everywhere=not codes)


def _blackout_out(channel: Channel, rule: Blackout, now: dt.datetime) -> BlackoutOut:
    start, stop = _utc(rule.start), _utc(rule.stop)
    return BlackoutOut(
        id=rule.id, channel=channel.slug, programme_id=rule.programme_id, start=start, stop=stop,
        territories=rule.territories.split(), note=rule.note, in_force=start <= now < stop,
    )  # fmt: skip


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)

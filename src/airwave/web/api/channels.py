"""``/api/v1/channels``: the channel list with live state; adding, editing, starting, stopping channels."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response, UploadFile
from pydantic import Field

from airwave.accounts import audit
from airwave.channels import service
from airwave.channels.playback import start_channel
from airwave.channels.remux import engine_for
from airwave.channels.sources import redact
from airwave.delivery import binding
from airwave.delivery.admission import admit
from airwave.delivery.limits import lease_seconds
from airwave.delivery.playback import new_session_id
from airwave.store.channels import Channel
from airwave.store.tables import PlaybackSession, User
from airwave.web.api.common import ApiAdmin, ApiUser, errors
from airwave.web.api.schemas import Model, PlaybackIn, PlaybackOut
from airwave.web.deps import DbSession, actor, check_csrf, client_ip, client_territory, get_runtime

router = APIRouter(prefix="/channels", tags=["channels"], dependencies=[Depends(check_csrf)])
State = Literal["live", "backup", "slate", "stopped", "failing"]


class PushOut(Model):
    rtmp_server: str = Field(description='OBS "Server", e.g. rtmp://tv.example.com:1935/live')
    stream_key: str = Field(description='OBS "Stream Key" (secret).')
    rtmp_url: str = Field(description="Server and key in one URL (for ffmpeg).")
    srt_url: str | None = Field(description="For push:srt channels: the SRT URL with its passphrase.")


class ChannelOut(Model):
    slug: str
    name: str
    number: int | None
    group: str
    kind: Literal["live", "playout"]
    state: State
    state_since: dt.datetime | None
    logo_url: str | None
    enabled: bool
    mode: str
    dvr_hours: float
    source_url: str | None = Field(None, description="Admins only (passwords hidden).")
    backup_url: str | None = Field(None, description="Admins only.")
    switch_count: int | None = Field(None, description="Admins only: source switches so far.")
    last_error: str | None = Field(None, description="Admins only: why the last source failed.")
    engine: str | None = Field(
        None, description="Admins only, live channels: remux (in-process RTMP passthrough) or ffmpeg."
    )
    push: PushOut | None = Field(None, description="Admins only: where encoders push to.")
    watermark: bool | None = Field(None, description="Admins only: forensic A/B watermarking of every viewer's copy.")


class ChannelList(Model):
    items: list[ChannelOut]


class ChannelIn(Model):
    slug: str = Field(min_length=1, max_length=63, examples=["news-24"])
    name: str = Field(min_length=1, max_length=200)
    source_url: str = Field(
        description="push:rtmp, push:srt, http(s)://…m3u8, udp://, rtsp://, srt://, file:///…, or playout (a "
        "channel played out from the catalogue on a schedule: see /api/v1/schedules)"
    )
    backup_url: str = ""
    mode: Literal["passthrough", "ladder"] = "passthrough"
    group: str = ""
    number: int | None = Field(None, ge=1, le=99_999)
    dvr_hours: float | None = Field(None, ge=0, le=720)
    enabled: bool = True
    watermark: bool = Field(False, description="Forensic A/B watermarking (two extra encodes per segment).")


class ChannelPatch(Model):
    name: str | None = Field(None, min_length=1, max_length=200)
    source_url: str | None = None
    backup_url: str | None = None
    mode: Literal["passthrough", "ladder"] | None = None
    group: str | None = None
    number: int | None = Field(None, ge=1, le=99_999)
    dvr_hours: float | None = Field(None, ge=0, le=720)
    enabled: bool | None = None
    watermark: bool | None = None


def push_host(request: Request) -> str:
    """The host encoders reach: from ``public_url``, else the one this request came to."""
    public = get_runtime(request).settings.public_url
    return (urlsplit(public).hostname if public else None) or request.url.hostname or "127.0.0.1"


def channel_out(request: Request, channel: Channel, user: User) -> ChannelOut:
    out: dict[str, Any] = {
        "slug": channel.slug, "name": channel.name, "number": channel.number, "group": channel.group_title,
        "kind": channel.kind, "state": channel.state, "state_since": channel.state_since,
        "logo_url": f"/logo/{channel.slug}" if channel.logo else None, "enabled": channel.enabled,
        "mode": channel.mode, "dvr_hours": channel.dvr_hours,
    }  # fmt: skip
    if user.role == "admin":
        push = service.push_info(get_runtime(request).settings, channel, push_host(request))
        out.update(
            source_url=redact(channel.source_url), backup_url=redact(channel.backup_url),
            switch_count=channel.switch_count, last_error=channel.last_error, push=PushOut(**push.__dict__),
            watermark=channel.watermark,
        )  # fmt: skip
        if channel.kind == "live":
            out["engine"] = engine_for(channel.mode, channel.source_url)
    return ChannelOut(**out)


@router.get("", responses=errors(401))
def list_channels(request: Request, user: ApiUser, session: DbSession) -> ChannelList:
    """Every channel in guide order, with its state (live, backup, slate, stopped, failing)."""
    return ChannelList(items=[channel_out(request, c, user) for c in service.list_channels(session)])


@router.post("", status_code=201, responses=errors(400, 401, 403, 409, 422))
def create(body: ChannelIn, request: Request, user: ApiAdmin, session: DbSession) -> ChannelOut:
    """Add a channel; it goes on air within seconds unless ``enabled`` is false."""
    runtime = get_runtime(request)
    fields = body.model_dump(exclude={"slug", "group"}, exclude_none=True)
    channel = service.create_channel(session, runtime.settings, runtime.clock, body.slug, group_title=body.group,
                                     **fields)  # fmt: skip
    return channel_out(request, channel, user)


@router.get("/{slug}", responses=errors(401, 404))
def get(slug: str, request: Request, user: ApiUser, session: DbSession) -> ChannelOut:
    return channel_out(request, service.get_channel(session, slug), user)


@router.patch("/{slug}", responses=errors(400, 401, 403, 404, 409, 422))
def patch(slug: str, body: ChannelPatch, request: Request, user: ApiAdmin, session: DbSession) -> ChannelOut:
    """Change a channel; changed sources restart its ffmpeg within seconds."""
    runtime = get_runtime(request)
    changes = body.model_dump(exclude_unset=True)
    if "group" in changes:
        changes["group_title"] = changes.pop("group")
    channel = service.update_channel(session, runtime.settings, runtime.clock, slug, **changes)
    return channel_out(request, channel, user)


@router.delete("/{slug}", status_code=204, responses=errors(401, 403, 404))
def delete(slug: str, request: Request, admin: ApiAdmin, session: DbSession) -> Response:
    """Delete a channel with its DVR recordings and logo."""
    runtime = get_runtime(request)
    name = service.get_channel(session, slug).name
    service.delete_channel(session, runtime.settings, slug)
    audit.record(session, runtime.clock, actor(request, admin), "channel.delete", f"channel:{slug}", name)
    return Response(status_code=204)


@router.post("/{slug}/start", responses=errors(401, 403, 404))
def start(slug: str, request: Request, user: ApiAdmin, session: DbSession) -> ChannelOut:
    return channel_out(request, service.set_enabled(session, get_runtime(request).clock, slug, True), user)


@router.post("/{slug}/stop", responses=errors(401, 403, 404))
def stop(slug: str, request: Request, user: ApiAdmin, session: DbSession) -> ChannelOut:
    return channel_out(request, service.set_enabled(session, get_runtime(request).clock, slug, False), user)


@router.post("/{slug}/key", responses=errors(401, 403, 404))
def new_key(slug: str, request: Request, user: ApiAdmin, session: DbSession) -> ChannelOut:
    """A new stream key; encoders with the old one are refused from their next connection."""
    clock = get_runtime(request).clock
    channel = service.regenerate_key(session, clock, slug)
    audit.record(session, clock, actor(request, user), "channel.key", f"channel:{slug}", "new stream key")
    return channel_out(request, channel, user)


@router.put("/{slug}/logo", responses=errors(400, 401, 403, 404))
async def put_logo(slug: str, logo: UploadFile, request: Request, user: ApiAdmin, session: DbSession) -> ChannelOut:
    """Upload the channel's logo (PNG, JPEG, SVG or WebP, up to 2 MB)."""
    data = await logo.read(service.LOGO_MAX_BYTES + 1)
    channel = service.save_logo(session, get_runtime(request).settings, slug, logo.filename or "", data)
    return channel_out(request, channel, user)


def start_channel_playback(body: PlaybackIn, request: Request, user: User, session: DbSession) -> PlaybackOut:
    """``POST /api/v1/playback {"channel": slug}``: admitted like any playback (stream limit, lease)."""
    assert body.channel is not None
    runtime = get_runtime(request)
    from airwave.web.media import playback_of

    playback = playback_of(request)
    session_id = new_session_id()
    admit(session, runtime, playback.leases, user, session_id, lease_seconds(runtime, PlaybackSession()))
    address = client_ip(request)
    try:
        started = start_channel(
            session, runtime.clock, playback.signer, user, body.channel,
            ttl_seconds=runtime.settings.playback_ttl_seconds, client_ip=address,
            user_agent=request.headers.get("user-agent", ""), session_id=session_id,
            territory=client_territory(request), programme=body.programme, start_over=body.start_over,
            binding=binding.for_start(session, runtime.settings, user, address),
        )  # fmt: skip
    except BaseException:
        playback.leases.release(user.id, session_id)
        raise
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.playback_started.inc()
    edge = playback.edges.for_session(address)
    url = f"{edge.url}{started.url}" if edge is not None else started.url
    return PlaybackOut(session_id=started.session_id, url=url, expires_at=started.expires_at, resume_from=0.0)

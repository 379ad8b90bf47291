"""Managing live channels: the list with state badges, the add/edit form with the push URL, start/stop/delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import audit
from airwave.channels import service
from airwave.channels.marking import channel_marking
from airwave.errors import ClientError
from airwave.store.channels import Channel
from airwave.web import deps
from airwave.web.api.channels import push_host
from airwave.web.pages.rendering import redirect, render

router = APIRouter()
SOURCE_HINT = (
    "push:rtmp (OBS), push:srt, http(s)://…/index.m3u8, udp://239.0.0.1:1234, rtsp://…, srt://host:port, "
    "file:///path, or playout (24/7 from the catalogue; then edit its schedule)"
)


class ChannelFields(BaseModel):
    """The channel form as typed."""

    slug: str = ""
    name: str = ""
    source_url: str = ""
    backup_url: str = ""
    mode: str = "passthrough"
    group_title: str = ""
    number: str = ""
    dvr_hours: str = ""
    watermark: str = ""  # "1" when the forensic watermark box is ticked


@router.get("/admin/channels")
def channel_list(request: Request) -> Response:
    """Every channel with its state; refreshes itself while open."""
    with deps.get_runtime(request).db.session() as session:
        rows = service.list_channels(session)
        return render(request, "admin/channels.html", {"rows": rows, "section": "channels"})


@router.get("/admin/channels/new")
def new_form(request: Request) -> Response:
    form = {
        "mode": "passthrough",
        "source_url": "push:rtmp",
        "dvr_hours": str(deps.get_runtime(request).settings.live_dvr_hours),
    }
    return _form_page(request, None, form, {})


@router.post("/admin/channels/new", dependencies=[Depends(deps.check_csrf)])
def create(request: Request, fields: Annotated[ChannelFields, Form()]) -> Response:
    runtime = deps.get_runtime(request)
    form = fields.model_dump()
    try:
        values = _values(form)
        with runtime.db.session() as session:
            channel = service.create_channel(session, runtime.settings, runtime.clock, form["slug"].strip(), **values)
            return redirect(
                request,
                f"/admin/channels/{channel.slug}/edit",
                f"Channel \u201c{channel.name}\u201d added; it goes on air in a few seconds.",
            )
    except ClientError as exc:
        return _form_page(request, None, form, {exc.details.get("field", "form"): exc.message}, status=400)


@router.get("/admin/channels/{slug}/edit")
def edit_form(request: Request, slug: str) -> Response:
    with deps.get_runtime(request).db.session() as session:
        channel = service.get_channel(session, slug)
        return _form_page(request, channel, _form_of(channel), {})


@router.post("/admin/channels/{slug}/edit", dependencies=[Depends(deps.check_csrf)])
def save(request: Request, slug: str, fields: Annotated[ChannelFields, Form()]) -> Response:
    runtime = deps.get_runtime(request)
    form = fields.model_dump()
    try:
        values = _values(form)
        with runtime.db.session() as session:
            channel = service.update_channel(session, runtime.settings, runtime.clock, slug, **values)
            return redirect(request, "/admin/channels", f"Saved \u201c{channel.name}\u201d.")
    except ClientError as exc:
        with runtime.db.session() as session:
            channel = service.get_channel(session, slug)
            return _form_page(request, channel, form, {exc.details.get("field", "form"): exc.message}, status=400)


@router.post("/admin/channels/{slug}/{action}", dependencies=[Depends(deps.check_csrf)])
def act(request: Request, slug: str, action: str) -> Response:
    """start, stop, key (a new stream key) or delete."""
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        if action in ("start", "stop"):
            channel = service.set_enabled(session, runtime.clock, slug, action == "start")
            message = f"{channel.name} {'is going on air' if action == 'start' else 'is off air'}."
        elif action == "key":
            service.regenerate_key(session, runtime.clock, slug)
            detail = "new stream key"
            audit.record(session, runtime.clock, deps.admin_actor(request), "channel.key", f"channel:{slug}", detail)
            return redirect(request, f"/admin/channels/{slug}/edit", "New stream key: update it in your encoder.")
        elif action == "delete":
            name = service.get_channel(session, slug).name
            service.delete_channel(session, runtime.settings, slug)
            audit.record(session, runtime.clock, deps.admin_actor(request), "channel.delete", f"channel:{slug}", name)
            message = f"Deleted channel {slug} and its recordings."
        else:
            return redirect(request, "/admin/channels", f"Unknown action {action!r}.", "error")
    return redirect(request, "/admin/channels", message)


def _form_page(request: Request, channel: Channel | None, form: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> Response:  # fmt: skip
    runtime = deps.get_runtime(request)
    push = service.push_info(runtime.settings, channel, push_host(request)) if channel is not None else None
    context = {"channel": channel, "form": form, "errors": errors, "push": push, "section": "channels",
               "source_hint": SOURCE_HINT, "modes": service.MODES,
               "marking": channel_marking(runtime.settings, channel.slug) if channel is not None else None}  # fmt: skip
    return render(request, "admin/channel_form.html", context, status=status)


def _values(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {key: form[key] for key in ("name", "source_url", "backup_url", "mode", "group_title")}
    values["number"] = _number(form["number"], "number", int)
    values["watermark"] = bool(form.get("watermark"))
    if form["dvr_hours"].strip():
        values["dvr_hours"] = _number(form["dvr_hours"], "dvr_hours", float)
    return values


def _number(text: str, field: str, kind: type[int] | type[float]) -> Any:
    if not text.strip():
        return None
    try:
        return kind(text.strip())
    except ValueError:
        from airwave.errors import BadRequest

        raise BadRequest(f"{field}: {text!r} is not a number", field=field) from None


def _form_of(channel: Channel) -> dict[str, Any]:
    return {
        "slug": channel.slug, "name": channel.name, "source_url": channel.source_url,
        "backup_url": channel.backup_url, "mode": channel.mode, "group_title": channel.group_title,
        "number": "" if channel.number is None else str(channel.number), "dvr_hours": f"{channel.dvr_hours:g}",
        "watermark": "1" if channel.watermark else "",
    }  # fmt: skip

"""Channels as operators manage them: add, edit, start, stop, delete; the same for CLI, API and admin pages."""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.channels.feeds import channel_dir
from airwave.channels.sources import SRT_PUSH, parse_source
from airwave.clock import Clock
from airwave.config import Settings
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.store.channels import Channel

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MODES = ("passthrough", "ladder")
STATES = ("live", "backup", "slate", "stopped", "failing")
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
              ".webp": "image/webp"}  # fmt: skip
LOGO_MAX_BYTES = 2_000_000
EDITABLE = ("name", "source_url", "backup_url", "mode", "group_title", "number", "dvr_hours", "enabled", "watermark")
PLAYOUT = "playout"  # the source of a channel played out from the catalogue on a schedule


@dataclass(frozen=True)
class PushInfo:
    """What an operator pastes into OBS or an encoder."""

    rtmp_server: str  # "rtmp://host:1935/live"
    stream_key: str
    rtmp_url: str  # server and key in one URL (ffmpeg -f flv ...)
    srt_url: str | None  # for push:srt channels


def new_stream_key() -> str:
    return secrets.token_urlsafe(18)


def list_channels(session: Session) -> list[Channel]:
    """Every channel, in guide order: by number (unnumbered last), then name."""
    rows = session.scalars(select(Channel)).all()
    return sorted(rows, key=lambda c: (c.number is None, c.number or 0, c.name.lower()))


def get_channel(session: Session, slug: str) -> Channel:
    """Raises NotFound if there is no channel ``slug``."""
    channel = session.scalar(select(Channel).where(Channel.slug == slug))
    if channel is None:
        raise NotFound(f"no channel {slug!r}; `airwave channel list` shows them")
    return channel


def create_channel(session: Session, settings: Settings, clock: Clock, slug: str, **fields: Any) -> Channel:
    """Add a channel (started at once unless ``enabled=False``).

    Raises:
        BadRequest: a field is invalid (the message names it).
        Conflict: the slug or the channel number is taken.
    """
    if not SLUG.match(slug):
        raise BadRequest("slug: use 1-63 lower-case letters, digits and dashes (e.g. news-24)", field="slug")
    if session.scalar(select(Channel.id).where(Channel.slug == slug)) is not None:
        raise Conflict(f"there is already a channel {slug!r}", field="slug")
    kind = fields.pop("kind", "live")
    if fields.get("source_url") == PLAYOUT:
        kind, fields["source_url"] = "playout", ""
    now = clock.now()
    channel = Channel(
        slug=slug, name="", kind=kind, stream_key=new_stream_key(), state="stopped",
        dvr_hours=settings.live_dvr_hours, mode="passthrough", group_title="", source_url="", backup_url="",
        enabled=True, watermark=False, switch_count=0, last_error="", created_at=now, updated_at=now,
    )  # fmt: skip
    _apply(session, settings, channel, {"name": fields.pop("name", slug), **fields})
    session.add(channel)
    session.flush()
    return channel


def update_channel(session: Session, settings: Settings, clock: Clock, slug: str, **changes: Any) -> Channel:
    """Change some fields of a channel; the supervisor restarts its sources when they changed."""
    channel = get_channel(session, slug)
    _apply(session, settings, channel, {k: v for k, v in changes.items() if v is not None})
    channel.updated_at = clock.now()
    return channel


def set_enabled(session: Session, clock: Clock, slug: str, enabled: bool) -> Channel:
    """Start (the supervisor brings it on air within a few seconds) or stop a channel."""
    channel = get_channel(session, slug)
    channel.enabled = enabled
    channel.updated_at = clock.now()
    return channel


def regenerate_key(session: Session, clock: Clock, slug: str) -> Channel:
    """A new stream key: encoders using the old one are refused from their next connection."""
    channel = get_channel(session, slug)
    channel.stream_key = new_stream_key()
    channel.updated_at = clock.now()
    return channel


def delete_channel(session: Session, settings: Settings, slug: str) -> None:
    """Delete the channel, its DVR store and its logo."""
    channel = get_channel(session, slug)
    session.delete(channel)
    session.flush()
    shutil.rmtree(channel_dir(settings, slug), ignore_errors=True)
    shutil.rmtree(logo_dir(settings, slug), ignore_errors=True)


def logo_dir(settings: Settings, slug: str) -> Path:
    return settings.data / "channels" / slug


def save_logo(session: Session, settings: Settings, slug: str, filename: str, data: bytes) -> Channel:
    """Store a channel's logo (PNG, JPEG, SVG or WebP, up to 2 MB).

    Raises:
        BadRequest: another type of file, or too large.
    """
    channel = get_channel(session, slug)
    suffix = Path(filename).suffix.lower()
    if suffix not in LOGO_TYPES:
        raise BadRequest(f"logo: {filename!r} is not a PNG, JPEG, SVG or WebP image", field="logo")
    if not data or len(data) > LOGO_MAX_BYTES:
        raise BadRequest("logo: the image must be between 1 byte and 2 MB", field="logo")
    folder = logo_dir(settings, slug)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("logo.*"):
        old.unlink()
    (folder / f"logo{suffix}").write_bytes(data)
    channel.logo = f"logo{suffix}"
    return channel


def push_info(settings: Settings, channel: Channel, host: str) -> PushInfo:
    """The push URLs of ``channel`` as an encoder on the operator's network reaches ``host``."""
    server = f"rtmp://{host}:{settings.rtmp_port}/live"
    srt = None
    if channel.source_url == SRT_PUSH and channel.srt_port:
        srt = f"srt://{host}:{channel.srt_port}?passphrase={channel.stream_key}&pbkeylen=16"
    return PushInfo(server, channel.stream_key, f"{server}/{channel.stream_key}", srt)


def _apply(session: Session, settings: Settings, channel: Channel, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE) - {"srt_port", "kind"}
    if unknown:
        raise BadRequest(f"unknown channel fields: {', '.join(sorted(unknown))}")
    if "name" in fields:
        name = str(fields["name"]).strip()
        if not name or len(name) > 200:
            raise BadRequest("name: give the channel a name of at most 200 characters", field="name")
        channel.name = name
    if "source_url" in fields:
        if channel.kind == "live" or fields["source_url"]:
            parse_source(fields["source_url"])
        channel.source_url = fields["source_url"].strip()
    if "backup_url" in fields:
        backup = fields["backup_url"].strip()
        if backup and parse_source(backup, field="backup").is_push:
            raise BadRequest("backup: a backup must be a pull or file source", field="backup")
        channel.backup_url = backup
    _apply_options(session, settings, channel, fields)


def _apply_options(session: Session, settings: Settings, channel: Channel, fields: dict[str, Any]) -> None:
    if "mode" in fields:
        if fields["mode"] not in MODES:
            raise BadRequest("mode: passthrough or ladder", field="mode")
        channel.mode = fields["mode"]
    if "group_title" in fields:
        channel.group_title = str(fields["group_title"]).strip()[:100]
    if "number" in fields:
        number = fields["number"]
        if number is not None and not 1 <= int(number) <= 99_999:
            raise BadRequest("number: a channel number is 1 to 99999", field="number")
        taken = session.scalar(select(Channel.slug).where(Channel.number == number, Channel.id != channel.id))
        if number is not None and taken is not None:
            raise Conflict(f"number: channel {taken!r} already has number {number}", field="number")
        channel.number = number
    if "dvr_hours" in fields:
        hours = float(fields["dvr_hours"])
        if not 0 <= hours <= 24 * 30:
            raise BadRequest("dvr_hours: between 0 and 720 hours", field="dvr_hours")
        channel.dvr_hours = hours
    if "enabled" in fields:
        channel.enabled = bool(fields["enabled"])
    if "watermark" in fields:  # forensic A/B marking (channels.marking); the channel's runs restart
        channel.watermark = bool(fields["watermark"])
    if channel.source_url == SRT_PUSH:
        channel.srt_port = fields.get("srt_port") or channel.srt_port or _free_srt_port(session, settings)
    else:
        channel.srt_port = None


def _free_srt_port(session: Session, settings: Settings) -> int:
    taken = set(session.scalars(select(Channel.srt_port).where(Channel.srt_port.is_not(None))))
    port = settings.srt_port_base
    while port in taken:
        port += 1
    return port

"""``airwave channel add|list|show|start|stop|edit|delete|key``: live channels from the shell.

``channel territories`` and ``channel blackout ...`` (a channel's rights) live in ``cli/channel_rights.py``.

The commands write the channels table; the supervisor of the running server brings the change on air
within a second or two.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import click

from airwave.channels import service
from airwave.channels.marking import channel_marking
from airwave.channels.remux import engine_for
from airwave.channels.sources import redact
from airwave.cli.channel_rights import blackout, territories
from airwave.cli.main import Context, cli, pass_context
from airwave.store.channels import Channel

SOURCE_HELP = (
    "push:rtmp, push:srt, http(s)://…m3u8, udp://…, rtsp://…, srt://host:port, file:///path (looped), or playout "
    "(a 24/7 channel from the catalogue: fill it with `airwave schedule add`)"
)


@cli.group()
def channel() -> None:
    """Manage live channels."""


channel.add_command(territories)
channel.add_command(blackout)


def _on_off(_context: click.Context, _parameter: click.Parameter, value: str | None) -> bool | None:
    return None if value is None else value == "on"


def _options(command: Any) -> Any:
    for option in reversed([
        click.option("--backup", "backup_url", help="Backup source (pull or file) used when the source stalls."),
        click.option("--mode", type=click.Choice(service.MODES), help="passthrough (remux) or ladder (ABR)."),
        click.option("--logo", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="Logo image."),
        click.option("--group", "group_title", help="Group shown in the guide and the M3U (e.g. News)."),
        click.option("--number", type=click.IntRange(1, 99_999), help="Channel number in the guide."),
        click.option("--dvr-hours", type=click.FloatRange(0, 720), help="How many hours the DVR keeps."),
        click.option("--watermark", type=click.Choice(["on", "off"]), callback=_on_off,
                     help="Forensic A/B watermarking of every viewer's copy (costs two extra encodes a segment)."),
    ]):  # fmt: skip
        command = option(command)
    return command


@channel.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="Channel name.")
@click.option("--source", "source_url", required=True, help=SOURCE_HELP)
@_options
@click.option("--stopped", is_flag=True, help="Add it without starting it.")
@pass_context
def add(context: Context, /, slug: str, source_url: str, logo: Path | None, stopped: bool, **fields: Any) -> None:
    """Add channel SLUG (lower-case letters, digits, dashes); it goes on air at once."""
    runtime = context.runtime()
    fields = {key: value for key, value in fields.items() if value is not None}
    with runtime.db.session() as session:
        found = service.create_channel(session, runtime.settings, runtime.clock, slug, source_url=source_url,
                                       enabled=not stopped, **fields)  # fmt: skip
        if logo is not None:
            service.save_logo(session, runtime.settings, slug, logo.name, logo.read_bytes())
        click.echo(f"added channel {found.slug} ({found.name})")
        _echo_push(context, found)


@channel.command("edit")
@click.argument("slug")
@click.option("--name", help="Channel name.")
@click.option("--source", "source_url", help=SOURCE_HELP)
@_options
@pass_context
def edit(context: Context, /, slug: str, logo: Path | None, **fields: Any) -> None:
    """Change channel SLUG (only the options given)."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        found = service.update_channel(session, runtime.settings, runtime.clock, slug, **fields)
        if logo is not None:
            service.save_logo(session, runtime.settings, slug, logo.name, logo.read_bytes())
        click.echo(f"saved channel {found.slug}")


@channel.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def list_command(context: Context, as_json: bool) -> None:
    """List channels with their state."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        rows = service.list_channels(session)
        if as_json:
            click.echo(json.dumps([_json(row) for row in rows], indent=1))
            return
        for row in rows:
            number = str(row.number or "-").rjust(5)
            click.echo(f"{number}  {row.slug:<20} {row.state:<8} {row.mode:<11} {row.name}  [{redact(row.source_url)}]")


@channel.command("show")
@click.argument("slug")
@pass_context
def show(context: Context, slug: str) -> None:
    """Show a channel, with the push URL and stream key for OBS or an encoder."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        row = service.get_channel(session, slug)
        for key, value in _json(row).items():
            click.echo(f"{key}: {value}")
        marking = channel_marking(runtime.settings, row.slug)  # WATERMARK (issue 6): what marking costs
        if row.watermark or marking:
            click.echo(f"watermark cost: {marking or 'nothing marked yet'}")
        _echo_push(context, row)


@channel.command("start")
@click.argument("slug")
@pass_context
def start(context: Context, slug: str) -> None:
    """Put channel SLUG on air."""
    _enable(context, slug, True)


@channel.command("stop")
@click.argument("slug")
@pass_context
def stop(context: Context, slug: str) -> None:
    """Take channel SLUG off air (its DVR recordings stay)."""
    _enable(context, slug, False)


@channel.command("key")
@click.argument("slug")
@pass_context
def key(context: Context, slug: str) -> None:
    """Give channel SLUG a new stream key (the old one stops working)."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        row = service.regenerate_key(session, runtime.clock, slug)
        context.audit(session, "channel.key", f"channel:{slug}", "new stream key")
        _echo_push(context, row)


@channel.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask.")
@pass_context
def delete(context: Context, slug: str, yes: bool) -> None:
    """Delete channel SLUG with its DVR recordings."""
    if not yes:
        click.confirm(f"Delete channel {slug} and its recordings?", abort=True)
    runtime = context.runtime()
    with runtime.db.session() as session:
        name = service.get_channel(session, slug).name
        service.delete_channel(session, runtime.settings, slug)
        context.audit(session, "channel.delete", f"channel:{slug}", name)
    click.echo(f"deleted channel {slug}")


def _enable(context: Context, slug: str, enabled: bool) -> None:
    runtime = context.runtime()
    with runtime.db.session() as session:
        service.set_enabled(session, runtime.clock, slug, enabled)
    click.echo(f"{'started' if enabled else 'stopped'} channel {slug}")


def _echo_push(context: Context, row: Channel) -> None:
    if not row.source_url.startswith("push:"):
        return
    settings = context.runtime().settings
    host = settings.public_url.split("//")[-1].split(":")[0].split("/")[0] if settings.public_url else None
    push = service.push_info(settings, row, host or socket.gethostname())
    if push.srt_url:
        click.echo(f"push (SRT): {push.srt_url}")
    else:
        click.echo(f"push server: {push.rtmp_server}\nstream key:  {push.stream_key}")


def _json(row: Channel) -> dict[str, Any]:
    return {
        "slug": row.slug, "name": row.name, "number": row.number, "group": row.group_title, "state": row.state,
        "enabled": row.enabled, "mode": row.mode, "source": redact(row.source_url), "backup": redact(row.backup_url),
        "dvr_hours": row.dvr_hours, "switches": row.switch_count, "last_error": row.last_error,
        "watermark": row.watermark,
        "engine": engine_for(row.mode, row.source_url) if row.kind == "live" else None,
    }  # fmt: skip

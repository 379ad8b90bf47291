"""``airwave epg import|export`` and ``airwave schedule ...``: the guide and playout grids from the shell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy.orm import Session

from airwave.channels.epg import export_xmltv, import_xmltv
from airwave.channels.guide import ensure_guides
from airwave.channels.plan import load_plan
from airwave.channels.programming import (
    add_block,
    blocks_of,
    delete_block,
    format_weekdays,
    parse_start,
    parse_weekdays,
    schedule_changed,
    set_fillers,
)
from airwave.channels.service import get_channel
from airwave.cli.main import Context, cli, pass_context
from airwave.store.channels import Channel


@cli.group()
def epg() -> None:
    """The programme guide: import and export XMLTV."""


@epg.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@pass_context
def import_guide(context: Context, file: Path) -> None:
    """Import an XMLTV FILE into the guides of live channels (channel id = slug, or display name)."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        report = import_xmltv(session, file.read_bytes(), file.name)
    click.echo(f"{report.added} programmes added, {report.updated} updated, {report.skipped} skipped")
    if report.unknown_channels:
        click.secho(f"skipped unknown channels: {', '.join(report.unknown_channels)}", fg="yellow", err=True)


@epg.command("export")
@click.option("--days", type=click.IntRange(1, 14), default=7, show_default=True, help="Days ahead to include.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="File (default stdout).")
@pass_context
def export_guide(context: Context, days: int, output: Path | None) -> None:
    """Write the guide (from a day back to DAYS ahead) as XMLTV."""
    runtime = context.runtime()
    now = runtime.clock.now()
    with runtime.db.session() as session:
        ensure_guides(session, runtime.settings, now, now + dt.timedelta(days=days))
        body = export_xmltv(session, now - dt.timedelta(days=1), now + dt.timedelta(days=days))
    if output is None:
        click.echo(body.decode(), nl=False)
    else:
        output.write_bytes(body)
        click.echo(f"wrote {output}")


@cli.group()
def schedule() -> None:
    """Playout channels' weekly grids: blocks of catalogue titles and fillers."""


@schedule.command("show")
@click.argument("slug")
@pass_context
def show(context: Context, slug: str) -> None:
    """List the blocks, fillers, ladder and warnings of playout channel SLUG."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        channel = get_channel(session, slug)
        for block in blocks_of(session, channel):
            start = f"{block.start_minute // 60:02}:{block.start_minute % 60:02}"
            click.echo(f"block {block.id}: {format_weekdays(block.weekdays)} {start} +{block.minutes} min "
                       f"title {block.title_id} ({block.order})")  # fmt: skip
        plan = load_plan(session, runtime.settings, channel)
        click.echo(f"renditions: {', '.join(r.name for r in plan.renditions) or '(none)'}")
        for warning in plan.warnings:
            click.secho(f"warning: {warning}", fg="yellow")


@schedule.command("add")
@click.argument("slug")
@click.option("--title", "title_id", type=int, required=True, help="Film, episode or series id.")
@click.option("--start", required=True, help="Time of day, HH:MM UTC.")
@click.option("--minutes", type=int, required=True, help="Length of the block.")
@click.option("--days", default="daily", show_default=True, help="daily, weekdays, weekend, or mon,tue,...")
@click.option("--shuffle", is_flag=True, help="Play a series' episodes in a shuffled order.")
@pass_context
def add(context: Context, slug: str, title_id: int, start: str, minutes: int, days: str, shuffle: bool) -> None:
    """Add a block to playout channel SLUG."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        channel = get_channel(session, slug)
        block = add_block(
            session, runtime.clock, channel, title_id=title_id, start_minute=parse_start(start), minutes=minutes,
            weekdays=parse_weekdays(days), order="shuffle" if shuffle else "sequential",
        )  # fmt: skip
        _changed(context, session, channel)
        click.echo(f"added block {block.id}")


@schedule.command("remove")
@click.argument("slug")
@click.argument("block_id", type=int)
@pass_context
def remove(context: Context, slug: str, block_id: int) -> None:
    """Remove block BLOCK_ID from playout channel SLUG."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        channel = get_channel(session, slug)
        delete_block(session, channel, block_id)
        _changed(context, session, channel)
        click.echo(f"removed block {block_id}")


@schedule.command("fillers")
@click.argument("slug")
@click.argument("title_ids", type=int, nargs=-1)
@pass_context
def fillers(context: Context, slug: str, title_ids: tuple[int, ...]) -> None:
    """Set the filler titles of playout channel SLUG (none: the slate fills the gaps)."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        channel = get_channel(session, slug)
        set_fillers(session, channel, list(title_ids))
        _changed(context, session, channel)
        click.echo(f"{len(title_ids)} fillers")


def _changed(context: Context, session: Session, channel: Channel) -> None:
    runtime = context.runtime()
    for warning in schedule_changed(runtime, session, channel, runtime.clock.now()):
        click.secho(f"warning: {warning}", fg="yellow")

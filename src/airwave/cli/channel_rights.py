"""``airwave channel territories`` and ``airwave channel blackout add|list|remove|programmes``: channel rights.

The same changes as the channel's rights page and ``/api/v1/channels/{slug}/...``. A running server reads
them at its viewers' next playlist refresh (its cached rules last a few seconds). A refusal (unknown
channel, a country code that is not one, a programme from another channel's guide) is one line on stderr
and exit status 1; options that do not fit together are a usage error (status 2).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.accounts import rights
from airwave.channels import service
from airwave.channels.guide import ensure_guides
from airwave.cli.main import Context, pass_context
from airwave.errors import ClientError
from airwave.store.accounts import Blackout
from airwave.store.channels import Channel
from airwave.store.epg import Programme

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
CODES_HELP = 'ISO country codes, e.g. "GB,IE" (commas or spaces).'


class Moment(click.ParamType[dt.datetime]):
    """An ISO 8601 time; UTC unless it carries an offset."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a time: write it like 2027-05-01T19:45Z (UTC unless it has an offset)",
                      param, ctx)  # fmt: skip
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@contextlib.contextmanager
def explained() -> Iterator[None]:
    """Turn a refusal into its message on stderr and exit status 1 (no traceback)."""
    try:
        yield
    except ClientError as exc:
        raise click.ClickException(exc.message) from None


@click.command("territories")
@click.argument("slug")
@click.option("--set", "codes", metavar="CODES", help=f"Limit the channel to these countries: {CODES_HELP}")
@click.option("--clear", is_flag=True, help="Let the channel be watched everywhere.")
@pass_context
def territories(context: Context, slug: str, codes: str | None, clear: bool) -> None:
    """Show where channel SLUG may be watched, limit it (--set) or lift the limit (--clear)."""
    if codes is not None and clear:
        raise click.UsageError("give --set CODES or --clear, not both")
    if codes is not None and not codes.replace(",", " ").strip():
        raise click.UsageError('--set needs at least one country code, e.g. --set "GB,IE"; --clear lifts the limit')
    runtime = context.runtime()
    with explained(), runtime.db.session() as session:
        row = service.get_channel(session, slug)
        if codes is not None or clear:
            stored = rights.set_channel_territories(row, codes or "")
            context.audit(session, "channel.territories", f"channel:{row.slug}", stored or "everywhere")
        where = f"only in {row.territories}" if row.territories else "everywhere"
        click.echo(f"{row.slug} may be watched {where}")


@click.group("blackout")
def blackout() -> None:
    """Black out programmes of a channel in some countries: viewers there get a slate instead."""


@blackout.command("add")
@click.argument("slug")
@click.option("--programme", "programme_id", type=int, help="Guide id of the programme (`blackout programmes`).")
@click.option("--start", type=Moment(), help="Without --programme: start, e.g. 2027-05-01T19:45Z.")
@click.option("--stop", type=Moment(), help="Without --programme: end, e.g. 2027-05-01T22:00Z.")
@click.option("--territories", "codes", required=True, help=f"Where viewers get the slate: {CODES_HELP}")
@click.option("--note", default="", help="What it is for (default: the programme's title).")
@pass_context
def add(context: Context, slug: str, programme_id: int | None, start: dt.datetime | None, stop: dt.datetime | None,
        codes: str, note: str) -> None:  # fmt: skip
    """Black out a programme of channel SLUG (--programme ID), or a stretch of it (--start T --stop T)."""
    if (programme_id is None) == (start is None or stop is None):
        raise click.UsageError("give --programme ID, or both --start and --stop (not both ways)")
    runtime = context.runtime()
    with explained(), runtime.db.session() as session:
        row = service.get_channel(session, slug)
        if programme_id is not None:
            rule = rights.blackout_programme_id(session, row, programme_id, codes, note)
        else:
            assert start is not None  # checked above, with stop
            assert stop is not None
            rule = rights.add_blackout(session, row, start=start, stop=stop, territories=codes, note=note)
        described = rights.describe_blackout(rule)
        context.audit(session, "channel.blackout", f"channel:{row.slug}", described)
        click.echo(f"blackout {rule.id} of {row.slug}: {described}")


@blackout.command("list")
@click.argument("slug")
@click.option("--all", "everything", is_flag=True, help="Include blackouts that are over.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def list_command(context: Context, slug: str, everything: bool, as_json: bool) -> None:
    """List the blackouts of channel SLUG that are not over yet (or all of them), earliest first."""
    runtime = context.runtime()
    with explained(), runtime.db.session() as session:
        row = service.get_channel(session, slug)
        rules = rights.blackouts(session, row.id, _EPOCH if everything else runtime.clock.now(), _FAR)
        if as_json:
            click.echo(json.dumps([_json(rule) for rule in rules], indent=1))
        elif not rules:
            click.echo(f"{row.slug} has no blackouts{'' if everything else ' to come'}")
        for rule in [] if as_json else rules:
            click.echo(f"{rule.id:>6}  {rights.describe_blackout(rule)}")


@blackout.command("remove")
@click.argument("slug")
@click.argument("blackout_id", type=int)
@pass_context
def remove(context: Context, slug: str, blackout_id: int) -> None:
    """Lift blackout BLACKOUT_ID of channel SLUG."""
    runtime = context.runtime()
    with explained(), runtime.db.session() as session:
        rule = rights.remove_blackout(session, service.get_channel(session, slug), blackout_id)
        described = rights.describe_blackout(rule)
        context.audit(session, "channel.blackout_lifted", f"channel:{slug}", described)
        click.echo(f"lifted blackout {blackout_id} of {slug}: {described}")


@blackout.command("programmes")
@click.argument("slug")
@click.option("--days", type=click.IntRange(1, 14), default=2, show_default=True, help="How far ahead.")
@pass_context
def programmes(context: Context, slug: str, days: int) -> None:
    """List the coming programmes of channel SLUG with the ids `blackout add --programme` takes."""
    runtime = context.runtime()
    now = runtime.clock.now()
    with explained(), runtime.db.session() as session:
        row = service.get_channel(session, slug)
        ensure_guides(session, runtime.settings, now, now + dt.timedelta(days=days))
        for programme in _coming(session, row, now, now + dt.timedelta(days=days)):
            click.echo(f"{programme.id:>8}  {programme.start:%Y-%m-%d %H:%M}-{programme.stop:%H:%M} UTC  "
                       f"{programme.title}")  # fmt: skip


def _coming(session: Session, channel: Channel, now: dt.datetime, until: dt.datetime) -> list[Programme]:
    statement = select(Programme).where(
        Programme.channel_id == channel.id, Programme.stop > now, Programme.start < until
    )
    return list(session.scalars(statement.order_by(Programme.start).limit(500)))


def _json(rule: Blackout) -> dict[str, Any]:
    return {
        "id": rule.id, "programme_id": rule.programme_id, "start": rule.start.isoformat(),
        "stop": rule.stop.isoformat(), "territories": rule.territories.split(), "note": rule.note,
    }  # fmt: skip

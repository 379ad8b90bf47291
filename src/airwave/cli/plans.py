"""``airwave plan add|edit|list|delete``, ``airwave package add|list`` and ``airwave voucher add|list``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import click

from airwave.billing.money import format_amount, parse_amount
from airwave.billing.packages import PackageSpec, create_package, describe_package, list_packages
from airwave.billing.plans import (
    CLIENT_BINDINGS,
    PlanSpec,
    create_plan,
    delete_plan,
    describe_plan,
    get_plan,
    list_plans,
    spec_of,
    subscriber_counts,
    update_plan,
)
from airwave.billing.vouchers import create_voucher, describe_voucher, list_vouchers
from airwave.cli.main import Context, cli, pass_context

INTERVAL = click.Choice(["month", "year"])
BINDING = click.Choice(CLIENT_BINDINGS)
BINDING_HELP = ("Tie each session's URLs to the client that started it: none (replays from elsewhere are only "
                "logged), ip (its address), asn (its network, from `geoip_asn_mmdb`).")  # fmt: skip


@cli.group()
def plan() -> None:
    """Manage the plans subscribers buy."""


@plan.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="Name shown to subscribers.")
@click.option("--price", required=True, help='Price per interval, e.g. "9.99" (exact, no rounding).')
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 currency code.")
@click.option("--streams", type=int, default=2, show_default=True, help="Concurrent streams.")
@click.option("--devices", type=int, default=5, show_default=True, help="Registered devices.")
@click.option("--interval", type=INTERVAL, default="month", show_default=True)
@click.option("--trial-days", type=int, default=0, show_default=True, help="Free trial for new subscribers.")
@click.option("--package", "packages", multiple=True, help="Included package slug (repeat); none = everything.")
@click.option("--private", is_flag=True, help="Do not offer it on the sign-up page.")
@click.option("--client-binding", type=BINDING, default="none", show_default=True, help=BINDING_HELP)
@pass_context
def add_plan(context: Context, slug: str, name: str, price: str, currency: str, streams: int, devices: int,
             interval: str, trial_days: int, packages: tuple[str, ...], private: bool,
             client_binding: str) -> None:  # fmt: skip
    """Create the plan SLUG."""
    runtime = context.runtime()
    spec = PlanSpec(
        name=name, price=parse_amount(price, currency), currency=currency, interval=interval, trial_days=trial_days,
        max_streams=streams, max_devices=devices, packages=packages, public=not private,
        client_binding=client_binding,
    )  # fmt: skip
    with runtime.db.session() as session:
        created = create_plan(session, runtime.clock, slug, spec)
        context.audit(session, "plan.create", f"plan:{created.slug}", describe_plan(created))
        scope = ", ".join(p.slug for p in created.packages) or "everything"
        price_text = format_amount(created.price, created.currency)
        click.echo(f"created plan {created.slug}: {created.name}, {price_text} a {created.interval}, {scope}")


@plan.command("edit")
@click.argument("slug")
@click.option("--name", help="Name shown to subscribers.")
@click.option("--price", help='Price per interval, e.g. "9.99"; subscribers pay it from their next renewal.')
@click.option("--streams", type=int, help="Concurrent streams.")
@click.option("--devices", type=int, help="Registered devices.")
@click.option("--trial-days", type=int, help="Free trial for new subscribers.")
@click.option("--public/--private", default=None, help="Offer it on the sign-up page, or not.")
@click.option("--client-binding", type=BINDING, help=BINDING_HELP + " Applies to sessions started from now on.")
@pass_context
def edit_plan(context: Context, slug: str, name: str | None, price: str | None, streams: int | None,
              devices: int | None, trial_days: int | None, public: bool | None,
              client_binding: str | None) -> None:  # fmt: skip
    """Change the plan SLUG: only the options given."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        found = get_plan(session, slug)
        spec = spec_of(found)
        changes: dict[str, Any] = {
            "name": name,
            "max_streams": streams,
            "max_devices": devices,
            "trial_days": trial_days,
            "public": public,
            "client_binding": client_binding,
        }
        if price is not None:
            changes["price"] = parse_amount(price, spec.currency)
        given = {key: value for key, value in changes.items() if value is not None}
        if not given:
            raise click.UsageError("nothing to change: give at least one option (see `airwave plan edit --help`)")
        updated = update_plan(session, found, dataclasses.replace(spec, **given))
        context.audit(session, "plan.edit", f"plan:{updated.slug}", describe_plan(updated))
        click.echo(f"updated plan {updated.slug}: {', '.join(sorted(given))}")


@plan.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def list_plan_command(context: Context, as_json: bool) -> None:
    """List plans with their price, limits, packages and live subscriptions."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        plans = list_plans(session)
        counts = subscriber_counts(session, [p.id for p in plans])
        rows = [
            {"slug": p.slug, "name": p.name, "price": p.price, "currency": p.currency, "interval": p.interval,
             "price_text": format_amount(p.price, p.currency), "trial_days": p.trial_days,
             "streams": p.max_streams, "devices": p.max_devices, "packages": [k.slug for k in p.packages],
             "public": p.public, "client_binding": p.client_binding, "subscribers": counts.get(p.id, 0)}
            for p in plans
        ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no plans: every account may watch everything. Add one with `airwave plan add`")
    for row in rows:
        scope = ",".join(str(slug) for slug in row["packages"]) or "everything"  # type: ignore[attr-defined]
        click.echo(f"{row['slug']:<16} {row['price_text']:>10}/{row['interval']:<5} {row['streams']} streams  "
                   f"{scope:<24} {row['subscribers']} subscribers  {row['name']}")  # fmt: skip


@plan.command("delete")
@click.argument("slug")
@pass_context
def delete_plan_command(context: Context, slug: str) -> None:
    """Delete the plan SLUG (only if nobody ever subscribed to it)."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        found = get_plan(session, slug)
        detail = describe_plan(found)
        delete_plan(session, found)
        context.audit(session, "plan.delete", f"plan:{slug}", detail)
    click.echo(f"deleted plan {slug}")


@cli.group()
def package() -> None:
    """Manage channel packages, VOD collections and add-ons."""


@package.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--channel", "channels", multiple=True, help="Channel slug (repeat).")
@click.option("--title", "title_ids", type=int, multiple=True, help="Film or series id (repeat).")
@click.option("--genre", "genres", multiple=True, help="Genre name (repeat).")
@click.option("--addon", is_flag=True, help="Sold on top of plans.")
@click.option("--price", default="0", help="Add-on price per interval, e.g. 4.99.")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--interval", type=INTERVAL, default="month", show_default=True)
@pass_context
def add_package(context: Context, slug: str, name: str, channels: tuple[str, ...], title_ids: tuple[int, ...],
                genres: tuple[str, ...], addon: bool, price: str, currency: str, interval: str) -> None:  # fmt: skip
    """Create the package SLUG."""
    runtime = context.runtime()
    spec = PackageSpec(
        name=name, channels=channels, title_ids=title_ids, genres=genres, addon=addon,
        price=parse_amount(price, currency), currency=currency, interval=interval,
    )  # fmt: skip
    with runtime.db.session() as session:
        created = create_package(session, runtime.clock, slug, spec)
        kind = f"add-on at {format_amount(created.price, created.currency)}" if created.addon else "package"
        context.audit(session, "package.create", f"package:{created.slug}", describe_package(created))
        click.echo(f"created {kind} {created.slug}: {len(created.channels)} channels, "
                   f"{len(created.title_ids)} titles, {len(created.genres)} genres")  # fmt: skip


@package.command("list")
@pass_context
def list_package_command(context: Context) -> None:
    """List packages and add-ons."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        packages = list_packages(session)
        if not packages:
            click.echo("no packages: add one with `airwave package add SLUG --name NAME --channel ...`")
        for p in packages:
            kind = f"add-on {format_amount(p.price, p.currency)}" if p.addon else "package"
            content = ", ".join([*p.channels, *(f"title {i}" for i in p.title_ids), *p.genres]) or "(empty)"
            click.echo(f"{p.slug:<16} {kind:<16} {p.name}: {content}")


@cli.group()
def voucher() -> None:
    """Manage voucher codes (free days, or percent off)."""


@voucher.command("add")
@click.option("--days", type=int, help="Free days (with --plan for accounts without one).")
@click.option("--percent", type=int, help="Percent off the next invoice.")
@click.option("--plan", "plan_slug", help="Plan a free-days voucher gives.")
@click.option("--code", help="Default: a random readable code.")
@click.option("--uses", type=int, help="How many accounts may redeem it (default: unlimited).")
@click.option("--valid-days", type=int, help="Expires this many days from now.")
@click.option("--note", default="", help="Who it is for (e.g. Hotel Bellevue).")
@pass_context
def add_voucher(context: Context, days: int | None, percent: int | None, plan_slug: str | None, code: str | None,
                uses: int | None, valid_days: int | None, note: str) -> None:  # fmt: skip
    """Create a voucher code."""
    if (days is None) == (percent is None):
        raise click.UsageError("give exactly one of --days or --percent")
    runtime = context.runtime()
    expires = runtime.clock.now() + dt.timedelta(days=valid_days) if valid_days else None
    with runtime.db.session() as session:
        chosen = get_plan(session, plan_slug) if plan_slug else None
        created = create_voucher(
            session, runtime.clock, kind="days" if days else "percent", value=days or percent or 0, code=code,
            plan=chosen, max_uses=uses, expires_at=expires, note=note,
        )  # fmt: skip
        context.audit(session, "voucher.create", f"voucher:{created.code}", describe_voucher(created))
        click.echo(created.code)


@voucher.command("list")
@pass_context
def list_voucher_command(context: Context) -> None:
    """List voucher codes and their uses."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        for v in list_vouchers(session):
            what = f"{v.value} days" if v.kind == "days" else f"{v.value}% off"
            limit = f"{v.uses}/{v.max_uses}" if v.max_uses else f"{v.uses}"
            expiry = f" expires {v.expires_at:%Y-%m-%d}" if v.expires_at else ""
            click.echo(f"{v.code:<16} {what:<10} used {limit}{expiry} {v.note}")

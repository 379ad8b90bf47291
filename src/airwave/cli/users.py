"""``airwave user add|list|password``: manage accounts from the shell."""

from __future__ import annotations

import click

from airwave.accounts.audit import user_target
from airwave.accounts.logins import revoke_all
from airwave.accounts.users import ROLES, create_user, find_user, list_users, set_password
from airwave.billing.plans import get_plan
from airwave.billing.subscriptions import subscribe
from airwave.cli.main import Context, cli, pass_context
from airwave.errors import NotFound


@cli.group()
def user() -> None:
    """Manage admin and subscriber accounts."""


@user.command("add")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="The new password.")
@click.option("--admin", is_flag=True, help="Make an admin (default: a subscriber).")
@click.option("--role", type=click.Choice(ROLES), help="The role: admin, support (views subscribers) or subscriber.")
@click.option("--name", "display_name", default="", help="Display name (default: the part before the @).")
@click.option("--plan", "plan_slug", help="Subscribe the account to this plan (its trial, else an open invoice).")
@pass_context
def add_user(
    context: Context, email: str, password: str, admin: bool, role: str | None, display_name: str, plan_slug: str | None
) -> None:
    """Create an account for EMAIL."""
    runtime = context.runtime()
    role = role or ("admin" if admin else "subscriber")
    with runtime.db.session() as session:
        chosen = get_plan(session, plan_slug) if plan_slug else None
        account = create_user(
            session, runtime.clock, email=email, password=password, role=role, display_name=display_name
        )
        detail = f"{account.role} {account.email}"
        click.echo(f"created {detail} (id {account.id})")
        if chosen is not None:
            sub = subscribe(session, runtime.clock.now(), account, chosen)
            detail += f", subscribed to {chosen.slug} ({sub.state})"
            click.echo(f"subscribed to {chosen.name}: {sub.state} until {sub.period_end:%Y-%m-%d}")
        context.audit(session, "user.create", user_target(account.id), detail)


@user.command("list")
@pass_context
def list_accounts(context: Context) -> None:
    """List every account."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        accounts = list_users(session)
        if not accounts:
            click.echo("no accounts yet: add one with `airwave user add EMAIL --password P [--admin]`")
        for account in accounts:
            state = " (disabled)" if account.disabled else ""
            click.echo(f"{account.id:>5}  {account.role:<10}  {account.email}  {account.display_name}{state}")


@user.command("password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="The new password.")
@pass_context
def change_password(context: Context, email: str, password: str) -> None:
    """Set a new password for EMAIL and sign out all its sessions."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        account = find_user(session, email)
        if account is None:
            raise NotFound(f"no account for {email}: list them with `airwave user list`")
        set_password(session, account, password)
        ended = revoke_all(session, account.id)
        context.audit(session, "user.password", user_target(account.id), f"{account.email}: {ended} login(s) ended")
        click.echo(f"password changed for {account.email}; {ended} login(s) signed out")

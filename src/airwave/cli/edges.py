"""``airwave edge-config`` (an nginx caching edge's configuration) and ``airwave edge add|list|remove``."""

from __future__ import annotations

import socket
from pathlib import Path

import click

from airwave.cli.main import Context, cli, pass_context
from airwave.delivery.edge_config import EdgeOptions, install_module, render
from airwave.delivery.edges import DEFAULT_REGION, add_edge, list_edges, remove_edge
from airwave.delivery.signing import key_periods, keyring_for


@cli.command("edge-config")
@click.option("--origin", required=True, help="The origin's URL, e.g. http://origin.internal:8080.")
@click.option("--listen", default="8081", show_default=True, help="PORT or ADDRESS:PORT the edge listens on.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=Path("/var/cache/airwave-edge"),
    show_default=True,
    help="Cache, logs and the Lua token module (written there now).",
)
@click.option("--region", default=DEFAULT_REGION, show_default=True, help="The edge's region.")
@click.option("--name", default=None, help="The edge's name in the registry (default: this host's name).")
@click.option("--max-cache-size", default="10g", show_default=True, help="Largest size of the segment cache.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True,
              help="A load balancer (address or network) in front of the edge whose X-Forwarded-For is believed; "
              "repeat for several.")  # fmt: skip
@pass_context
def edge_config(
    context: Context,
    origin: str,
    listen: str,
    cache_dir: Path,
    region: str,
    name: str | None,
    max_cache_size: str,
    trusted_proxies: tuple[str, ...],
) -> None:
    """Print the nginx configuration of a caching edge for ORIGIN, and install its token module.

    The configuration holds the token root (it lets the edge check playback URLs), so keep it private.
    """
    runtime = context.runtime()
    keyring = keyring_for(runtime)
    options = EdgeOptions(
        origin=origin,
        token_root=keyring.root,
        key_rotation_seconds=keyring.rotation_seconds,
        key_periods=key_periods(runtime),
        listen=listen,
        cache_dir=cache_dir.resolve(),
        region=region,
        name=name or socket.gethostname().split(".")[0].lower(),
        max_cache_size=max_cache_size,
        trusted_proxies=trusted_proxies,
    )
    text = render(options)
    module = install_module(options.cache_dir)
    click.echo(text, nl=False)
    click.echo(f"wrote {module}; start the edge with: nginx -c <config file>", err=True)


@cli.group()
def edge() -> None:
    """Manage the registry of caching edges new sessions are sent to."""


@edge.command("add")
@click.argument("name")
@click.option("--url", required=True, help="Base URL players reach the edge at, e.g. https://edge1.example.net.")
@click.option("--region", default=DEFAULT_REGION, show_default=True, help="The region it serves.")
@pass_context
def add(context: Context, name: str, url: str, region: str) -> None:
    """Register edge NAME; it takes sessions once its health check passes."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        added = add_edge(session, runtime.clock, name, url, region)
        click.echo(f"added edge {added.name} ({added.url}, region {added.region})")


@edge.command("list")
@pass_context
def list_command(context: Context) -> None:
    """List the edges with their health and load."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        edges = list_edges(session)
        if not edges:
            click.echo("no edges: the origin serves every session; add one with `airwave edge add NAME --url URL`")
        for item in edges:
            state = "up" if item.healthy else f"DOWN {item.error}".rstrip()
            click.echo(f"{item.name:<16} {item.region:<10} {item.url:<40} {state:<6} {item.connections} conn")


@edge.command("remove")
@click.argument("name")
@pass_context
def remove(context: Context, name: str) -> None:
    """Take edge NAME out of the registry."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        remove_edge(session, name)
    click.echo(f"removed edge {name}")

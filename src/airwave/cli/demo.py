"""``airwave demo``: seed a demo service once, print its logins, and serve it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from airwave.catalog.demo import ADMIN, SUBSCRIBER, Progress, seed_demo
from airwave.catalog.demo_channels import LIVE, MOVIES
from airwave.cli.ingest import ProgressDisplay
from airwave.cli.main import Context, cli, pass_context, run_server


@cli.command()
@click.option("--port", type=int, help="Listen port (default 8080).")
@click.option("--host", help="Listen address (default 127.0.0.1).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help="Data directory (default ./var).")
@click.option("--no-serve", is_flag=True, help="Only create the demo content, do not start the server.")
@pass_context
def demo(context: Context, port: int | None, host: str | None, data_dir: Path | None, no_serve: bool) -> None:
    """Create demo titles and users (once), print the logins and serve on http://127.0.0.1:8080."""
    if data_dir is not None:
        context.overrides["data"] = data_dir
    runtime = context.runtime(port=port, host=host)
    click.echo("Preparing the demo service (first run only: encodes a few synthetic titles) ...")
    created = seed_demo(runtime, _progress)
    click.echo(f"Demo ready ({len(created)} new items)." if created else "Demo already prepared.")
    click.echo("")
    click.echo(f"  Subscriber login: {SUBSCRIBER[0]}  password: {SUBSCRIBER[1]}")
    click.echo(f"  Admin login:      {ADMIN[0]}  password: {ADMIN[1]}")
    click.echo("")
    base = runtime.settings.public_url or f"http://{runtime.settings.host}:{runtime.settings.port}"
    click.echo(
        f"  Live TV:    {base}/channels  ({MOVIES[1]}, scheduled from the demo titles; {LIVE[1]}, a looped feed)"
    )
    click.echo(f"  Guide:      {base}/guide  (the next 24 hours; start-over and catch-up on recorded programmes)")
    click.echo(f"  IPTV links: {base}/account  (M3U playlist and XMLTV guide for VLC, Kodi or TiviMate)")
    click.echo(f"  Admin:      {base}/admin/channels  (channel states, schedules, push keys)")
    click.echo("")
    if not no_serve:
        run_server(runtime.settings)


@contextmanager
def _progress(name: str) -> Iterator[Progress]:
    with ProgressDisplay(f"demo: {name}") as display:
        yield display.update

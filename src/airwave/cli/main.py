"""``airwave``: the command group and the commands that only start things (serve, settings)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from airwave.accounts import audit
from airwave.config import ENV_PREFIX, Settings, load_settings, settings_markdown
from airwave.errors import AirwaveError
from airwave.runtime import Runtime, open_runtime


class Context:
    """What every command receives: the global options, and the runtime opened on demand."""

    def __init__(self, data: Path | None, config: Path | None) -> None:
        self.overrides: dict[str, Any] = {"data": data, "config_file": config}
        self._runtime: Runtime | None = None

    def settings(self, **more: Any) -> Settings:
        return load_settings(**self.overrides, **more)

    def runtime(self, **more: Any) -> Runtime:
        if self._runtime is None:
            self._runtime = open_runtime(self.settings(**more))
        return self._runtime

    def audit(self, session: Session, action: str, target: str = "", detail: str = "") -> None:
        """Record a change made by this command in the audit log, in ``session`` (the change's own unit of work),
        under the operator's login and host (``cli:<login>@<host>``)."""
        audit.record(session, self.runtime().clock, audit.Actor.command_line(), action, target, detail)

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.option("--data", type=click.Path(path_type=Path), help="Data directory (default ./var).")
@click.option("--config", type=click.Path(path_type=Path, exists=True), help="TOML settings file.")
@click.version_option(package_name="airwave")
@click.pass_context
def cli(ctx: click.Context, data: Path | None, config: Path | None) -> None:
    """Airwave: run a pay-TV and on-demand streaming service."""
    context = Context(data, config)
    ctx.obj = context
    ctx.call_on_close(context.close)


@cli.command()
@click.option("--host", help="Listen address (default 127.0.0.1).")
@click.option("--port", type=int, help="Listen port (default 8080).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help="Data directory.")
@pass_context
def serve(context: Context, host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Serve the portal, admin pages, API and media."""
    if data_dir is not None:
        context.overrides["data"] = data_dir
    settings = context.settings(host=host, port=port)
    context.runtime().close()  # create folders and migrate once, before workers start
    run_server(settings)


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print the settings reference (docs/settings.md).")
@pass_context
def show_settings(context: Context, markdown: bool) -> None:
    """Show the settings in force, or the reference of all settings."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    for name, value in context.settings().model_dump().items():
        if name == "secret_key" and value:
            value = "(set)"
        click.echo(f"{name} = {value}")


def run_server(settings: Settings) -> None:
    """Run the HTTP server in the foreground until interrupted."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops, RuntimeModes

    # Worker processes build their own settings from the environment: hand them ours.
    for name, value in settings.model_dump(exclude_none=True).items():
        if isinstance(value, tuple):
            value = ",".join(str(item) for item in value)
        os.environ[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    click.echo(f"Airwave serving on http://{settings.host}:{settings.port}  (Ctrl-C to stop)")
    Granian(
        "airwave.web.asgi:app_from_env",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        # Plain-HTTP origins speak HTTP/1.1 (browsers use HTTP/2 only over TLS, which edges terminate); one
        # single-threaded I/O runtime per worker process, as each worker runs on its own core. uvloop spends less
        # per request than asyncio's own loop: playlists 0.43-0.48 of nginx's rate with asyncio, 0.52-0.58 with it.
        http=HTTPModes.http1,
        runtime_mode=RuntimeModes.st,
        loop=Loops.uvloop,
        log_level=settings.log_level,  # type: ignore[arg-type]
    ).serve()


def main() -> None:
    """Console entry point: run the CLI and turn Airwave errors into a message and exit status 1."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        register_commands()
        cli(standalone_mode=True)
    except AirwaveError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)


def register_commands() -> None:
    """Attach the commands that live in their own modules."""
    # Each area's commands are imported here so that `airwave --help` lists them all.
    import airwave.cli.channels
    import airwave.cli.demo
    import airwave.cli.edges
    import airwave.cli.epg
    import airwave.cli.ingest
    import airwave.cli.plans
    import airwave.cli.titles
    import airwave.cli.trace
    import airwave.cli.users  # noqa: F401

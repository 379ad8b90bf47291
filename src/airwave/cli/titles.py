"""``airwave titles list|show|delete``: the catalogue from the shell."""

from __future__ import annotations

import json

import click

from airwave.catalog.titles import delete_title, describe_deletion, episodes, get_title, list_titles, media_folder
from airwave.cli.main import Context, cli, pass_context
from airwave.store.tables import Title
from airwave.watermark.costs import title_marking


@cli.group()
def titles() -> None:
    """List, inspect and delete catalogue titles."""


@titles.command("list")
@click.option("--search", "-q", "query", help="Text in the name, description or a genre.")
@click.option("--kind", type=click.Choice(["film", "series", "episode"]), help="Default: films and series.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def list_command(context: Context, query: str | None, kind: str | None, as_json: bool) -> None:
    """List titles, newest first."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        found = list_titles(session, query=query, kind=kind, limit=500)
        rows = [_summary(title) for title in found]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        media = "playable" if row["playable"] else "no media"
        click.echo(f"{row['id']:>5}  {row['kind']:<8}  {row['name']}  ({row['year'] or '-'}, {media})")


@titles.command("show")
@click.argument("title_id", type=int)
@pass_context
def show_command(context: Context, title_id: int) -> None:
    """Show one title (and a series' episodes) as JSON."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        title = get_title(session, title_id)
        row = _summary(title)
        row["episodes"] = [_summary(item) for item in episodes(session, title.id)]
        if title.watermark:  # WATERMARK (issue 6): what marking cost this title
            row["watermark"] = title_marking(media_folder(runtime.settings, title)) or "marked (cost not recorded)"
    click.echo(json.dumps(row, indent=2))


@titles.command("delete")
@click.argument("title_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_context
def delete_command(context: Context, title_id: int, yes: bool) -> None:
    """Delete a title and its media files (a series with all its episodes)."""
    runtime = context.runtime()
    with runtime.db.session() as session:
        what = describe_deletion(session, title_id)
        if not yes:
            click.confirm(f"Delete {what} with its media files?", abort=True)
        delete_title(session, runtime.settings, title_id)
        context.audit(session, "title.delete", f"title:{title_id}", what)
    click.echo(f"deleted {what}")


def _summary(title: Title) -> dict[str, object]:
    return {
        "id": title.id,
        "kind": title.kind,
        "name": title.name,
        "year": title.year,
        "genres": [genre.name for genre in title.genres],
        "season": title.season,
        "episode": title.episode,
        "duration": title.duration,
        "playable": bool(title.media_path and title.renditions),
    }

"""``airwave ingest FILE --title T``: turn a video file into a published title, with a progress bar."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from airwave.catalog.ingest import run_job
from airwave.catalog.jobs import recover_interrupted, submit, this_process
from airwave.cli.main import Context, cli, pass_context
from airwave.errors import AirwaveError, IngestCancelled
from airwave.store.tables import Title

INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--title", "name", required=True, help="Name of the new title.")
@click.option("--description", default="", help="Synopsis shown on the title page.")
@click.option("--year", type=int, help="Release year.")
@click.option("--genre", "genres", multiple=True, help="A genre (repeat for several).")
@click.option("--series", help="Make this an episode of the series with this name (created if new).")
@click.option("--season", type=int, help="Season number (with --series).")
@click.option("--episode", type=int, help="Episode number (with --series).")
@click.option("--subtitles", multiple=True, metavar="FILE[:LANG]", help="A subtitle file (SRT, WebVTT, ASS).")
@click.option("--watermark", is_flag=True, help="Mark the title for per-session forensic watermarking.")
@click.option("--json", "as_json", is_flag=True, help="Print the new title as JSON.")
@pass_context
def ingest(
    context: Context,
    file: Path,
    name: str,
    description: str,
    year: int | None,
    genres: tuple[str, ...],
    series: str | None,
    season: int | None,
    episode: int | None,
    subtitles: tuple[str, ...],
    watermark: bool,
    as_json: bool,
) -> None:
    """Probe FILE, encode its ABR ladder and publish it as a new title.

    Nothing is published unless the whole job succeeds; after a failure or Ctrl-C, run the same command again.
    """
    options: dict[str, Any] = {"description": description, "year": year, "genres": list(genres)}
    options |= {"series": series, "season": season, "episode": episode, "watermark": watermark}
    options["subtitles"] = [_subtitle_option(text) for text in subtitles]
    try:
        title = _ingest(context, file, name, options)
    except (KeyboardInterrupt, IngestCancelled):
        click.secho("interrupted, nothing was published; run the same command again", fg="yellow", err=True)
        raise SystemExit(INTERRUPTED) from None
    except AirwaveError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(_as_json(title)))
    else:
        click.echo(f"published {title.name!r} as title {title.id}: {_summary(title)}")


def _ingest(context: Context, file: Path, name: str, options: dict[str, Any]) -> Title:
    runtime = context.runtime()
    recover_interrupted(runtime)
    with runtime.db.session() as session:
        job = submit(session, runtime.clock, source=file, name=name, options=options, owner=this_process())
    with ProgressDisplay(file.name) as display:
        return run_job(runtime, job.id, on_progress=display.update)


def _subtitle_option(text: str) -> list[str | None]:
    path, _, lang = text.rpartition(":")
    if path and lang.isalpha() and 2 <= len(lang) <= 3:
        return [path, lang]
    return [text, None]


class ProgressDisplay:
    """A progress bar with ETA on a terminal; otherwise a line per stage and per 10% (logs, CI)."""

    STEPS = 1000

    def __init__(self, label: str) -> None:
        self.label = label
        self.stream = sys.stderr
        self.bar: Any = None
        self.shown = 0
        self.stage = ""
        self.tenth = -1

    def __enter__(self) -> ProgressDisplay:
        if self.stream.isatty():
            bar = click.progressbar(
                length=self.STEPS, label=self.label, show_eta=True, file=self.stream, item_show_func=_item
            )
            self.bar = bar.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.bar is not None:
            self.bar.__exit__(kind, exc, tb)

    def update(self, fraction: float, message: str) -> None:
        """Show ``fraction`` (0..1) done, with ``message`` ("encoding: 12 s of 60 s ...")."""
        if self.bar is not None:
            target = int(fraction * self.STEPS)
            self.bar.update(max(0, target - self.shown), message)
            self.shown = max(self.shown, target)
            return
        stage, tenth = message.split(":", maxsplit=1)[0], int(fraction * 10)
        if stage != self.stage or tenth > self.tenth:
            self.stage, self.tenth = stage, tenth
            click.echo(f"{self.label}: {fraction:4.0%} {message}", file=self.stream)


def _item(message: str | None) -> str:
    return (message or "")[:60]


def _summary(title: Title) -> str:
    videos = [r.name for r in title.renditions if r.kind == "video"]
    audio = [r.language or "und" for r in title.renditions if r.kind == "audio"]
    subtitles = [r.language or "und" for r in title.renditions if r.kind == "subtitles"]
    parts = [f"{title.duration or 0:.1f} s", "video " + "/".join(videos)]
    if audio:
        parts.append("audio " + ", ".join(audio))
    if subtitles:
        parts.append("subtitles " + ", ".join(subtitles))
    return "; ".join(parts)


def _as_json(title: Title) -> dict[str, Any]:
    return {
        "id": title.id,
        "name": title.name,
        "kind": title.kind,
        "parent_id": title.parent_id,
        "duration": title.duration,
        "media_path": title.media_path,
        "renditions": [
            {
                "kind": r.kind,
                "name": r.name,
                "width": r.width,
                "height": r.height,
                "bandwidth": r.bandwidth,
                "language": r.language,
            }
            for r in title.renditions
        ],
    }

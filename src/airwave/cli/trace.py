"""``airwave trace CAPTURE``: name the playback session (and account) behind a leaked copy."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from airwave.cli.main import Context, cli, pass_context
from airwave.watermark.trace import SHOWN, Trace, trace_channel, trace_report, trace_title


@cli.command("trace")
@click.argument("capture", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", "title_id", type=int, help="The marked title the capture shows.")
@click.option("--channel", help="The marked live channel the capture shows.")
@click.option(
    "--around",
    help="When the capture was made (ISO 8601): only sessions open then are candidates; for a channel, only "
    "the DVR around that time is searched.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
def trace_command(
    context: Context, capture: Path, title_id: int | None, channel: str | None, around: str | None, as_json: bool
) -> None:
    """Trace a pirate's capture (any video file) back to the session that leaked it.

    Accuses a session only when the probability of accusing an innocent one is below the
    trace_false_accusation setting; otherwise says how much more capture is needed.
    """
    moment = _parse_time(around)
    if channel is not None and title_id is None:
        result = trace_channel(context.runtime(), capture, channel, around=moment)
    elif title_id is not None and channel is None:
        result = trace_title(context.runtime(), capture, title_id, around=moment)
    else:
        raise click.UsageError("name what the capture shows: --title ID or --channel SLUG (one of them)")
    _audit(context, capture, f"channel:{channel}" if channel is not None else f"title:{title_id}", around, result)
    if as_json:
        click.echo(json.dumps(trace_report(result), indent=2))
    else:
        _print(result)


def _audit(context: Context, capture: Path, target: str, around: str | None, result: Trace) -> None:
    """Log the trace and its verdict: naming a subscriber is the operator's act, as on the trace page."""
    accused = ", ".join(suspect.session_id for suspect in result.verdict.accused)
    detail = f"{capture.name} ({capture.stat().st_size} bytes)" + (f" around {around}" if around else "")
    detail += f": {result.verdict.message}" + (f" (sessions {accused})" if accused else "")
    with context.runtime().db.session() as session:
        context.audit(session, "watermark.trace", target, detail)


def _print(result: Trace) -> None:
    verdict = result.verdict
    click.echo(verdict.message)
    click.echo(
        f"{verdict.segments} segments read from {result.seconds:.0f} s of capture, starting "
        f"{result.detection.start_seconds:.1f} s into {result.content}; {len(verdict.ranking)} candidates"
    )
    for suspect in verdict.ranking[:SHOWN]:
        mark = "ACCUSED" if suspect in verdict.accused else ""
        click.echo(
            f"  {suspect.session_id}  {suspect.account:<30}  score {suspect.score:9.2f}  "
            f"bound {suspect.bound:.2e}  agreement {suspect.agreement:.0%}  {mark}"
        )


def _parse_time(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        message = f"{text!r} is not an ISO 8601 time, e.g. 2025-03-01T20:30"
        raise click.BadParameter(message, param_hint="--around") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

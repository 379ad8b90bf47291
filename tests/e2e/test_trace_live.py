"""Leak tracing on a live channel: watermarking switched on with ``airwave channel edit --watermark on``, two
sessions fetching the same segment URLs through the /p/ channel route (encrypted, as viewers get them) and
receiving different bytes, their streams restreamed small and cheap, and ``airwave trace --channel`` naming
each session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from airwave.accounts import audit
from airwave.channels.feeds import channel_dir
from airwave.channels.marking import read_costs
from airwave.cli.main import cli, register_commands
from airwave.delivery import keys
from airwave.media.synthetic import Clip, render_clip
from airwave.runtime import Runtime
from airwave.watermark.trace import trace_channel
from airwave.web.app import create_app
from tests.e2e.live import FFMPEG, add_channel, channel_field, live_runtime, published, wait_for
from tests.web.conftest import make_account

pytestmark = pytest.mark.e2e
register_commands()

SLUG = "leaky"
SEGMENTS = 36  # 1 s each: enough to name one of two sessions at 1e-6, with room to spare
VIEWERS = ("one@example.org", "two@example.org")


@dataclasses.dataclass
class Watched:
    """One session's stream as its player received it: segment URL -> bytes, and the stream as a file."""

    session_id: str
    segments: dict[str, bytes]
    capture: Path


@dataclasses.dataclass
class Stage:
    runtime: Runtime
    folder: Path
    watched: dict[str, Watched]
    at: dt.datetime


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    folder = tmp_path_factory.mktemp("trace-live")
    source = _source(folder)
    with live_runtime(folder, live_window_segments=SEGMENTS + 10, live_dvr_hours=1.0) as (runtime, _supervisor):
        add_channel(runtime, SLUG, f"file://{source}", enabled=False)
        data = str(runtime.settings.data)
        for command in (["edit", SLUG, "--watermark", "on"], ["start", SLUG]):
            result = CliRunner().invoke(cli, ["--data", data, "channel", *command])
            assert result.exit_code == 0, result.output
        assert channel_field(runtime, SLUG, "watermark") is True
        wait_for(lambda: published(runtime, SLUG) >= SEGMENTS, 150, f"{SEGMENTS} marked segments")
        with TestClient(create_app(runtime)) as client:
            watched = {email: _watch(runtime, client, email, folder) for email in VIEWERS}
        CliRunner().invoke(cli, ["--data", data, "channel", "stop", SLUG])  # the DVR stays for the traces
        yield Stage(runtime, folder, watched, runtime.clock.now())


def _source(folder: Path) -> Path:
    """A programme that never repeats within the test, with a keyframe every second (segments of 1 s)."""
    clip = render_clip(FFMPEG, Clip(title="Leak", seconds=90, width=320, height=180), folder / "clip.mp4")
    source = folder / "source.mp4"
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-i", str(clip), "-c:v", "libx264", "-preset", "veryfast", "-g", "25",
         "-keyint_min", "25", "-sc_threshold", "0", "-c:a", "copy", str(source)],
        check=True, timeout=120,
    )  # fmt: skip
    return source


def _watch(runtime: Runtime, client: TestClient, email: str, folder: Path) -> Watched:
    """Start a session and fetch its live playlist's segments (decrypted) as a player would."""
    account = make_account(runtime, email, "subscriber")
    started = client.post("/api/v1/playback", json={"channel": SLUG}, headers=account.auth)
    assert started.status_code == 201, started.text
    url = urljoin(started.json()["url"], "live/live.m3u8")
    playlist = client.get(url)
    assert playlist.status_code == 200, playlist.text
    init, segments, key, sequence = b"", {}, b"", 0
    policies: dict[str, str] = {}
    for line in playlist.text.splitlines():
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.partition(":")[2])
        elif line.startswith("#EXT-X-KEY:"):
            key = b"" if "METHOD=NONE" in line else client.get(urljoin(url, _uri(line))).content
        elif line.startswith("#EXT-X-MAP:"):  # a new run (the slate's first seconds, then the source)
            init, segments = client.get(urljoin(url, _uri(line))).content, {}
        elif line and not line.startswith("#"):
            response = client.get(urljoin(url, line))
            assert response.status_code == 200, line
            segments[line] = keys.decrypt(response.content, key, sequence) if key else response.content
            policies[line] = response.headers["cache-control"]
            sequence += 1
    assert len(segments) >= SEGMENTS - 2
    # A marked run's segments differ per session: no shared cache may keep them under their URL.
    assert all("private" in policies[line] for line in segments)
    capture = folder / f"{email}.mp4"
    capture.write_bytes(init + b"".join(segments.values()))
    return Watched(started.json()["session_id"], segments, capture)


def _uri(line: str) -> str:
    return line.split('URI="', 1)[1].split('"', 1)[0]


def _pirate(stage: Stage, email: str) -> Path:
    """A restream of the session's copy: cut in late, scaled to 256x144 and re-encoded at 120 kbit/s."""
    out = stage.folder / f"pirate-{email}.mp4"
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-ss", "0.7", "-i", str(stage.watched[email].capture),
         "-vf", "scale=256:144", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "120k", "-an", str(out)],
        check=True, timeout=120,
    )  # fmt: skip
    return out


def test_two_sessions_get_different_copies_of_the_same_segment_urls(stage: Stage) -> None:
    one, two = (stage.watched[email] for email in VIEWERS)
    shared = sorted(set(one.segments) & set(two.segments))
    assert len(shared) >= SEGMENTS - 2
    differing = [url for url in shared if one.segments[url] != two.segments[url]]
    # Each segment differs with probability 1/2 (independent random codes).
    assert 0.2 * len(shared) <= len(differing) <= 0.8 * len(shared)
    costs = read_costs(channel_dir(stage.runtime.settings, SLUG))
    assert costs is not None
    assert costs.segments >= SEGMENTS - 2  # the playlist may open with an unmarked slate segment
    assert costs.bytes_written > 0


def test_trace_names_the_session_behind_each_live_capture(stage: Stage) -> None:
    email = VIEWERS[0]
    result = trace_channel(stage.runtime, _pirate(stage, email), SLUG, around=stage.at)
    verdict = result.verdict
    assert verdict.outcome == "accused", verdict.message
    assert [(s.session_id, s.account) for s in verdict.accused] == [(stage.watched[email].session_id, email)]


def test_trace_cli_names_the_other_session(stage: Stage) -> None:
    email = VIEWERS[1]
    data = str(stage.runtime.settings.data)
    argv = ["--data", data, "trace", str(_pirate(stage, email)), "--channel", SLUG, "--json"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["outcome"] == "accused"
    assert report["channel"] == SLUG
    assert [s["session_id"] for s in report["sessions"] if s["accused"]] == [stage.watched[email].session_id]
    with stage.runtime.db.session() as session:  # naming a subscriber is logged, as from the trace page
        (entry,) = [e for e in audit.events(session) if e.action == "watermark.trace"]
    assert entry.actor_email.startswith("cli:")
    assert entry.target == f"channel:{SLUG}"
    assert f"(sessions {stage.watched[email].session_id})" in entry.detail


def test_channel_show_reports_what_marking_costs(stage: Stage) -> None:
    data = str(stage.runtime.settings.data)
    result = CliRunner().invoke(cli, ["--data", data, "channel", "show", SLUG])
    assert result.exit_code == 0, result.output
    assert "watermark: True" in result.output
    assert "segments marked" in result.output
    assert "s of encoding per second of video" in result.output
    admin = make_account(stage.runtime, "admin@example.org", "admin")
    with TestClient(create_app(stage.runtime)) as client:
        page = client.get(f"/admin/channels/{SLUG}/edit", headers=admin.auth)
    assert page.status_code == 200
    assert 'name="watermark" value="1" checked' in page.text
    assert "segments marked" in page.text

"""Leak tracing end to end: a title ingested with --watermark, sessions fetching their segments through the
/p/ route, captures re-encoded small and cheap with ffmpeg, and ``airwave trace`` naming (or not) a session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from airwave.catalog import ingest, jobs
from airwave.cli.main import cli, register_commands
from airwave.clock import FakeClock
from airwave.config import load_settings
from airwave.delivery import keys
from airwave.hls.playlist import parse_media_playlist
from airwave.media.ffmpeg import find_ffmpeg
from airwave.media.synthetic import Clip, render_clip
from airwave.runtime import Runtime, open_runtime
from airwave.watermark.detect import CaptureMismatch
from airwave.watermark.trace import trace_title
from airwave.web.app import create_app
from tests.e2e.delivery_stack import SECRET, edge, origin
from tests.web.conftest import make_account

pytestmark = pytest.mark.e2e
register_commands()

SECONDS = 30


@dataclasses.dataclass
class Stage:
    runtime: Runtime
    client: TestClient
    ffmpeg: str
    title: int
    source: Path
    folder: Path
    sessions: dict[str, str]  # email -> session id
    captures: dict[str, Path]  # email -> the session's stream as a viewer received it
    opened: dt.datetime


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    folder = tmp_path_factory.mktemp("trace")
    settings = load_settings(
        data=folder / "var", ladder=(180,), x264_preset="veryfast", segment_seconds=1.0, secret_key=SECRET
    )  # the secret the edge test's origin and edge are given
    clock = FakeClock()
    runtime = open_runtime(settings, clock=clock)
    ffmpeg = find_ffmpeg(settings)
    source = render_clip(ffmpeg, Clip(title="Leak", seconds=SECONDS, width=320, height=180), folder / "src.mp4")
    with runtime.db.session() as session:
        job = jobs.submit(session, clock, source=source, name="Leak", options={"watermark": True})
    title = ingest.run_job(runtime, job.id).id
    with TestClient(create_app(runtime)) as client:
        stage = Stage(runtime, client, ffmpeg, title, source, folder, {}, {}, clock.now())
        for email in ("one@example.org", "two@example.org"):
            _watch(stage, email)
        clock.advance(3 * 86400)  # a third viewer, days later: outside the traced window
        _watch(stage, "three@example.org")
        yield stage
    runtime.close()


def _watch(stage: Stage, email: str) -> None:
    """Start a session and fetch its whole 180p stream through the playback route, as a player would."""
    account = make_account(stage.runtime, email, "subscriber")
    started = stage.client.post("/api/v1/playback", json={"title": stage.title}, headers=account.auth)
    assert started.status_code == 201, started.text
    base = started.json()["url"].rsplit("/", 1)[0]
    playlist = stage.client.get(f"{base}/180p/index.m3u8").text
    names = [line for line in playlist.splitlines() if line.startswith("seg_")]
    assert len(names) >= SECONDS - 1
    assert all("/" not in name for name in names)
    data = stage.client.get(f"{base}/180p/init.mp4").content
    sequence, key = parse_media_playlist(playlist).media_sequence, b""
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-KEY:"):
            key_url = urljoin(f"{base}/180p/index.m3u8", line.split('URI="', 1)[1].split('"', 1)[0])
            key = stage.client.get(key_url).content
        if not line.startswith("seg_"):
            continue
        response = stage.client.get(f"{base}/180p/{line}")
        assert response.status_code == 200
        assert "private" in response.headers["cache-control"]
        data += keys.decrypt(response.content, key, sequence) if key else response.content
        sequence += 1
    assert stage.client.get(f"{base}/180p/a/{names[0]}").status_code == 404  # variants are not addressable
    stage.sessions[email] = started.json()["session_id"]
    stage.captures[email] = stage.folder / f"{email}.mp4"
    stage.captures[email].write_bytes(data)


def _pirate(stage: Stage, source: Path, name: str, *, start: float = 0.7, seconds: float = SECONDS) -> Path:
    """A restream: cut in late, scaled to 256x144 and re-encoded at 120 kbit/s."""
    out = stage.folder / name
    subprocess.run(
        [stage.ffmpeg, "-v", "error", "-y", "-ss", str(start), "-t", str(seconds), "-i", str(source),
         "-vf", "scale=256:144", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "120k", "-an", str(out)],
        check=True, timeout=120,
    )  # fmt: skip
    return out


def test_trace_names_the_session_behind_each_capture(stage: Stage) -> None:
    for email in ("one@example.org", "two@example.org"):
        capture = _pirate(stage, stage.captures[email], f"pirate-{email}.mp4")
        result = trace_title(stage.runtime, capture, stage.title, around=stage.opened)
        verdict = result.verdict
        assert verdict.outcome == "accused", verdict.message
        assert [s.session_id for s in verdict.accused] == [stage.sessions[email]]
        assert verdict.accused[0].account == email
        assert verdict.accused[0].bound <= stage.runtime.settings.trace_false_accusation


def test_trace_cli_prints_the_accusation_as_json(stage: Stage) -> None:
    capture = _pirate(stage, stage.captures["two@example.org"], "pirate-cli.mp4", start=2.3)
    data = str(stage.runtime.settings.data)
    result = CliRunner().invoke(cli, ["--data", data, "trace", str(capture), "--title", str(stage.title), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["outcome"] == "accused"
    accused = [s for s in report["sessions"] if s["accused"]]
    assert [(s["session_id"], s["account"]) for s in accused] == [
        (stage.sessions["two@example.org"], "two@example.org")
    ]
    assert accused[0]["bound"] <= 1e-6
    assert accused[0]["segments_used"] >= 20


def test_trace_accuses_no_one_for_an_unmarked_capture(stage: Stage) -> None:
    capture = _pirate(stage, stage.source, "pirate-unmarked.mp4")
    verdict = trace_title(stage.runtime, capture, stage.title).verdict
    assert verdict.outcome != "accused"
    assert not verdict.accused


def test_trace_accuses_no_one_when_the_leaker_is_not_a_candidate(stage: Stage) -> None:
    capture = _pirate(stage, stage.captures["three@example.org"], "pirate-three.mp4")
    verdict = trace_title(stage.runtime, capture, stage.title, around=stage.opened).verdict
    assert {s.session_id for s in verdict.ranking} == {
        stage.sessions["one@example.org"],
        stage.sessions["two@example.org"],
    }
    assert verdict.outcome == "no-match", verdict.message


def test_trace_asks_for_more_capture_when_given_too_little(stage: Stage) -> None:
    capture = _pirate(stage, stage.captures["one@example.org"], "pirate-short.mp4", seconds=9)
    verdict = trace_title(stage.runtime, capture, stage.title, around=stage.opened).verdict
    assert verdict.outcome == "insufficient", verdict.message
    assert verdict.more_segments is not None
    assert 5 <= verdict.more_segments <= 40
    assert "more segments" in verdict.message


def test_trace_refuses_a_capture_of_something_else(stage: Stage) -> None:
    other = stage.folder / "other.mp4"
    subprocess.run(
        [stage.ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=256x144:rate=25", "-t", "12",
         "-c:v", "libx264", "-preset", "veryfast", str(other)],
        check=True, timeout=120,
    )  # fmt: skip
    with pytest.raises(CaptureMismatch, match="does not match this title"):
        trace_title(stage.runtime, other, stage.title)


def test_trace_names_a_session_whose_stream_came_through_an_edge(stage: Stage) -> None:
    """The way viewers receive a marked title at scale: segments from an nginx edge's cache, the variant picked
    there from the signed token. Two sessions watch through one edge; each one's restream names that session."""
    data = stage.runtime.settings.data
    origin_env = {"AIRWAVE_TRUSTED_PROXIES": "127.0.0.1/32"}  # the edge may learn the variant it caches
    with origin(data, origin_env) as base, edge(data, base, stage.folder / "edge", "e1") as (edge_url, _):
        watched = {
            email: _watch_through(stage, base, edge_url, email) for email in ("four@example.org", "five@example.org")
        }
    assert watched["five@example.org"][2] > 0  # the second viewer got the variants the first one's fetches cached
    for email, (session_id, stream, _) in watched.items():
        capture = _pirate(stage, stream, f"pirate-edge-{email}.mp4")
        verdict = trace_title(stage.runtime, capture, stage.title).verdict
        assert verdict.outcome == "accused", verdict.message
        assert [s.session_id for s in verdict.accused] == [session_id]


def _watch_through(stage: Stage, origin_url: str, edge_url: str, email: str) -> tuple[str, Path, int]:
    """Start a session at the origin and play its 180p stream through the edge: its id, the stream, and how
    many segments the edge served from its cache."""
    account = make_account(stage.runtime, email, "subscriber")
    started = httpx.post(f"{origin_url}/api/v1/playback", json={"title": stage.title}, headers=account.auth)
    assert started.status_code == 201, started.text
    path = urlsplit(started.json()["url"]).path.rsplit("/", 1)[0]
    base = f"{edge_url}{path}/180p/"
    playlist = httpx.get(base + "index.m3u8").text
    data, key, hits = httpx.get(base + "init.mp4").content, b"", 0
    sequence = parse_media_playlist(playlist).media_sequence
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-KEY:"):
            key = httpx.get(urljoin(base, line.split('URI="', 1)[1].split('"', 1)[0])).content
        elif line.startswith("seg_"):
            response = httpx.get(base + line)
            assert response.status_code == 200, line
            hits += response.headers["x-cache"] == "HIT"  # served by the edge, from its cache when shared
            data += keys.decrypt(response.content, key, sequence) if key else response.content
            sequence += 1
    stream = stage.folder / f"edge-{email}.mp4"
    stream.write_bytes(data)
    return started.json()["session_id"], stream, hits

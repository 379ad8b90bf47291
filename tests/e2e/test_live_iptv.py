"""IPTV and catch-up through a real ``airwave serve``: a past programme of a live channel is replayed from the
DVR as a VOD playlist cut at its guide times, and every stream URL of the subscriber's M3U plays in ffmpeg.

Two file-loop channels: one passthrough, one ladder (its 160x90 source gives one 90p rung: never upscaled).
Everything goes over HTTP on loopback, the way an IPTV app or a set-top box reads it."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from airwave.hls.playlist import parse_media_playlist
from tests.e2e.live import FFMPEG, make_file, wait_for
from tests.e2e.portal import ADMIN, PASSWORD, VIEWER, add_users, airwave, free_port, serve

pytestmark = pytest.mark.e2e
DVR_SECONDS = 12  # how long the channels run before the guide gets a programme in their past
BAD_DECODE = re.compile(r"Invalid NAL unit size|Packet corrupt|error while decoding|non-existing PPS", re.I)


@dataclass(frozen=True)
class Server:
    base: str
    viewer: dict[str, str]
    admin: dict[str, str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("iptv")
    data = root / "var"
    data.mkdir()
    (data / "airwave.toml").write_text(
        f'ingest_host = "127.0.0.1"\nrtmp_port = {free_port()}\nlive_segment_seconds = 1.0\nmax_streams = 20\n'
    )
    clip = make_file(root / "clip.mp4", seconds=4)
    add_users(data)
    airwave(data, "channel", "add", "news", "--name", "News", "--source", f"file://{clip}", "--number", "1")
    airwave(data, "channel", "add", "sport", "--name", "Sport", "--source", f"file://{clip}", "--number", "2",
            "--mode", "ladder")  # fmt: skip
    with serve(data) as base:
        viewer, admin = (_bearer(base, email) for email in (VIEWER, ADMIN))
        wait_for(lambda: _live(base, admin) == {"news", "sport"}, 90, "both channels live")
        time.sleep(DVR_SECONDS)  # bounded: lets the DVR hold a past programme
        yield Server(base, viewer, admin)


def test_a_past_programme_replays_from_the_dvr_as_vod(server: Server) -> None:
    now = dt.datetime.now(dt.UTC)
    start, stop = now - dt.timedelta(seconds=8), now - dt.timedelta(seconds=2)
    added = httpx.post(f"{server.base}/api/v1/epg/programmes", headers=server.admin, json={
        "channel": "news", "start": start.isoformat(), "stop": stop.isoformat(), "title": "The Early Bulletin",
    })  # fmt: skip
    assert added.status_code == 201, added.text
    started = httpx.post(f"{server.base}/api/v1/playback", headers=server.viewer,
                         json={"channel": "news", "programme": added.json()["id"]})  # fmt: skip
    assert started.status_code == 201, started.text
    master = server.base + started.json()["url"]
    variant = _first_variant(master)
    playlist = parse_media_playlist(httpx.get(variant).text)
    assert playlist.ended, "a catch-up playlist is VOD: it ends"
    assert 5.0 <= playlist.duration <= 8.5  # cut at the guide times, to whole segments
    frames = _decode(master)
    assert frames >= 25 * 5


def test_every_stream_of_the_m3u_plays_in_ffmpeg(server: Server) -> None:
    links = httpx.get(f"{server.base}/api/v1/me", headers=server.viewer).json()["iptv"]
    m3u = httpx.get(links["playlist_url"])
    assert m3u.status_code == 200
    lines = m3u.text.splitlines()
    assert lines[0].startswith("#EXTM3U")
    assert f'x-tvg-url="{links["epg_url"]}"' in lines[0]
    entries = [(info, url) for info, url in itertools.pairwise(lines) if info.startswith("#EXTINF")]
    assert [re.search(r'tvg-id="([^"]+)"', info)[1] for info, _ in entries] == ["news", "sport"]  # type: ignore[index]
    assert httpx.get(links["epg_url"]).status_code == 200
    for info, url in entries:
        logo = re.search(r'tvg-logo="([^"]*)"', info)
        if logo and logo[1]:
            assert httpx.get(logo[1]).status_code == 200, logo[1]
        assert _decode(url, seconds=3) >= 25 * 2, url
    catchup = re.search(r'catchup-source="([^"]+)"', entries[0][0])
    assert catchup is not None
    now = int(time.time())
    replay = catchup[1].replace("{utc}", str(now - 8)).replace("{utcend}", str(now - 3))
    assert _decode(replay) >= 25 * 3, replay


def test_the_ladder_is_capped_at_the_source_height(server: Server) -> None:
    started = httpx.post(f"{server.base}/api/v1/playback", headers=server.viewer, json={"channel": "sport"})
    text = httpx.get(server.base + started.json()["url"]).text
    resolutions = re.findall(r"RESOLUTION=(\d+)x(\d+)", text)
    assert resolutions == [("160", "90")], text


def _decode(url: str, seconds: float | None = None) -> int:
    """Decode ``url`` with ffmpeg over HTTP (``seconds`` of it, or all); return the video frames. Fails on any
    decoding error ffmpeg reports."""
    limit = ["-t", str(seconds)] if seconds else []
    argv = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "warning", "-i", url, *limit, "-map", "0:v:0",
            "-f", "framemd5", "-"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-800:]
    assert not BAD_DECODE.search(done.stderr), done.stderr[-800:]
    return sum(1 for line in done.stdout.splitlines() if line and not line.startswith("#"))


def _first_variant(master: str) -> str:
    text = httpx.get(master).text
    uri = next(line for line in text.splitlines() if line and not line.startswith("#"))
    return str(httpx.URL(master).join(uri))


def _bearer(base: str, email: str) -> dict[str, str]:
    token = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _live(base: str, admin: dict[str, str]) -> set[str]:
    items = httpx.get(f"{base}/api/v1/channels", headers=admin).json()["items"]
    return {item["slug"] for item in items if item["state"] == "live"}

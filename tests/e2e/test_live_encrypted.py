"""Encrypted live TV through a real ``airwave serve``: ffmpeg decodes the AES-128 live playlist over HTTP, keys
rotate, segments are never served in the clear, and a blackout in the viewer's territory plays the slate."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from airwave.accounts import rights
from airwave.config import load_settings
from airwave.delivery.keys import decrypt
from airwave.runtime import open_runtime
from airwave.store.channels import Channel
from tests.e2e.live import FFMPEG, make_file, wait_for
from tests.e2e.portal import PASSWORD, VIEWER, add_users, airwave, free_port, serve

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("live-encrypted")
    data = root / "var"
    data.mkdir()
    geo = root / "geo.csv"
    geo.write_text("network,country\n127.0.0.0/8,GB\n")
    (data / "airwave.toml").write_text(
        f'ingest_host = "127.0.0.1"\nrtmp_port = {free_port()}\nlive_segment_seconds = 1.0\n'
        f'key_rotation_minutes = 0.05\ngeoip_csv = "{geo}"\n'
    )
    clip = make_file(root / "clip.mp4", seconds=4)
    add_users(data)
    airwave(data, "channel", "add", "one", "--name", "Channel One", "--source", f"file://{clip}", "--number", "1")
    with serve(data) as url:
        wait_for(lambda: _segments(data) >= 8 or None, 60, "eight live segments")
        yield url, data


def test_ffmpeg_decodes_the_encrypted_live_playlist_and_keys_rotate(served: tuple[str, Path]) -> None:
    base, _data = served
    started = _start(base)
    root = base + started["url"].rsplit("/", 1)[0]
    playlist = httpx.get(f"{root}/live/live.m3u8")
    assert playlist.status_code == 200, playlist.text
    periods = re.findall(r'#EXT-X-KEY:METHOD=AES-128,URI="\.\./keys/(\d+)\.key"', playlist.text)
    assert len(periods) >= 2, playlist.text  # 3-second key periods across the live window
    uri = re.findall(r"^\.\./(enc/(\d+)/(\d+)/\S+\.m4s)$", playlist.text, re.M)[-1]
    key = httpx.get(f"{root}/keys/{uri[1]}.key")
    assert key.status_code == 200
    assert key.headers["cache-control"] == "private, no-store"
    segment = httpx.get(f"{root}/{uri[0]}")
    assert segment.status_code == 200
    assert decrypt(segment.content, key.content, int(uri[2]))[4:8] in (b"moof", b"styp")
    clear = uri[0].split("/", 3)[3]
    assert httpx.get(f"{root}/{clear}").status_code == 404  # never in the clear
    _decodes(base + started["url"])
    httpx.delete(f"{base}/api/v1/playback/{started['session_id']}", headers=_auth(base))


def test_a_blackout_here_plays_the_encrypted_slate(served: tuple[str, Path]) -> None:
    base, data = served
    runtime = open_runtime(load_settings(data=data))
    try:
        now = runtime.clock.now()
        with runtime.db.session() as session:
            channel = session.scalars(select(Channel).where(Channel.slug == "one")).one()
            rights.add_blackout(session, channel, start=now - dt.timedelta(minutes=5),
                                stop=now + dt.timedelta(minutes=30), territories="GB", note="Cup Final")  # fmt: skip
    finally:
        runtime.close()
    started = _start(base)
    media = base + started["url"].replace("master.m3u8", "live/live.m3u8")
    text = wait_for(lambda: _slate_only(media), 60, "the slate in place of every live segment")
    assert "#EXT-X-DISCONTINUITY" in text
    assert "#EXT-X-KEY:METHOD=AES-128" in text
    _decodes(base + started["url"])
    httpx.delete(f"{base}/api/v1/playback/{started['session_id']}", headers=_auth(base))


def _slate_only(url: str) -> str | None:
    text = httpx.get(url).text
    uris = [line for line in text.splitlines() if line and not line.startswith("#")]
    return text if uris and all("/blackout/live/" in uri for uri in uris) else None


def _decodes(url: str) -> None:
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-i", url, "-t", "3", "-f", "null", "-"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-800:]


def _auth(base: str) -> dict[str, str]:
    token = httpx.post(f"{base}/api/v1/auth/login", json={"email": VIEWER, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _start(base: str) -> dict[str, str]:
    started = httpx.post(f"{base}/api/v1/playback", json={"channel": "one"}, headers=_auth(base))
    assert started.status_code == 201, started.text
    body: dict[str, str] = started.json()
    return body


def _segments(data: Path) -> int:
    index = data / "live" / "one" / "index.tsv"
    return len(index.read_text().splitlines()) if index.exists() else 0

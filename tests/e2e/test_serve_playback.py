"""``airwave serve`` (granian) as a real subprocess: sign in, start playback, fetch playlists and a segment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from airwave.accounts.users import create_user
from airwave.config import load_settings
from airwave.delivery.keys import decrypt
from airwave.runtime import open_runtime
from tests.e2e.portal import free_port, wait_until_up
from tests.web.sample import publish, sample_dir

pytestmark = pytest.mark.e2e
PASSWORD = "password123"


@pytest.fixture
def served(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    data = tmp_path / "var"
    runtime = open_runtime(load_settings(data=data))
    try:
        with runtime.db.session() as session:
            create_user(session, runtime.clock, email="viewer@example.org", password=PASSWORD)
        title = publish(runtime, sample_dir(tmp_path_factory.getbasetemp().parent / "airwave-sample"))
    finally:
        runtime.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRWAVE_")}
    airwave = [sys.executable, "-m", "airwave", "serve", "--port", str(port), "--data", str(data)]
    server = subprocess.Popen(airwave, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, server, time.monotonic() + 30)
        yield base, title
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        assert server.stderr is not None
        server.stderr.close()


def test_segment_served_by_granian_with_session_token(served: tuple[str, int]) -> None:
    base, title = served
    with httpx.Client(base_url=base, timeout=10) as client:
        login = client.post("/api/v1/auth/login", json={"email": "viewer@example.org", "password": PASSWORD})
        assert login.status_code == 200
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        started = client.post("/api/v1/playback", json={"title": title}, headers=auth)
        assert started.status_code == 201
        url = started.json()["url"]
        master = client.get(url)
        assert master.status_code == 200
        assert master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        assert "no-store" in master.headers["cache-control"]
        variant = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
        folder = url.rsplit("/", 1)[0]
        media = client.get(f"{folder}/{variant}")
        assert media.status_code == 200
        assert "no-store" in media.headers["cache-control"]
        segment_name = next(line for line in media.text.splitlines() if line.endswith(".m4s"))
        segment_url = f"{folder}/{variant.rsplit('/', 1)[0]}/{segment_name}"
        segment = client.get(segment_url)
        assert segment.status_code == 200
        assert segment.headers["content-type"] == "video/mp4"
        assert segment.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert int(segment.headers["content-length"]) == len(segment.content)
        # vod_encryption: the first segment is AES-128 with the period-0 key and IV = its sequence number, 0.
        key = client.get(f"{folder}/keys/0.key")
        assert key.status_code == 200
        assert decrypt(segment.content, key.content, 0)[4:8] in (b"moof", b"styp")
        token = url.split("/")[2]
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert client.get(segment_url.replace(token, forged)).status_code == 403
        ended = client.delete(f"/api/v1/playback/{started.json()['session_id']}", headers=auth)
        assert ended.status_code == 204
        assert client.get(segment_url).status_code == 403

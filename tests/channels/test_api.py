"""The channels API and the signed live routes (the DVR store is written directly; the e2e tests run ffmpeg)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airwave.channels.feeds import DvrFeed
from airwave.channels.index import IndexWriter
from airwave.channels.meta import LiveRendition, write_meta
from airwave.config import Settings
from airwave.runtime import Runtime
from tests.channels.settings import quiet_settings
from tests.web.conftest import Account


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return quiet_settings(tmp_path, database_url)


def add(client: TestClient, admin: Account, slug: str = "news", **fields: object) -> dict[str, object]:
    body = {"slug": slug, "name": "News 24", "source_url": "push:rtmp", "number": 1, "group": "News", **fields}
    response = client.post("/api/v1/channels", json=body, headers=admin.auth)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_admins_manage_channels_and_subscribers_only_see_them(
    client: TestClient, admin: Account, viewer: Account
) -> None:
    created = add(client, admin)
    assert created["state"] == "stopped"
    push = created["push"]
    assert isinstance(push, dict)
    assert push["rtmp_server"].endswith(":1935/live")
    assert len(push["stream_key"]) >= 20
    listed = client.get("/api/v1/channels", headers=viewer.auth).json()["items"]
    assert [(c["slug"], c["push"], c["source_url"]) for c in listed] == [("news", None, None)]
    assert client.post("/api/v1/channels", json={"slug": "x", "name": "X", "source_url": "push:rtmp"},
                       headers=viewer.auth).status_code == 403  # fmt: skip
    edited = client.patch("/api/v1/channels/news", json={"name": "News", "mode": "ladder"}, headers=admin.auth)
    assert (edited.json()["name"], edited.json()["mode"]) == ("News", "ladder")
    assert client.post("/api/v1/channels/news/stop", headers=admin.auth).json()["enabled"] is False
    assert client.post("/api/v1/channels/news/start", headers=admin.auth).json()["enabled"] is True
    new_key = client.post("/api/v1/channels/news/key", headers=admin.auth).json()["push"]["stream_key"]
    assert new_key != push["stream_key"]
    assert client.delete("/api/v1/channels/news", headers=admin.auth).status_code == 204
    assert client.get("/api/v1/channels/news", headers=admin.auth).status_code == 404


def test_bad_channels_are_refused_with_the_reason(client: TestClient, admin: Account, tmp_path: Path) -> None:
    add(client, admin)
    cases = [
        ({"slug": "news"}, 409, "already"),
        ({"slug": "Bad Slug"}, 400, "slug"),
        ({"slug": "ftp", "source_url": "ftp://example.org/x"}, 400, "not a source"),
        ({"slug": "nofile", "source_url": f"file://{tmp_path}/missing.mp4"}, 400, "no file"),
        ({"slug": "two", "number": 1}, 409, "number"),
        ({"slug": "bk", "backup_url": "push:rtmp"}, 400, "backup"),
    ]
    for fields, status, words in cases:
        body = {"name": "X", "source_url": "push:rtmp", **fields}
        response = client.post("/api/v1/channels", json=body, headers=admin.auth)
        assert response.status_code == status, (fields, response.text)
        assert words in response.json()["error"]["message"]


def test_live_playback_serves_master_live_playlist_and_segments(
    client: TestClient, admin: Account, viewer: Account, runtime: Runtime
) -> None:
    add(client, admin)
    feed = DvrFeed(runtime.settings, "news")
    _publish(feed, count=6)
    started = client.post("/api/v1/playback", json={"channel": "news"}, headers=viewer.auth)
    assert started.status_code == 201, started.text
    url = started.json()["url"]
    assert "/c/news/master.m3u8" in url
    master = client.get(url)
    assert master.headers["cache-control"] == "private, no-store"
    assert "live/live.m3u8" in master.text
    assert 'CODECS="avc1.64001E,mp4a.40.2"' in master.text
    media = client.get(url.replace("master.m3u8", "live/live.m3u8"))
    assert media.status_code == 200
    assert "#EXT-X-MEDIA-SEQUENCE:2" in media.text
    # live_encryption: segments are listed (and served) only as their AES-128 copies
    encrypted = next(line for line in media.text.splitlines() if line.endswith("live/r1-000005.m4s"))
    assert encrypted.startswith("../enc/")
    segment = client.get(url.replace("master.m3u8", encrypted.removeprefix("../")))
    assert len(segment.content) == 16
    assert "immutable" in segment.headers["cache-control"]
    assert client.get(url.replace("master.m3u8", "live/..%2F..%2Fsecret.key")).status_code == 404
    forged = url.replace("/c/news/", "/c/other/")
    assert client.get(forged).status_code == 403


def test_metrics_show_state_per_channel(client: TestClient, admin: Account) -> None:
    add(client, admin)
    text = client.get("/metrics").text
    assert 'airwave_channel_state{channel="news",state="stopped"} 1.0' in text
    assert 'airwave_channel_switches_total{channel="news"} 0.0' in text


def _publish(feed: DvrFeed, count: int) -> None:
    writer = IndexWriter(feed.folder)
    (feed.folder / "live").mkdir(parents=True)
    for n in range(count):
        writer.append(1_800_000_000.0 + 2 * n, 2.0, False, "r1", n, ("live",))
        (feed.folder / "live" / f"r1-{n:06d}.m4s").write_bytes(f"segment {n}".encode())
    write_meta(feed.folder, [LiveRendition("live", "avc1.64001E,mp4a.40.2", 900_000, 700_000, 640, 360, 25.0)])


def test_a_playout_channel_is_added_with_the_playout_source(client: TestClient, admin: Account) -> None:
    created = add(client, admin, "movies", source_url="playout", number=7)
    assert (created["kind"], created["source_url"]) == ("playout", "")
    schedule = client.get("/api/v1/schedules/movies", headers=admin.auth)
    assert schedule.status_code == 200, schedule.text

"""Live playback under the delivery and rights rules: leases, edges, AES-128, territories and blackouts.

The DVR store is written directly (fake segment bytes, real index); the e2e test decodes real media.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airwave.accounts import rights
from airwave.channels import blackouts
from airwave.channels.epg import add_programme
from airwave.channels.feeds import DvrFeed
from airwave.channels.index import IndexWriter
from airwave.channels.meta import LiveRendition, write_meta
from airwave.channels.xmltv import XProgramme
from airwave.config import Settings
from airwave.delivery.edges import add_edge
from airwave.delivery.keys import decrypt
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.store.delivery import Edge
from airwave.store.tables import User
from airwave.web.app import create_app
from tests.channels.settings import quiet_settings
from tests.web.conftest import Account

GB, DE = ("10.2.3.4", 50000), ("192.0.2.7", 50000)
GEO = "network,country\n10.0.0.0/8,GB\n192.0.2.0/24,DE\n"
COUNT = 8


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    geo = tmp_path / "geo.csv"
    geo.write_text(GEO)
    base = quiet_settings(tmp_path, database_url)
    return base.model_copy(update={"geoip_csv": geo, "max_streams": 1, "key_rotation_minutes": 0.1})


@pytest.fixture
def gb(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), client=GB) as test_client:
        yield test_client


@pytest.fixture
def news(gb: TestClient, admin: Account, runtime: Runtime) -> str:
    body = {"slug": "news", "name": "News 24", "source_url": "push:rtmp", "number": 1}
    assert gb.post("/api/v1/channels", json=body, headers=admin.auth).status_code == 201
    publish(runtime, DvrFeed(runtime.settings, "news"), COUNT)
    return "news"


def publish(runtime: Runtime, feed: DvrFeed, count: int) -> None:
    """``count`` two-second segments ending now, one rendition."""
    writer = IndexWriter(feed.folder)
    (feed.folder / "live").mkdir(parents=True)
    start = runtime.clock.time() - 2 * count
    for n in range(count):
        writer.append(start + 2 * n, 2.0, False, "r1", n, ("live",))
        (feed.folder / "live" / f"r1-{n:06d}.m4s").write_bytes(f"segment {n}".encode())
    (feed.folder / "live" / "r1-init.mp4").write_bytes(b"init")
    write_meta(feed.folder, [LiveRendition("live", "avc1.64001E,mp4a.40.2", 900_000, 700_000, 160, 90, 25.0)])


def start(client: TestClient, account: Account, slug: str = "news") -> dict[str, str]:
    response = client.post("/api/v1/playback", json={"channel": slug}, headers=account.auth)
    assert response.status_code == 201, response.text
    started: dict[str, str] = response.json()
    return started


def media_url(started: dict[str, str]) -> str:
    return started["url"].replace("master.m3u8", "live/live.m3u8")


def test_segments_are_encrypted_and_only_a_live_session_gets_the_key(
    gb: TestClient, viewer: Account, news: str, runtime: Runtime
) -> None:
    started = start(gb, viewer)
    playlist = gb.get(media_url(started))
    assert playlist.status_code == 200, playlist.text
    assert playlist.headers["cache-control"] == "private, no-store"
    text = playlist.text
    periods = re.findall(r'#EXT-X-KEY:METHOD=AES-128,URI="\.\./keys/(\d+)\.key"', text)
    assert len(periods) >= 2  # 6-second key periods over 16 seconds of segments: the key rotates
    assert text.index("#EXT-X-MAP") < text.index("#EXT-X-KEY")  # the init section stays clear
    uri = re.findall(r"^\.\./(enc/\d+/\d+/live/r1-\d{6}\.m4s)$", text, re.M)[-1]
    period, msn = (int(part) for part in uri.split("/")[1:3])
    root = started["url"].rsplit("/", 1)[0]
    key = gb.get(f"{root}/keys/{period}.key")
    assert key.status_code == 200
    assert key.headers["cache-control"] == "private, no-store"
    segment = gb.get(f"{root}/{uri}")
    assert "immutable" in segment.headers["cache-control"]
    assert decrypt(segment.content, key.content, msn) == f"segment {COUNT - 1}".encode()
    assert gb.get(f"{root}/{uri}").content == segment.content  # the copy, served again
    assert gb.get(f"{root}/live/r1-{COUNT - 1:06d}.m4s").status_code == 404  # never in the clear
    assert gb.get(f"{root}/enc/{period}/{msn + 50}/live/r1-{COUNT - 1:06d}.m4s").status_code == 404
    assert gb.get(f"{root}/enc/{period + 9}/{msn}/live/r1-{COUNT - 1:06d}.m4s").status_code == 404
    assert gb.get(f"{root}/live/r1-init.mp4").content == b"init"
    assert gb.delete(f"/api/v1/playback/{started['session_id']}", headers=viewer.auth).status_code == 204
    assert gb.get(f"{root}/keys/{period}.key").status_code == 403


def test_starts_take_a_lease_and_refreshes_need_it(
    gb: TestClient, viewer: Account, news: str, runtime: Runtime
) -> None:
    first = start(gb, viewer)
    refused = gb.post("/api/v1/playback", json={"channel": "news"}, headers=viewer.auth)
    assert refused.status_code == 429
    sessions = refused.json()["error"]["sessions"]
    assert [(s["session_id"], s["watching"]) for s in sessions] == [(first["session_id"], "channel news")]
    assert gb.get(media_url(first)).status_code == 200
    assert gb.delete(f"/api/v1/playback/{first['session_id']}", headers=viewer.auth).status_code == 204
    assert gb.get(media_url(first)).status_code == 403  # the lease ended with the session
    second = start(gb, viewer)
    assert gb.get(media_url(second)).status_code == 200
    with runtime.db.session() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        user.disabled = True  # a subscription that lapsed, as entitlements see it
    with TestClient(create_app(runtime), client=GB) as later:  # past the few seconds answers are cached
        assert later.get(media_url(second)).status_code == 403


def test_a_new_session_is_handed_a_healthy_edge_in_its_region(
    gb: TestClient, viewer: Account, news: str, runtime: Runtime
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"regions": ("10.0.0.0/8=eu",)})
    with runtime.db.session() as session:
        for name, region in (("us1", "us"), ("eu1", "eu")):
            add_edge(session, runtime.clock, name, f"http://{name}.example.net", region)
        for edge in session.query(Edge).all():
            edge.healthy = True
    started = start(gb, viewer)
    assert started["url"].startswith("http://eu1.example.net/p/")
    assert started["url"].endswith("/c/news/master.m3u8")


def test_channel_territories_hold_at_start_and_at_every_refresh(
    gb: TestClient, viewer: Account, news: str, runtime: Runtime
) -> None:
    started = start(gb, viewer)
    _set_territories(runtime, "DE")
    with TestClient(create_app(runtime), client=GB) as later:  # past the few seconds answers are cached
        assert later.get(media_url(started)).status_code == 403
    with TestClient(create_app(runtime), client=DE) as de:
        assert de.get(media_url(started)).status_code == 200
    assert gb.delete(f"/api/v1/playback/{started['session_id']}", headers=viewer.auth).status_code == 204
    refused = gb.post("/api/v1/playback", json={"channel": "news"}, headers=viewer.auth)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "News 24 is not available in your country"


def test_a_blackout_shows_the_slate_there_with_discontinuities_and_the_channel_elsewhere(
    gb: TestClient, viewer: Account, news: str, runtime: Runtime
) -> None:
    black_out(runtime, "GB IE")
    runtime.settings = runtime.settings.model_copy(update={"live_encryption": False})
    started = start(gb, viewer)
    text = gb.get(media_url(started)).text
    lines = [line for line in text.splitlines() if not line.startswith(("#EXTINF", "#EXT-X-PROGRAM"))]
    body = lines[lines.index("#EXT-X-INDEPENDENT-SEGMENTS") + 1 :]
    # the live window is segments 4-7: 5 and 6 (their middles inside the blackout) are the slate
    assert body[:2] == ['#EXT-X-MAP:URI="../live/r1-init.mp4"', "../live/r1-000004.m4s"]
    slate = body[2:7]
    assert slate[0] == slate[3] == "#EXT-X-DISCONTINUITY"  # every slate segment restarts its timestamps
    assert slate[1] == '#EXT-X-MAP:URI="../blackout/live/init.mp4"'
    assert slate[2].startswith("../blackout/live/seg_")
    assert slate[4].startswith("../blackout/live/seg_")
    assert body[7:] == ["#EXT-X-DISCONTINUITY", '#EXT-X-MAP:URI="../live/r1-init.mp4"', "../live/r1-000007.m4s"]
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:0" in text  # nothing slid off the top yet
    root = started["url"].rsplit("/", 1)[0]
    slate_segment = gb.get(f"{root}/{slate[2].removeprefix('../')}")
    assert slate_segment.status_code == 200
    assert len(slate_segment.content) > 100
    with TestClient(create_app(runtime), client=DE) as de:
        elsewhere = de.get(media_url(started)).text
    assert "blackout" not in elsewhere
    assert "#EXT-X-DISCONTINUITY\n" not in elsewhere


def black_out(runtime: Runtime, territories: str) -> None:
    """A blackout of ``news`` in ``territories`` over the two segments before the newest (from 6 s to 2 s ago)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        channel = session.query(Channel).filter_by(slug="news").one()
        rights.add_blackout(session, channel, start=now - dt.timedelta(seconds=6), stop=now - dt.timedelta(seconds=2),
                            territories=territories, note="Match")  # fmt: skip
        blackouts.forget_rules(runtime, channel.id)


def _set_territories(runtime: Runtime, territories: str) -> None:
    with runtime.db.session() as session:
        channel = session.query(Channel).filter_by(slug="news").one()
        channel.territories = rights.normalise_territories(territories)


def test_keys_of_a_channel_limited_to_territories_go_to_viewers_there(
    gb: TestClient, viewer: Account, news: str, runtime: Runtime
) -> None:
    _set_territories(runtime, "GB")
    started = start(gb, viewer)
    text = gb.get(media_url(started)).text
    period = re.findall(r'URI="\.\./keys/(\d+)\.key"', text)[-1]
    root = started["url"].rsplit("/", 1)[0]
    assert gb.get(f"{root}/keys/{period}.key").status_code == 200
    with TestClient(create_app(runtime), client=DE) as de:
        assert de.get(f"{root}/keys/{period}.key").status_code == 403


def test_catch_up_of_a_blacked_out_programme_is_the_encrypted_slate_there(
    gb: TestClient, viewer: Account, news: str, runtime: Runtime
) -> None:
    now = runtime.clock.now()
    with runtime.db.session() as session:
        channel = session.query(Channel).filter_by(slug="news").one()
        start, stop = now - dt.timedelta(seconds=16), now - dt.timedelta(seconds=4)
        match = add_programme(session, channel, XProgramme("", start, stop, "Cup Final"))
        rights.blackout_programme(session, channel, match, "GB")
        programme_id = match.id
    response = gb.post("/api/v1/playback", json={"channel": "news", "programme": programme_id}, headers=viewer.auth)
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    assert "/archive/" in url
    text = gb.get(url.replace("master.m3u8", "live/index.m3u8")).text
    uris = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(uris) == 6
    assert all(re.match(r"^\.\./\.\./\.\./enc/\d+/\d+/blackout/live/seg_\d{5}\.m4s$", uri) for uri in uris)
    assert '#EXT-X-KEY:METHOD=AES-128,URI="../../../keys/' in text
    assert text.endswith("#EXT-X-ENDLIST\n")
    root = url.split("/archive/")[0]
    assert gb.get(f"{root}/{uris[0].removeprefix('../../../')}").status_code == 200

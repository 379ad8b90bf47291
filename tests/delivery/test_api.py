"""Playback API and routes: stream limits (429 and DELETE), content keys, replays, start rate."""

from __future__ import annotations

import io
import secrets
from typing import Any

import av
from fastapi.testclient import TestClient

from airwave.clock import FakeClock
from airwave.delivery import access, keys
from airwave.delivery.lookup import SessionInfo
from airwave.delivery.signing import keyring_for
from airwave.delivery.variants import derived_code
from airwave.runtime import Runtime
from airwave.store.delivery import DeliveryEvent
from airwave.store.tables import Title, User
from airwave.store.watermark import WatermarkCode
from airwave.web.app import create_app
from tests.web.conftest import Account


def _start(client: TestClient, account: Account, title: int, agent: str = "TestTV/1.0") -> Any:
    return client.post("/api/v1/playback", json={"title": title}, headers={**account.auth, "User-Agent": agent})


def test_stream_limit_answers_429_with_the_sessions_and_delete_frees_one(
    client: TestClient, viewer: Account, film: int, clock: FakeClock
) -> None:
    first = _start(client, viewer, film, "Living room TV")
    assert first.status_code == 201
    clock.advance(5)
    assert _start(client, viewer, film, "Phone").status_code == 201
    refused = _start(client, viewer, film, "Laptop")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["limit"] == 2
    assert [s["device"] for s in error["sessions"]] == ["Living room TV", "Phone"]
    assert {s["watching"] for s in error["sessions"]} == {"Night Train"}
    assert error["sessions"][0]["since"] < error["sessions"][1]["since"]
    listed = client.get("/api/v1/playback", headers=viewer.auth).json()["sessions"]
    assert len(listed) == 2
    ended = client.delete(f"/api/v1/playback/{first.json()['session_id']}", headers=viewer.auth)
    assert ended.status_code == 204
    assert _start(client, viewer, film, "Laptop").status_code == 201


def test_silent_session_loses_its_slot(client: TestClient, viewer: Account, film: int, clock: FakeClock) -> None:
    silent = _start(client, viewer, film).json()
    playing = _start(client, viewer, film).json()
    assert _start(client, viewer, film).status_code == 429
    clock.advance(60)
    assert client.post(f"/api/v1/playback/{playing['session_id']}/heartbeat", headers=viewer.auth).status_code == 204
    clock.advance(31)  # the silent one: lease_seconds + one key period without a request
    taker = _start(client, viewer, film)
    assert taker.status_code == 201
    assert client.get(silent["url"]).status_code == 403  # its playlist cannot take the slot back


def _key_and_segment(client: TestClient, url: str) -> tuple[Any, bytes, bytes]:
    base = url.rsplit("/", 1)[0]
    playlist = client.get(f"{base}/180p/index.m3u8")
    assert playlist.status_code == 200
    key_line = next(line for line in playlist.text.splitlines() if line.startswith("#EXT-X-KEY"))
    assert 'METHOD=AES-128,URI="../keys/0.key"' in key_line
    init = client.get(f"{base}/180p/init.mp4").content
    segment = client.get(f"{base}/180p/seg_00000.m4s").content
    return client.get(f"{base}/keys/0.key"), init, segment


def test_keys_decrypt_segments_and_are_refused_after_the_session_ends(
    client: TestClient, viewer: Account, film: int
) -> None:
    started = _start(client, viewer, film).json()
    key, init, segment = _key_and_segment(client, started["url"])
    assert key.status_code == 200
    assert key.headers["cache-control"] == "private, no-store"
    assert len(key.content) == 16
    assert b"moof" not in segment[:64]
    clear = keys.decrypt(segment, key.content, 0)  # IV = media sequence number 0
    frames = list(av.open(io.BytesIO(init + clear)).decode(video=0))
    assert frames
    assert frames[0].width == 160
    client.delete(f"/api/v1/playback/{started['session_id']}", headers=viewer.auth)
    again = client.get(started["url"].rsplit("/", 1)[0] + "/keys/0.key")
    assert again.status_code == 403
    assert again.content != key.content


def test_keys_refused_when_the_account_loses_its_entitlement(
    client: TestClient, viewer: Account, film: int, runtime: Runtime
) -> None:
    started = _start(client, viewer, film).json()
    assert _key_and_segment(client, started["url"])[0].status_code == 200
    with runtime.db.session() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        user.disabled = True  # what a lapsed subscription looks like to entitlements.check_playback
    assert client.get(started["url"].rsplit("/", 1)[0] + "/keys/0.key").status_code == 403


def test_replay_from_another_address_is_recorded_and_refused_when_bound(runtime: Runtime) -> None:
    session_id = secrets.token_hex(8)  # reports are deduplicated per process and session
    info = SessionInfo(session_id, 1, 1, None, "192.0.2.1", 2e9)
    assert access.check_client(runtime, info, "192.0.2.1") is None
    assert access.check_client(runtime, info, "198.51.100.7") is None  # logged only
    with runtime.db.session() as session:
        events = session.query(DeliveryEvent).all()
        assert [(e.kind, e.client_ip, e.session_id) for e in events] == [("replay", "198.51.100.7", session_id)]
    runtime.settings = runtime.settings.model_copy(update={"bind_session_ip": True})
    assert access.check_client(runtime, info, "198.51.100.7") == "session bound to another address"


def test_start_rate_limit(runtime: Runtime, viewer: Account, film: int) -> None:
    runtime.settings = runtime.settings.model_copy(update={"session_starts_per_minute": 3, "max_streams": 10})
    with TestClient(create_app(runtime)) as client:
        codes = [_start(client, viewer, film).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]


def test_a_watermarked_title_stores_the_session_code_at_start(
    client: TestClient, runtime: Runtime, viewer: Account, film: int
) -> None:
    """An edge may serve a session wholly from its cache: the code a trace needs cannot wait for a segment."""
    with runtime.db.session() as session:
        session.get_one(Title, film).watermark = True
    started = _start(client, viewer, film)
    assert started.status_code == 201
    session_id = started.json()["session_id"]
    with runtime.db.session() as session:
        row = session.get_one(WatermarkCode, session_id)
        bits = runtime.settings.watermark_code_bits
        assert (row.title_id, row.bits) == (film, bits)
        assert row.code == derived_code(keyring_for(runtime).root, session_id, bits)

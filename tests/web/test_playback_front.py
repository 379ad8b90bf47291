"""The playlist front door (``web.front``): cached media playlists answered before FastAPI, never past a check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from airwave.billing.access import SessionEntitlements
from airwave.clock import FakeClock
from airwave.delivery.limits import lease_seconds
from airwave.runtime import Runtime
from airwave.store.delivery import StreamLease
from airwave.store.tables import PlaybackSession, User
from airwave.web.app import create_app
from airwave.web.front import PlaylistFront, parse_playlist_path
from tests.web.conftest import Account

HLS = "application/vnd.apple.mpegurl"


@dataclass
class Counting:
    """The app behind the front, counting the playlist requests (paths ending in ``playlist``) that reach it."""

    app: ASGIApp
    playlist: str = "/180p/index.m3u8"
    playlists: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith(self.playlist):
            self.playlists += 1
        await self.app(scope, receive, send)


@dataclass
class Front:
    client: TestClient
    behind: Counting


@pytest.fixture
def front(runtime: Runtime) -> Iterator[Front]:
    app = create_app(runtime)
    behind = Counting(app)
    with TestClient(PlaylistFront(behind, app.state)) as client:
        yield Front(client, behind)


def _playlist_url(front: Front, viewer: Account, film: int) -> tuple[str, str]:
    started = front.client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth)
    assert started.status_code == 201, started.text
    body = started.json()
    return str(body["url"]).replace("master.m3u8", "180p/index.m3u8"), str(body["session_id"])


def test_a_refresh_is_answered_in_front_with_the_routes_bytes_and_headers(
    front: Front, viewer: Account, film: int
) -> None:
    url, _ = _playlist_url(front, viewer, film)
    first = front.client.get(url)
    assert front.behind.playlists == 1
    again = front.client.get(url)
    assert front.behind.playlists == 1  # answered from memory
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert "seg_00000.m4s" in again.text
    for answer in (first, again):
        assert answer.headers["content-type"].startswith(HLS)
        assert answer.headers["cache-control"] == "private, no-store"
        assert int(answer.headers["content-length"]) == len(answer.content)
    head = front.client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(first.content)
    assert front.behind.playlists == 1
    metrics = front.client.get("/metrics").text
    route = 'route="/p/{token}/t/{title_id}/{path}"'
    assert f'airwave_http_requests_total{{method="GET",{route},status="200"}} 2.0' in metrics


def test_tampered_expired_and_other_title_tokens_get_403_after_a_cached_answer(
    front: Front, viewer: Account, film: int, runtime: Runtime, clock: FakeClock
) -> None:
    url, _ = _playlist_url(front, viewer, film)
    assert front.client.get(url).status_code == 200
    assert front.client.get(url).status_code == 200
    token = url.split("/")[2]
    key_id, session_id, expiry, signature = token.split(".")
    flipped = f"{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    later = f"{int(expiry, 36) + 99:x}"
    for bad in (f"{key_id}.{session_id}.{expiry}.{flipped}", f"{key_id}.{session_id}.{later}.{signature}"):
        answer = front.client.get(url.replace(token, bad))
        assert answer.status_code == 403, bad
        assert "seg_00000" not in answer.text
    other_title = url.replace(f"/t/{film}/", f"/t/{film + 1}/")
    assert front.client.get(other_title).status_code == 403
    clock.advance(runtime.settings.playback_ttl_seconds + 1)
    assert front.client.get(url).status_code == 403


def test_an_ended_session_is_refused_at_once(front: Front, viewer: Account, film: int) -> None:
    url, session_id = _playlist_url(front, viewer, film)
    assert front.client.get(url).status_code == 200
    assert front.client.get(url).status_code == 200
    assert front.client.delete(f"/api/v1/playback/{session_id}", headers=viewer.auth).status_code == 204
    assert front.client.get(url).status_code == 403


def test_a_lapsed_entitlement_stops_the_session_at_its_next_refresh(
    front: Front, viewer: Account, film: int, runtime: Runtime
) -> None:
    url, _ = _playlist_url(front, viewer, film)
    assert front.client.get(url).status_code == 200
    app_state = front.client.app.state  # type: ignore[attr-defined]
    app_state.playback.entitlements = SessionEntitlements(runtime.db, runtime.clock, ttl=0)
    with runtime.db.session() as session:
        user = session.get(User, viewer.id)
        assert user is not None
        user.disabled = True  # what a lapsed subscription looks like to the entitlement decision
    refused = front.client.get(url)
    assert refused.status_code == 403
    assert "start playback again" in refused.text


def test_a_due_lease_renewal_goes_to_the_store(
    front: Front, viewer: Account, film: int, runtime: Runtime, clock: FakeClock
) -> None:
    url, session_id = _playlist_url(front, viewer, film)
    assert front.client.get(url).status_code == 200
    with runtime.db.session() as session:
        before = session.get(StreamLease, session_id)
        assert before is not None
        expires = before.expires
        row = session.get(PlaybackSession, session_id)
        assert row is not None
        quarter = lease_seconds(runtime, row) / 4
    clock.advance(quarter / 2)
    assert front.client.get(url).status_code == 200
    assert front.behind.playlists == 1  # renewed less than a quarter lease ago: answered in front
    clock.advance(quarter / 2)
    reached = front.behind.playlists
    assert front.client.get(url).status_code == 200
    assert front.behind.playlists == reached + 1  # not answered in front: the renewal needs the store
    with runtime.db.session() as session:
        after = session.get(StreamLease, session_id)
        assert after is not None
        assert after.expires > expires


def test_another_client_is_refused_when_sessions_are_bound(runtime: Runtime, viewer: Account, film: int) -> None:
    runtime.settings = runtime.settings.model_copy(update={"bind_session_ip": True})
    app = create_app(runtime)
    with TestClient(PlaylistFront(app, app.state), client=("192.0.2.1", 5000)) as owner:
        started = owner.post("/api/v1/playback", json={"title": film}, headers=viewer.auth).json()
        url = str(started["url"]).replace("master.m3u8", "180p/index.m3u8")
        assert owner.get(url).status_code == 200
        assert owner.get(url).status_code == 200
        thief = TestClient(PlaylistFront(app, app.state), client=("198.51.100.7", 5000))  # same app, no lifespan
        assert thief.get(url).status_code == 403
        assert owner.get(url).status_code == 200


def test_only_media_playlist_paths_are_taken() -> None:
    assert parse_playlist_path("/p/tok/t/42/1080p/index.m3u8") == ("tok", 42, "1080p/index.m3u8")
    for path in ("/p/tok/t/42/master.m3u8", "/p/tok/t/42/1080p/seg_1.m4s", "/p/tok/c/news/index.m3u8",
                 "/p//t/42/a.m3u8", "/p/tok/t/4x/a.m3u8", "/p/tok/t/٤٢/a.m3u8", "/p/tok/t/42"):  # fmt: skip
        assert parse_playlist_path(path) is None, path

"""Live playlist refreshes answered by the front door (``web.front``) from a rendering kept a moment, per rules."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from airwave.channels.feeds import DvrFeed
from airwave.channels.index import IndexWriter
from airwave.runtime import Runtime
from airwave.store.channels import Channel
from airwave.web import live
from airwave.web.app import create_app
from airwave.web.front import PlaylistFront, parse_channel_playlist_path
from tests.channels.test_live_delivery import DE, GB, black_out, media_url, news, settings, start
from tests.web.conftest import Account, other_viewer
from tests.web.test_playback_front import Counting

__all__ = ["news", "other_viewer", "settings"]  # fixtures


@dataclass
class Fronted:
    gb: TestClient
    de: TestClient
    behind: Counting


@pytest.fixture
def fronted(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fronted]:
    monkeypatch.setattr(live, "TEXT_SECONDS", 0.3)
    app = create_app(runtime)
    behind = Counting(app, playlist="/live.m3u8")
    with TestClient(PlaylistFront(behind, app.state), client=GB) as gb:
        yield Fronted(gb, TestClient(PlaylistFront(behind, app.state), client=DE), behind)  # one app, one lifespan


@pytest.fixture
def gb(fronted: Fronted) -> TestClient:
    """The viewer in GB (the ``news`` fixture adds the channel through it)."""
    return fronted.gb


def test_a_refresh_is_answered_in_front_and_a_new_segment_shows_within_moments(
    fronted: Fronted, viewer: Account, news: str, runtime: Runtime
) -> None:
    url = media_url(start(fronted.gb, viewer))
    first = fronted.gb.get(url)
    assert first.status_code == 200, first.text
    again = fronted.gb.get(url)
    assert fronted.behind.playlists == 1  # answered in front
    assert again.content == first.content
    assert again.headers["cache-control"] == "private, no-store"
    assert int(again.headers["content-length"]) == len(again.content)
    metrics = fronted.gb.get("/metrics").text
    assert 'airwave_http_requests_total{method="GET",route="/p/{token}/c/{slug}/{path}",status="200"} 2.0' in metrics
    _publish_next(runtime, 8)
    time.sleep(live.TEXT_SECONDS + 0.05)
    fresh = fronted.gb.get(url)
    assert fronted.behind.playlists == 2  # the kept rendering lapsed: the route rendered the new window
    assert "r1-000008.m4s" in fresh.text
    assert "r1-000008.m4s" in fronted.gb.get(url).text
    assert fronted.behind.playlists == 2


def test_each_viewer_gets_the_rendering_for_their_blackout_rules(
    fronted: Fronted, viewer: Account, other_viewer: Account, admin: Account, news: str, runtime: Runtime
) -> None:
    black_out(runtime, "GB")
    runtime.settings = runtime.settings.model_copy(update={"live_encryption": False})
    in_gb, staff_in_gb = media_url(start(fronted.gb, viewer)), media_url(start(fronted.gb, admin))
    in_de = media_url(start(fronted.de, other_viewer))
    for _ in range(3):
        assert "../blackout/live/seg_" in fronted.gb.get(in_gb).text
        assert "blackout" not in fronted.gb.get(staff_in_gb).text  # staff previews are never blacked out
        assert "blackout" not in fronted.de.get(in_de).text
    assert fronted.behind.playlists <= 4  # two renderings (GB viewers, everyone else), the rest in front


def test_a_watermarked_channel_stores_the_code_before_refreshes_are_answered_in_front(
    fronted: Fronted, viewer: Account, news: str, runtime: Runtime
) -> None:
    with runtime.db.session() as session:
        session.query(Channel).filter_by(slug="news").one().watermark = True
    url = media_url(start(fronted.gb, viewer))
    assert fronted.gb.get(url).status_code == 200
    assert fronted.behind.playlists == 1  # the route stored the session's code
    assert fronted.gb.get(url).status_code == 200
    assert fronted.behind.playlists == 1


def test_only_live_media_playlist_paths_are_taken() -> None:
    assert parse_channel_playlist_path("/p/tok/c/news/live/live.m3u8") == ("tok", "news", "live/live.m3u8")
    for path in ("/p/tok/c/news/master.m3u8", "/p/tok/c/news/live/r1-000001.m4s", "/p/tok/t/42/a/index.m3u8",
                 "/p//c/news/live/live.m3u8", "/p/tok/c//live/live.m3u8", "/p/tok/c/news/archive/1/2/live.m3u8",
                 "/p/tok/c/news/archive/x.m3u8", "/p/tok/c/news"):  # fmt: skip
        assert parse_channel_playlist_path(path) is None, path


def _publish_next(runtime: Runtime, n: int) -> None:
    """Segment ``n`` of the ``news`` fixture's run, two seconds long, as the supervisor would add it."""
    feed = DvrFeed(runtime.settings, "news")
    IndexWriter(feed.folder).append(runtime.clock.time(), 2.0, False, "r1", n, ("live",))
    (feed.folder / "live" / f"r1-{n:06d}.m4s").write_bytes(f"segment {n}".encode())

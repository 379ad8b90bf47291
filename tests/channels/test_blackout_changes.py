"""Blackouts changed while people watch, and staff previews: the API's changes reach viewers at their next
playlist refresh; admins and support see the channel itself, with a notice of what viewers there get.

The DVR store is written directly (fake segment bytes, real index) as in ``test_live_delivery``; the slate is
made by the real ffmpeg.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airwave.channels.feeds import DvrFeed
from airwave.config import Settings
from airwave.runtime import Runtime
from airwave.web.app import create_app
from tests.channels.settings import quiet_settings
from tests.channels.test_live_delivery import COUNT, GB, GEO, media_url, publish, start
from tests.web.conftest import Account, make_account

SLATE = "../blackout/live/seg_"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    geo = tmp_path / "geo.csv"
    geo.write_text(GEO)
    base = quiet_settings(tmp_path, database_url)
    return base.model_copy(update={"geoip_csv": geo, "live_encryption": False})


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


def _black_out_from(gb: TestClient, admin: Account, runtime: Runtime, seconds_ago: int) -> int:
    now = runtime.clock.now()
    body = {"start": (now - dt.timedelta(seconds=seconds_ago)).isoformat(),
            "stop": (now + dt.timedelta(hours=1)).isoformat(), "territories": ["GB"], "note": "No rights"}  # fmt: skip
    added = gb.post("/api/v1/channels/news/blackouts", json=body, headers=admin.auth)
    assert added.status_code == 201, added.text
    blackout_id: int = added.json()["id"]
    return blackout_id


def test_a_blackout_added_while_watching_reaches_the_viewer_at_the_next_refresh(
    gb: TestClient, viewer: Account, admin: Account, news: str, runtime: Runtime
) -> None:
    started = start(gb, viewer)
    before = gb.get(media_url(started))
    assert before.status_code == 200
    assert SLATE not in before.text
    blackout_id = _black_out_from(gb, admin, runtime, seconds_ago=6)
    refreshed = gb.get(media_url(started)).text  # the very next refresh, not a few seconds later
    # the live window is segments 4-7 (two seconds each, ending now): 5, 6 and 7 fall inside the blackout
    assert refreshed.count(SLATE) == 3
    assert "../live/r1-000004.m4s" in refreshed
    assert gb.delete(f"/api/v1/channels/news/blackouts/{blackout_id}", headers=admin.auth).status_code == 204
    lifted = gb.get(media_url(started)).text
    assert SLATE not in lifted
    assert "../live/r1-000007.m4s" in lifted


def test_staff_previews_are_not_blacked_out_and_say_what_viewers_get(
    gb: TestClient, viewer: Account, admin: Account, news: str, runtime: Runtime
) -> None:
    support = make_account(runtime, "support@example.org", "support")
    _black_out_from(gb, admin, runtime, seconds_ago=6)
    assert gb.get(media_url(start(gb, viewer))).text.count(SLATE) == 3
    for staff in (admin, support):
        preview = gb.get(media_url(start(gb, staff)))
        assert preview.status_code == 200
        assert SLATE not in preview.text
        assert "../live/r1-000007.m4s" in preview.text
        page = gb.get("/channel/news", headers=staff.auth)
        assert page.status_code == 200
        assert 'data-role="staff-notice"' in page.text
        assert "Blacked out in GB until 09:00 UTC: viewers there see the slate." in page.text
    viewer_page = gb.get("/channel/news", headers=viewer.auth)
    assert viewer_page.status_code == 200
    assert "staff-notice" not in viewer_page.text

"""The portal guide (/guide), the channel page's now/next strip and replay modes, and the admin schedule page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airwave.channels.epg import add_programme
from airwave.channels.programming import blocks_of, filler_ids
from airwave.channels.service import create_channel, get_channel
from airwave.channels.xmltv import XProgramme
from airwave.config import Settings
from airwave.runtime import Runtime
from tests.channels.settings import quiet_settings
from tests.web.conftest import Account
from tests.web.test_pages import hidden_token, sign_in

NOW = dt.datetime.fromtimestamp(1_800_000_000, dt.UTC)  # FakeClock: 2027-01-15 08:00 UTC


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return quiet_settings(tmp_path, database_url)  # no supervisor: no ffmpeg behind the channels


def programme(title: str, start_minutes: int, minutes: int, **fields: str) -> XProgramme:
    start = NOW + dt.timedelta(minutes=start_minutes)
    return XProgramme("", start, start + dt.timedelta(minutes=minutes), title=title, **fields)


@pytest.fixture
def guide(runtime: Runtime) -> dict[str, int]:
    """Two live channels with programmes around now (news keeps 4 h of DVR, sport 1 h)."""
    ids = {}
    with runtime.db.session() as session:
        news = create_channel(session, runtime.settings, runtime.clock, "news", name="News 24", source_url="push:rtmp",
                              number=1, dvr_hours=4)  # fmt: skip
        sport = create_channel(session, runtime.settings, runtime.clock, "sport", name="Sport One",
                               source_url="push:rtmp", number=2, dvr_hours=1)  # fmt: skip
        for name, start, minutes in (("Breakfast", -120, 60), ("Morning News", -60, 40), ("Headlines", -20, 50),
                                     ("Business", 30, 30), ("Tomorrow", 25 * 60, 30)):  # fmt: skip
            ids[name] = add_programme(session, news, programme(name, start, minutes, description=f"{name} live")).id
        for name, start, minutes in (("Match Replay", -150, 140), ("Cup Live", -10, 120)):
            ids[name] = add_programme(session, sport, programme(name, start, minutes)).id
    return ids


def test_the_guide_lays_out_channels_programmes_and_replay_actions(
    client: TestClient, viewer: Account, guide: dict[str, int]
) -> None:
    sign_in(client, viewer.email)
    page = client.get("/guide")
    assert page.status_code == 200
    html = page.text
    assert 'href="/guide" aria-current="page"' in html
    assert html.index("News 24") < html.index("Sport One")  # rows in channel-number order
    # The grid starts on the tick at or before 07:30 and runs 24 h at 6 px a minute; now is 30 min in.
    assert 'data-start="2027-01-15T07:30:00+00:00"' in html
    assert 'style="--at: 180px"' in html
    assert len(re.findall(r'class="guide__tick[ "]', html)) == 48
    by_id = {int(m[4]): (m[1], int(m[2]), int(m[3]), m[5])
             for m in re.finditer(r'class="prog prog--(\w+)[^"]*" style="left: (\d+)px; width: (\d+)px"\s+'
                                  r'data-programme="(\d+)"[^>]*data-replay="([\w-]+)"', html)}  # fmt: skip
    assert by_id[guide["Morning News"]] == ("past", 0, 60, "catch-up")  # 07:00-07:40 clipped at 07:30
    assert by_id[guide["Headlines"]] == ("now", 60, 300, "start-over")
    assert by_id[guide["Business"]] == ("next", 360, 180, "future")
    assert by_id[guide["Cup Live"]] == ("now", 120, 720, "start-over")
    assert by_id[guide["Match Replay"]] == ("past", 0, 120, "expired")  # began 05:30, before the 1 h DVR
    assert guide["Breakfast"] not in by_id  # ended before the grid
    assert guide["Tomorrow"] not in by_id  # starts after it
    assert "older than Sport One’s 1-hour catch-up window" in html


def test_a_programme_that_began_before_the_dvr_window_is_live_only(
    client: TestClient, runtime: Runtime, viewer: Account
) -> None:
    with runtime.db.session() as session:
        tiny = create_channel(session, runtime.settings, runtime.clock, "tiny", name="Tiny", source_url="push:rtmp",
                              dvr_hours=0.25)  # fmt: skip
        add_programme(session, tiny, programme("Long Film", -40, 120))
    sign_in(client, viewer.email)
    html = client.get("/guide").text
    assert 'data-replay="live-only"' in html
    assert "began before Tiny’s 0.25-hour replay window" in html


def test_the_guide_needs_an_account_and_copes_with_no_channels(client: TestClient, viewer: Account) -> None:
    response = client.get("/guide", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    sign_in(client, viewer.email)
    assert "No channels yet" in client.get("/guide").text


def test_channel_page_shows_now_next_and_starts_replays(
    client: TestClient, viewer: Account, guide: dict[str, int]
) -> None:
    sign_in(client, viewer.email)
    live = client.get("/channel/news").text
    assert 'data-mode="live"' in live
    assert re.search(r"Now</b>\s*<span[^>]*>07:40–08:30</span>\s*<strong>Headlines", live)
    assert re.search(r"Next</b>\s*<span[^>]*>08:30</span>\s*<span>Business", live)
    assert 'href="/channel/news?start_over=1" data-role="start-over"' in live
    start_over = client.get("/channel/news?start_over=1").text
    assert 'data-mode="start-over"' in start_over
    assert 'data-role="back-to-live"' in start_over
    catch_up = client.get(f"/channel/news?programme={guide['Morning News']}").text
    assert f'data-mode="catch-up" data-programme="{guide["Morning News"]}"' in catch_up
    assert client.get(f"/channel/sport?programme={guide['Morning News']}").status_code == 404  # another channel's


def test_the_playback_api_signs_the_archive_urls_the_page_asks_for(
    client: TestClient, viewer: Account, guide: dict[str, int]
) -> None:
    over = client.post("/api/v1/playback", json={"channel": "news", "start_over": True}, headers=viewer.auth)
    assert over.status_code == 201, over.text
    start, stop = NOW - dt.timedelta(minutes=20), NOW + dt.timedelta(minutes=30)
    assert over.json()["url"].endswith(f"/c/news/archive/{int(start.timestamp())}-{int(stop.timestamp())}/master.m3u8")
    expired = client.post("/api/v1/playback", json={"channel": "sport", "programme": guide["Match Replay"]},
                          headers=viewer.auth)  # fmt: skip
    assert expired.status_code == 400
    assert "catch-up window" in expired.json()["error"]["message"]


@pytest.fixture
def playout(runtime: Runtime, film: int) -> str:
    with runtime.db.session() as session:
        create_channel(session, runtime.settings, runtime.clock, "movies", name="Movies 24", kind="playout")
    return "movies"


def test_admin_schedule_page_adds_and_removes_blocks_and_fillers(
    client: TestClient, runtime: Runtime, admin: Account, playout: str, film: int
) -> None:
    sign_in(client, admin.email)
    page = client.get("/admin/channels/movies/schedule")
    assert page.status_code == 200
    assert "No fillers" in page.text
    token = hidden_token(page.text)
    form = {"csrf_token": token, "title": str(film), "start": "23:00", "minutes": "150", "days": "weekend",
            "order": "sequential"}  # fmt: skip
    added = client.post("/admin/channels/movies/schedule/blocks", data=form, follow_redirects=False)
    assert added.status_code == 303
    grid = client.get("/admin/channels/movies/schedule").text
    # Saturday and Sunday 23:00-01:30, spilling into Sunday and Monday after midnight.
    assert len(re.findall(r'data-block="\d+"', grid)) == 4
    assert "23:00–01:30" in grid
    assert "Night Train" in grid
    clash = client.post("/admin/channels/movies/schedule/blocks", data={**form, "start": "00:30", "days": "mon"})
    assert clash.status_code == 400
    assert "overlaps the block of" in clash.text
    assert 'value="00:30"' in clash.text
    bad = client.post("/admin/channels/movies/schedule/blocks", data={**form, "start": "25:00"})
    assert bad.status_code == 400
    assert "HH:MM" in bad.text
    filler = client.post("/admin/channels/movies/schedule/fillers", data={"csrf_token": token, "add": str(film)})
    assert "Fillers saved" in filler.text
    with runtime.db.session() as session:
        channel = get_channel(session, "movies")
        blocks = blocks_of(session, channel)
        assert [(b.start_minute, b.minutes, b.weekdays) for b in blocks] == [(1380, 150, 0b1100000)]
        assert filler_ids(session, channel) == [film]
    client.post(f"/admin/channels/movies/schedule/blocks/{blocks[0].id}/delete", data={"csrf_token": token})
    client.post("/admin/channels/movies/schedule/fillers", data={"csrf_token": token, "remove": str(film)})
    with runtime.db.session() as session:
        channel = get_channel(session, "movies")
        assert (blocks_of(session, channel), filler_ids(session, channel)) == ([], [])


def test_admin_schedule_forms_need_the_csrf_token_and_an_admin(
    client: TestClient, runtime: Runtime, admin: Account, viewer: Account, playout: str, film: int
) -> None:
    sign_in(client, viewer.email)
    assert client.get("/admin/channels/movies/schedule").status_code == 403
    client.cookies.clear()
    sign_in(client, admin.email)
    form = {"title": str(film), "start": "20:00", "minutes": "60", "days": "daily", "order": "sequential"}
    assert client.post("/admin/channels/movies/schedule/blocks", data=form).status_code == 403
    assert client.post("/admin/channels/movies/schedule/fillers", data={"add": str(film)}).status_code == 403
    with runtime.db.session() as session:
        channel = get_channel(session, "movies")
        assert (blocks_of(session, channel), filler_ids(session, channel)) == ([], [])


def test_a_live_channel_has_no_schedule_page(client: TestClient, admin: Account, guide: dict[str, int]) -> None:
    sign_in(client, admin.email)
    response = client.get("/admin/channels/news/schedule", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/channels"

"""Live TV through a real ``airwave serve``: the channel page plays in Chromium and zaps, the admin page shows
state and the push URL, and the signed live playlist decodes end to end with ffmpeg over HTTP."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.live import FFMPEG, make_file, wait_for
from tests.e2e.portal import ADMIN, CHROMIUM_ARGS, PASSWORD, VIEWER, add_users, airwave, free_port, serve
from tests.services import require_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
VIDEO = "document.querySelector('video')"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("live")
    data = root / "var"
    data.mkdir()
    (data / "airwave.toml").write_text(
        f'ingest_host = "127.0.0.1"\nrtmp_port = {free_port()}\nlive_segment_seconds = 1.0\n'
    )
    clip = make_file(root / "clip.mp4", seconds=4)
    add_users(data)
    airwave(data, "channel", "add", "one", "--name", "Channel One", "--source", f"file://{clip}", "--number", "1")
    airwave(data, "channel", "add", "two", "--name", "Channel Two", "--source", f"file://{clip}", "--number", "2")
    airwave(data, "channel", "add", "studio", "--name", "Studio", "--source", "push:rtmp", "--stopped")
    with serve(data) as url:
        wait_for(lambda: _states(url) == {"one": "live", "two": "live", "studio": "stopped"}, 60, "channels live")
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_channel_page_plays_live_and_zaps_to_the_next_channel(browser: Browser, base: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=base)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda reply: errors.append(f"{reply.status} {reply.url}") if reply.status >= 400 else None)
    try:
        _sign_in(page, VIEWER)
        page.goto("/channels")
        page.click("a.channel-card[data-slug=one]")
        page.wait_for_url("**/channel/one")
        page.wait_for_function(f"{VIDEO}.currentTime > 2 && !{VIDEO}.paused", timeout=30_000)
        assert page.locator("[data-role=live]").is_visible()
        page.keyboard.press("PageDown")
        page.wait_for_url("**/channel/two")
        page.wait_for_function(f"{VIDEO}.currentTime > 1 && !{VIDEO}.paused", timeout=30_000)
        page.click("[data-role=list]")
        assert page.locator(".zap-list a[aria-current=page]").inner_text().endswith("Channel Two")
    finally:
        context.close()
    assert errors == []


def test_admin_sees_state_badges_and_the_push_url(browser: Browser, base: str) -> None:
    context = browser.new_context(base_url=base)
    page = context.new_page()
    try:
        _sign_in(page, ADMIN)
        page.goto("/admin/channels")
        assert page.locator("tr[data-slug=one] [data-state]").inner_text() == "Live"
        assert page.locator("tr[data-slug=studio] [data-state]").inner_text() == "Stopped"
        page.goto("/admin/channels/studio/edit")
        assert page.locator("[data-push] code").first.inner_text().startswith("rtmp://")
        assert len(page.locator("[data-stream-key]").inner_text()) >= 20
    finally:
        context.close()


def test_the_signed_live_playlist_decodes_with_ffmpeg(base: str, tmp_path: Path) -> None:
    token = httpx.post(f"{base}/api/v1/auth/login", json={"email": VIEWER, "password": PASSWORD}).json()["token"]
    started = httpx.post(f"{base}/api/v1/playback", json={"channel": "one"},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert started.status_code == 201, started.text
    argv = [FFMPEG, "-nostdin", "-loglevel", "error", "-i", base + started.json()["url"], "-t", "3", "-f", "null", "-"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-800:]


def _sign_in(page: object, email: str) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.fill("#email", email)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/")  # type: ignore[attr-defined]


def _states(base: str) -> dict[str, str]:
    token = httpx.post(f"{base}/api/v1/auth/login", json={"email": ADMIN, "password": PASSWORD}).json()["token"]
    items = httpx.get(f"{base}/api/v1/channels", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    return {item["slug"]: item["state"] for item in items}

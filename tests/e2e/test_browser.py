"""Headless Chromium against a real ``airwave serve``: sign in, play, switch quality, resume; admin pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.e2e.portal import ADMIN, CHROMIUM_ARGS, PASSWORD, VIEWER, Portal, add_users, ingest, make_clip, serve
from tests.e2e.screenshots import SHOTS, capture
from tests.services import require_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

VIDEO = "document.querySelector('video')"
PLAYER = "document.querySelector('[data-player]')"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("browser")
    data = root / "var"
    clip = make_clip(root / "clip.mp4")
    add_users(data)
    film = ingest(data, clip, "Night Train", "--description", "A thriller on rails.", "--year", "2024",
                  "--genre", "Thriller")  # fmt: skip
    pilot = ingest(data, clip, "Pilot", "--series", "Signal Hill", "--season", "1", "--episode", "1")
    with serve(data) as base:
        yield Portal(base, data, {"film": film["id"], "series": pilot["parent_id"]})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Tab:
    """A fresh browser context and page that records console errors and uncaught exceptions."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=base)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def sign_in(self, email: str) -> None:
        self.page.goto("/login")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/")


@pytest.fixture
def tab(browser: Browser, portal: Portal) -> Iterator[Tab]:
    opened = Tab(browser, portal.base)
    yield opened
    opened.context.close()


def wait_for_playback_past(page: Page, seconds: float) -> None:
    page.wait_for_function(f"{VIDEO}.currentTime > {seconds} && !{VIDEO}.paused", timeout=20_000)


def test_subscriber_plays_switches_quality_and_resumes(tab: Tab, portal: Portal) -> None:
    page, film = tab.page, portal.titles["film"]
    tab.sign_in(VIEWER)
    page.click(f".row a.card[href='/title/{film}']")
    page.wait_for_url(f"**/title/{film}")
    assert page.text_content("h1") == "Night Train"
    page.click("[data-play]")
    page.wait_for_url(f"**/watch/{film}")
    wait_for_playback_past(page, 0.5)
    assert page.get_attribute("[data-player]", "data-state") == "playing"

    # Quality: pick the rung that is not playing now; hls.js must switch to it and playback go on.
    page.wait_for_function(f"Number({PLAYER}.dataset.level) >= 0")
    current = page.get_attribute("[data-player]", "data-level")
    levels = page.eval_on_selector_all("[data-menu=quality] li[data-value]", "items => items.map(i => i.dataset.value)")
    target = next(level for level in levels if level not in ("-1", current))
    page.click("[data-menu=quality] button")
    page.click(f"[data-menu=quality] li[data-value='{target}']")
    page.wait_for_function(
        f"{PLAYER}.dataset.level === '{target}' && {PLAYER}.dataset.levelMode === 'manual'", timeout=20_000
    )
    after_switch = page.evaluate(f"{VIDEO}.currentTime")
    wait_for_playback_past(page, after_switch + 0.5)
    assert page.get_attribute(f"[data-menu=quality] li[data-value='{target}']", "aria-checked") == "true"

    # Resume: jump to 7 s, pause (which saves progress), reload: playback starts where it stopped.
    page.evaluate(f"{VIDEO}.currentTime = 7")
    page.wait_for_function(f"{VIDEO}.currentTime >= 7")
    with page.expect_response(lambda r: "/api/v1/progress/" in r.url and r.request.method == "PUT") as saved:
        page.keyboard.press("Space")
    assert saved.value.ok
    page.reload()
    wait_for_playback_past(page, 0)
    assert page.evaluate(f"{VIDEO}.currentTime") >= 6.5

    page.goto("/")
    assert page.is_visible("#row-continue")
    assert page.is_visible(f".row a.card--progress[href='/watch/{film}'] .card__progress")
    assert tab.errors == []


def test_player_explains_why_playback_failed(tab: Tab, portal: Portal) -> None:
    login = httpx.post(f"{portal.base}/api/v1/auth/login", json={"email": ADMIN, "password": PASSWORD})
    created = httpx.post(
        f"{portal.base}/api/v1/titles",
        json={"name": "Coming Soon", "kind": "film"},
        headers={"Authorization": f"Bearer {login.json()['token']}"},
    )
    assert created.status_code == 201, created.text
    tab.sign_in(VIEWER)
    tab.page.goto(f"/watch/{created.json()['id']}")
    tab.page.wait_for_selector("[data-role=error]:not([hidden])")
    assert "no playable media" in (tab.page.text_content("[data-role=error-message]") or "")
    assert tab.page.get_attribute("[data-player]", "data-state") == "error"
    # The refused request itself is the only error the console shows.
    assert all("409" in error for error in tab.errors), tab.errors


def test_admin_sees_the_ingest_job_and_titles(tab: Tab, portal: Portal) -> None:
    page = tab.page
    tab.sign_in(ADMIN)
    page.click("nav.nav a[href='/admin']")
    page.wait_for_url("**/admin")
    page.click(".admin__nav a[href='/admin/jobs']")
    page.wait_for_url("**/admin/jobs")
    row = page.locator("tr[data-job-id]", has_text="Night Train")
    assert row.get_attribute("data-state") == "done"
    assert row.locator("[data-job-percent]").text_content() == "100%"
    page.goto("/admin/titles")
    assert page.locator("table", has_text="Night Train").is_visible()
    assert tab.errors == []


def test_every_page_renders_without_console_errors(browser: Browser, portal: Portal, tmp_path: Path) -> None:
    logins = {"viewer": (VIEWER, PASSWORD), "admin": (ADMIN, PASSWORD)}
    errors = capture(browser, portal.base, tmp_path, logins, portal.titles)
    assert errors == {shot.name: [] for shot in SHOTS}
    for shot in SHOTS:
        assert (tmp_path / f"{shot.name}.png").stat().st_size > 10_000, shot.name


def test_page_assets_are_built(portal: Portal) -> None:
    for asset in ("player.js", "site.js", "admin.js"):
        response = httpx.get(f"{portal.base}/static/build/{asset}")
        assert response.status_code == 200, f"{asset}: run `npm run build` (make does it)"

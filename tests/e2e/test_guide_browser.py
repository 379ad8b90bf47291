"""The TV guide in Chromium through a real ``airwave serve``: channels added with the CLI, programmes imported as
XMLTV around the real now; the grid renders without console errors, scrolls to now, and a click on a programme
opens its details panel with the right actions. Writes ``docs/screenshots/guide.png`` when asked
(``AIRWAVE_SCREENSHOTS=1``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.e2e.portal import CHROMIUM_ARGS, PASSWORD, VIEWER, add_users, airwave, serve
from tests.services import require_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "guide.png"
CHANNELS = [  # slug, name, group, hue, programmes (title, minutes)
    (
        "news",
        "News 24",
        "News",
        "#d7263d",
        [("World Tonight", 30), ("Business Live", 30), ("Weather", 15), ("The Briefing", 45)],
    ),
    ("sport", "Sport One", "Sport", "#1f9d55", [("Cup Football: Live", 120), ("Goals Extra", 60)]),
    ("cinema", "Cinema Max", "Films", "#7c5cff", [("Northern Lights", 105), ("Deep Blue", 95)]),
    ("kids", "Kids Club", "Kids", "#f59e0b", [("Paper Planes", 25), ("Robot Pals", 20), ("Story Time", 15)]),
    ("docs", "Discover", "Factual", "#0ea5e9", [("Planet Oceans", 60), ("Built to Last", 60)]),
    ("music", "Airwave Music", "Music", "#ec4899", [("Top 40 Countdown", 90), ("Unplugged", 60)]),
]


def _logo(folder: Path, name: str, colour: str) -> Path:
    path = folder / f"{name.split(maxsplit=1)[0].lower()}.svg"
    initials = "".join(word[0] for word in name.split())[:3]
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90"><rect width="160" height="90" rx="14" '
        f'fill="{colour}"/><text x="80" y="60" font-family="Arial, sans-serif" font-size="40" font-weight="800" '
        f'fill="#fff" text-anchor="middle">{initials}</text></svg>'
    )
    return path


def _xmltv(now: dt.datetime) -> str:
    """Each channel's programmes repeated from 3 hours ago to a day ahead."""
    stamp = "%Y%m%d%H%M%S +0000"
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>']
    parts += [f'<channel id="{slug}"><display-name>{name}</display-name></channel>' for slug, name, *_ in CHANNELS]
    for index, (slug, _name, group, _hue, shows) in enumerate(CHANNELS):
        moment = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3, minutes=5 * index)
        while moment < now + dt.timedelta(hours=27):
            for title, minutes in shows:
                stop = moment + dt.timedelta(minutes=minutes)
                parts.append(
                    f'<programme start="{moment:{stamp}}" stop="{stop:{stamp}}" channel="{slug}"><title>{title}</title>'
                    f"<desc>{title} on {_name}: the {group.lower()} programme everyone talks about.</desc>"
                    f"<category>{group}</category></programme>"
                )
                moment = stop
    return "\n".join([*parts, "</tv>"])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("guide")
    data = root / "var"
    data.mkdir()
    (data / "airwave.toml").write_text("live_supervisor = false\n")  # the guide needs no media
    add_users(data)
    for number, (slug, name, group, colour, _shows) in enumerate(CHANNELS, start=101):
        logo = _logo(root, name, colour)
        airwave(data, "channel", "add", slug, "--name", name, "--source", "push:rtmp", "--group", group,
                "--number", str(number), "--logo", str(logo), "--dvr-hours", "4")  # fmt: skip
    guide = root / "guide.xml"
    guide.write_text(_xmltv(dt.datetime.now(dt.UTC)))
    airwave(data, "epg", "import", str(guide))
    with serve(data) as url:
        yield url


def test_guide_renders_scrolls_to_now_and_opens_a_programme(base: str) -> None:
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=base)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        try:
            _sign_in(page)
            page.goto("/guide")
            page.wait_for_function("Array.from(document.images).every(image => image.complete)")
            assert page.locator(".guide__row").count() == len(CHANNELS)
            assert page.locator(".prog--now").count() == len(CHANNELS)
            assert page.evaluate("document.querySelector('[data-guide]').scrollLeft") > 0  # scrolled to now
            page.locator(".guide__row[data-channel=sport] .prog--now").click()
            panel = page.locator("[data-guide-panel]")
            panel.wait_for(state="visible")
            assert panel.locator("[data-field=title]").inner_text() == "Cup Football: Live"
            assert panel.locator("[data-action=live]").get_attribute("href") == "/channel/sport"
            assert panel.locator("[data-action=start-over]").get_attribute("href") == "/channel/sport?start_over=1"
            assert panel.locator("[data-action=catch-up]").is_hidden()
            if os.environ.get("AIRWAVE_SCREENSHOTS"):
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT))
            page.locator(".guide__row[data-channel=news] .prog--past").last.click()
            assert (
                panel.locator("[data-action=catch-up]")
                .get_attribute("href", timeout=2000)
                .startswith("/channel/news?programme=")
            )
            page.keyboard.press("Escape")
            panel.wait_for(state="hidden")
        finally:
            context.close()
            browser.close()
    assert errors == []


def _sign_in(page: Page) -> None:
    page.goto("/login")
    page.fill("#email", VIEWER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

"""Screenshots of the main pages in headless Chromium, for the README (``docs/screenshots/``) and the tests.

Run ``python -m tests.e2e.screenshots`` to seed the demo catalogue into ``var/screenshots`` with ``airwave demo``
(first run only, a few minutes) and write the PNGs into ``docs/screenshots/``. The browser tests call
:func:`capture` on their own tiny catalogue to check that every page renders without a console error.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select

from airwave.catalog.demo import ADMIN, SUBSCRIBER
from airwave.catalog.demo_channels import LIVE
from airwave.config import load_settings
from airwave.delivery.progress import save_progress
from airwave.runtime import open_runtime
from airwave.store.tables import Title, User
from tests.e2e.portal import CHROMIUM_ARGS, airwave, serve
from tests.services import CHROMIUM

VIEWPORT = {"width": 1440, "height": 900}


@dataclass(frozen=True)
class Shot:
    name: str
    role: str | None  # "viewer", "admin", or None for signed out
    path: str  # may name {film} and {series}


SHOTS = [
    Shot("login", None, "/login"),
    Shot("home", "viewer", "/"),
    Shot("title", "viewer", "/title/{film}"),
    Shot("series", "viewer", "/title/{series}"),
    Shot("player", "viewer", "/watch/{film}"),
    Shot("admin-dashboard", "admin", "/admin"),
    Shot("admin-titles", "admin", "/admin/titles"),
    Shot("admin-jobs", "admin", "/admin/jobs"),
    Shot("upload", "admin", "/admin/upload"),
]
# Pages of the demo's channels (``airwave demo``), which the browser tests' tiny catalogue does not have.
DEMO_SHOTS = [
    Shot("guide", "viewer", "/guide"),
    Shot("channel", "viewer", f"/channel/{LIVE[0]}"),
    Shot("admin-channels", "admin", "/admin/channels"),
]


def capture(
    browser: Browser,
    base: str,
    folder: Path,
    logins: dict[str, tuple[str, str]],
    titles: dict[str, int],
    shots: list[Shot] = SHOTS,
) -> dict[str, list[str]]:
    """Write one PNG per page into ``folder``; returns the console errors seen on each page."""
    folder.mkdir(parents=True, exist_ok=True)
    errors: dict[str, list[str]] = {}
    for role in (None, "viewer", "admin"):
        context = browser.new_context(viewport=VIEWPORT, base_url=base)  # type: ignore[arg-type]
        page = context.new_page()
        seen: list[str] = []
        page.on("console", lambda message, seen=seen: seen.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error, seen=seen: seen.append(f"uncaught: {error}"))
        if role is not None:
            _sign_in(page, *logins[role])
        for shot in (shot for shot in shots if shot.role == role):
            seen.clear()
            page.goto(shot.path.format(**titles))
            _settle(page, shot)
            page.screenshot(path=str(folder / f"{shot.name}.png"))
            errors[shot.name] = list(seen)
        context.close()
    return errors


def _sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def _settle(page: Page, shot: Shot) -> None:
    """Wait until the page shows what the screenshot is for."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready")
    page.wait_for_function("Array.from(document.images).every(image => image.complete)")
    if shot.name == "player":
        page.wait_for_function("document.querySelector('video').currentTime > 1.5", timeout=20_000)
        page.mouse.move(700, 450)
        page.click("[data-menu=quality] button")
        page.wait_for_selector("[data-menu=quality] [role=menu]:not([hidden])")
    if shot.name == "channel":  # a fresh server plays the slate until the source is on air
        on_air = f"fetch('/api/v1/channels/{LIVE[0]}').then(r => r.json()).then(c => c.state === 'live')"
        page.wait_for_function(on_air, timeout=90_000, polling=1000)
        page.reload()
        page.wait_for_function("document.querySelector('video').currentTime > 1.5", timeout=60_000)
        page.mouse.move(700, 450)


def seed(data: Path) -> dict[str, int]:
    """The demo catalogue (``airwave demo``) with a little viewing history; returns the film and series to show."""
    airwave(data, "demo", "--no-serve", timeout=900, env={"AIRWAVE_LADDER": "720,360"})
    runtime = open_runtime(load_settings(data=data))
    try:
        with runtime.db.session() as session:
            ids = {title.name: title.id for title in session.scalars(select(Title))}
            viewer = session.scalars(select(User).where(User.email == SUBSCRIBER[0])).one()
            for name, position, duration in (("Deep Blue", 9.0, 20.0), ("Pilot", 6.0, 12.0)):
                save_progress(session, runtime.clock, viewer.id, ids[name], position=position, duration=duration)
    finally:
        runtime.close()
    return {"film": ids["Northern Lights"], "series": ids["Signal Hill"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("var/screenshots"), help="demo data directory")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="where the PNGs go")
    args = parser.parse_args()
    titles = seed(args.data)
    logins = {"viewer": SUBSCRIBER, "admin": ADMIN}
    with serve(args.data) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        errors = capture(browser, base, args.out, logins, titles, SHOTS + DEMO_SHOTS)
        browser.close()
    for name, messages in errors.items():
        print(f"{name:16} {messages if messages else 'ok'}")


if __name__ == "__main__":
    main()

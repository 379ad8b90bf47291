"""Headless Chromium against a real ``airwave serve``: sign up, choose a plan, pay, watch; the account page;
staff pages for a support agent. Screenshots of each page go to ``docs/screenshots/`` when
``AIRWAVE_SCREENSHOTS`` names a folder (a reviewer looks at them; the test checks what it can read).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.portal import ADMIN, CHROMIUM_ARGS, PASSWORD, Portal, add_users, airwave, ingest, make_clip, serve
from tests.services import require_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

VIDEO = "document.querySelector('video')"
SUPPORT = "helpdesk@example.org"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("signup")
    data = root / "var"
    add_users(data)
    airwave(data, "plan", "add", "basic", "--name", "Basic", "--price", "7.99", "--streams", "1", "--trial-days", "7")
    airwave(data, "plan", "add", "premium", "--name", "Premium", "--price", "14.99", "--streams", "4")
    film = ingest(data, make_clip(root / "clip.mp4"), "Night Train", "--genre", "Thriller")
    with serve(data) as base:
        yield Portal(base, data, {"film": film["id"]})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, portal: Portal) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=portal.base)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == []


def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("AIRWAVE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_sign_up_choose_a_plan_and_watch(page: Page, portal: Portal) -> None:
    page.goto("/login")
    page.click("a[href='/signup']")
    page.wait_for_url("**/signup")
    shoot(page, "signup")
    page.fill("#f-email", "New.Viewer@Example.org")
    page.fill("#f-display_name", "Robin")
    page.fill("#f-password", "password123")  # too common: refused, with the reason next to the field
    page.click("button[type=submit]")
    assert "too easy to guess" in (page.text_content("#e-password") or "")
    page.fill("#f-password", "lantern river 27")
    page.click("button[type=submit]")
    page.wait_for_url("**/signup/plan")
    assert page.locator(".plan", has_text="Basic").is_visible()
    assert "7 days free" in (page.text_content(".plan:has-text('Basic')") or "")
    shoot(page, "signup-plan")
    page.click(".plan:has-text('Basic')")
    page.check("input[name=method][value=invoice]")
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_url("**/signup/done")
    assert "Your free trial has started" in (page.text_content("h1") or "")
    shoot(page, "signup-done")
    with page.expect_navigation():
        page.click("a:has-text('Start watching')")
    assert page.url == f"{portal.base}/", page.url
    page.goto(f"/title/{portal.titles['film']}")
    page.click("[data-play]")
    page.wait_for_url(f"**/watch/{portal.titles['film']}")
    page.wait_for_function(f"{VIDEO}.currentTime > 0.5 && !{VIDEO}.paused", timeout=30_000)

    page.goto("/account")
    assert "Basic" in (page.text_content(".plan-line") or "")
    assert "Free trial" in (page.text_content(".plan-line") or "")
    assert page.locator(".acct__list li", has_text="This browser").is_visible()
    shoot(page, "account")


def test_paid_plan_waits_for_the_invoice_and_support_sees_it(browser: Browser, page: Page, portal: Portal) -> None:
    page.goto("/signup")
    page.fill("#f-email", "pays.later@example.org")
    page.fill("#f-password", "lantern river 28")
    page.click("button[type=submit]")
    page.wait_for_url("**/signup/plan")
    page.click(".plan:has-text('Premium')")
    page.check("input[name=method][value=invoice]")
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_url("**/signup/done")
    assert "pending payment" in (page.text_content("h1") or "")
    page.goto("/account")
    assert page.locator(".acct__table", has_text="Pending payment").is_visible()

    airwave(portal.data, "user", "add", SUPPORT, "--password", PASSWORD, "--role", "support")
    staff = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=portal.base).new_page()
    _sign_in(staff, SUPPORT)
    staff.goto("/admin/subscribers?q=pays.later")
    staff.click("a:has-text('Open')")
    staff.wait_for_url("**/admin/subscribers/*")
    assert "Pending payment" in (staff.text_content(".acct__table") or "")
    staff.click("button:has-text('Make a reset link')")
    link = staff.input_value("[data-reset-link]")
    assert "/reset/" in link
    shoot(staff, "admin-subscriber")
    staff.goto("/admin/titles")
    assert "not allowed" in (staff.text_content("h1") or "").lower()  # support does not manage the catalogue
    staff.context.close()

    admin = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=portal.base).new_page()
    _sign_in(admin, ADMIN)
    admin.goto("/admin/audit")
    assert admin.locator("td", has_text="user.reset_link").is_visible()
    shoot(admin, "admin-audit")
    admin.context.close()


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

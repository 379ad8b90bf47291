"""The admin trace page: a capture uploaded (streamed, size-limited, CSRF-checked), traced in the background,
the verdict shown and audited; and the same flow clicked through in Chromium, with a screenshot."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import select

from airwave.cli.main import cli
from airwave.store.accounts import AuditEvent
from airwave.watermark import trace_jobs
from airwave.web.app import create_app
from tests.e2e.portal import CHROMIUM_ARGS, serve
from tests.e2e.test_trace import Stage, _pirate, stage  # noqa: F401 - the marked title and its viewers
from tests.services import require_chromium
from tests.web.conftest import PASSWORD, Account, make_account
from tests.web.test_pages import sign_in

pytestmark = pytest.mark.e2e

ADMIN = "tracer@example.org"


@pytest.fixture(scope="module")
def admin(stage: Stage) -> Account:  # noqa: F811
    return make_account(stage.runtime, ADMIN, "admin")


def _wait_done(client: TestClient, job_id: str, auth: dict[str, str]) -> dict[str, object]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = client.get(f"/admin/trace/{job_id}/status", headers=auth).json()
        if status["state"] not in ("queued", "running"):
            return dict(status)
        time.sleep(0.5)  # polling interval, bounded by the deadline
    raise AssertionError("the trace job did not finish in 240 s")


def test_upload_traces_in_the_background_and_shows_the_accused(stage: Stage, admin: Account) -> None:  # noqa: F811
    email = "one@example.org"
    capture = _pirate(stage, stage.captures[email], "pirate-page.mp4")
    with TestClient(create_app(stage.runtime)) as client:
        form = client.get("/admin/trace", headers=admin.auth)
        assert form.status_code == 200
        assert f'value="title:{stage.title}"' in form.text
        with capture.open("rb") as handle:
            started = client.post(
                "/admin/trace", headers=admin.auth, follow_redirects=False,
                data={"content": f"title:{stage.title}", "around": stage.opened.strftime("%Y-%m-%dT%H:%M")},
                files={"file": ("restream.mp4", handle, "video/mp4")},
            )  # fmt: skip
        assert started.status_code == 303, started.text
        job_id = started.headers["location"].rsplit("/", 1)[-1]
        status = _wait_done(client, job_id, admin.auth)
        assert status["state"] == "done", status
        page = client.get(f"/admin/trace/{job_id}", headers=admin.auth).text
    assert 'data-trace-verdict="accused"' in page
    accused = re.findall(r"<tr data-accused>\s*<td class=\"code\">([^<]+)</td>\s*<td>([^<]+)</td>", page)
    assert accused == [(stage.sessions[email], email)]
    assert "False-accusation bound" in page
    with stage.runtime.db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.actor_email == ADMIN)))
    assert actions.count("watermark.trace") == 1
    assert actions.count("watermark.trace_result") == 1


def test_a_forged_upload_stores_nothing(stage: Stage, admin: Account) -> None:  # noqa: F811
    folder = trace_jobs.traces_dir(stage.runtime)
    before = sorted(folder.iterdir()) if folder.is_dir() else []
    with TestClient(create_app(stage.runtime)) as client:
        sign_in(client, ADMIN)  # a cookie login: its forms need the CSRF token, which a forger does not have
        forged = client.post(
            "/admin/trace", data={"content": f"title:{stage.title}"},
            files={"file": ("x.mp4", b"\0" * 1000, "video/mp4")},
        )  # fmt: skip
    assert forged.status_code == 403
    assert (sorted(folder.iterdir()) if folder.is_dir() else []) == before


def test_missing_fields_are_named_on_the_form(stage: Stage, admin: Account) -> None:  # noqa: F811
    with TestClient(create_app(stage.runtime)) as client:
        response = client.post(
            "/admin/trace", headers=admin.auth, data={"content": "", "around": "yesterday"},
            files={"file": ("empty.mp4", b"", "video/mp4")},
        )  # fmt: skip
    assert response.status_code == 400
    assert "Choose the title or channel the capture shows." in response.text
    assert "is not a date and time" in response.text
    assert "empty.mp4 is empty" in response.text


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_trace_page_in_chromium(stage: Stage, admin: Account, browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    capture = _pirate(stage, stage.captures["two@example.org"], "pirate-browser.mp4")
    with serve(stage.runtime.settings.data) as base:
        page = browser.new_page(base_url=base, viewport={"width": 1440, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto("/login")
        page.fill("#email", ADMIN)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        page.goto("/admin/trace")
        page.select_option("#f-content", f"title:{stage.title}")
        page.set_input_files("#f-file", str(capture))
        page.click("form[action='/admin/trace'] button[type=submit]")
        page.wait_for_selector("[data-trace-verdict]", timeout=240_000)
        assert page.get_attribute("[data-trace-verdict]", "data-trace-verdict") == "accused"
        assert "two@example.org" in page.inner_text("[data-trace-sessions] tr[data-accused]")
        shot = tmp_path / "admin-trace.png"
        page.screenshot(path=str(shot), full_page=True)
        page.close()
    assert not errors, errors
    assert shot.stat().st_size > 10_000


def test_marking_cost_is_shown_for_the_title(stage: Stage, admin: Account) -> None:  # noqa: F811
    data = str(stage.runtime.settings.data)
    shown = CliRunner().invoke(cli, ["--data", data, "titles", "show", str(stage.title)])
    assert shown.exit_code == 0, shown.output
    marking = json.loads(shown.output)["watermark"]
    assert marking["renditions"] == ["180p"]
    assert marking["encode_seconds"] > 0
    assert 0 < marking["extra_bytes"] < marking["media_bytes"]
    with TestClient(create_app(stage.runtime)) as client:
        page = client.get(f"/admin/titles/{stage.title}/edit", headers=admin.auth)
    assert page.status_code == 200
    assert "s of extra encoding" in page.text
    assert "of extra storage" in page.text

"""Password resets: mailed through a real (local) SMTP server, or handed over by support; single use, expiring."""

from __future__ import annotations

import datetime as dt
import email
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from airwave.accounts import resets
from airwave.accounts.logins import issue_login, resolve_login
from airwave.accounts.users import authenticate, create_user
from airwave.clock import FakeClock
from airwave.config import load_settings
from airwave.errors import BadRequest, MailError
from airwave.runtime import Runtime, open_runtime
from tests.e2e.portal import free_port

BASE = "https://tv.example.com"


class Inbox:
    """An aiosmtpd handler keeping every mail it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _runtime(tmp_path: Path, clock: FakeClock, **settings: Any) -> Runtime:
    return open_runtime(load_settings(data=tmp_path / "var", secret_key="k", **settings), clock=clock)


def test_reset_link_is_mailed_and_works_once(tmp_path: Path, clock: FakeClock, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    runtime = _runtime(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    try:
        with runtime.db.session() as session:
            user = create_user(session, clock, email="ann@example.org", password="old password")
            login = issue_login(session, clock, user, kind="cookie", ttl=dt.timedelta(days=1))
            assert resets.request_reset(session, clock, runtime.settings, "ANN@example.org", BASE) is True
        assert handler.arrived.wait(10)
        mail = handler.messages[0]
        assert mail["To"] == "ann@example.org"
        body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
        link = next(word for word in body.split() if word.startswith(f"{BASE}/reset/"))
        token = link.rsplit("/", 1)[1]
        with runtime.db.session() as session:
            resets.complete_reset(session, clock, token, "a brand new secret")
            assert resolve_login(session, clock, login) is None  # every login ended
            assert authenticate(session, "ann@example.org", "a brand new secret").email == "ann@example.org"
        with runtime.db.session() as session, pytest.raises(BadRequest, match="expired or was already used"):
            resets.complete_reset(session, clock, token, "another new secret")
    finally:
        runtime.close()


def test_unknown_email_sends_nothing(tmp_path: Path, clock: FakeClock, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    runtime = _runtime(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    try:
        with runtime.db.session() as session:
            assert resets.request_reset(session, clock, runtime.settings, "nobody@example.org", BASE) is False
        assert handler.messages == []
    finally:
        runtime.close()


def test_mail_server_down_is_a_clear_error(tmp_path: Path, clock: FakeClock) -> None:
    runtime = _runtime(tmp_path, clock, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False)
    try:
        with runtime.db.session() as session:
            create_user(session, clock, email="ann@example.org", password="old password")
        with runtime.db.session() as session, pytest.raises(MailError, match="did not take the mail"):
            resets.request_reset(session, clock, runtime.settings, "ann@example.org", BASE)
    finally:
        runtime.close()


def test_without_mail_the_request_waits_for_support(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        user = create_user(session, clock, email="ann@example.org", password="old password")
        assert resets.request_reset(session, clock, runtime.settings, "ann@example.org", BASE) is False
        resets.request_reset(session, clock, runtime.settings, "ann@example.org", BASE)  # asking twice: one request
        request = resets.pending_request(session, user.id)
        assert request is not None
        link = resets.issue_link(session, clock, runtime.settings, user, BASE)
        assert resets.pending_request(session, user.id) is None  # answered
    token = link.rsplit("/", 1)[1]
    clock.advance(runtime.settings.reset_link_minutes * 60 + 1)
    with runtime.db.session() as session:
        assert resets.link_user(session, clock, token) is None
        with pytest.raises(BadRequest, match="expired"):
            resets.complete_reset(session, clock, token, "a brand new secret")


def test_reset_enforces_the_password_rules(runtime: Runtime, clock: FakeClock) -> None:
    with runtime.db.session() as session:
        user = create_user(session, clock, email="ann@example.org", password="old password")
        token = resets.issue_link(session, clock, runtime.settings, user, BASE).rsplit("/", 1)[1]
    with runtime.db.session() as session, pytest.raises(BadRequest, match="too easy to guess"):
        resets.complete_reset(session, clock, token, "password123")
    with runtime.db.session() as session:
        assert resets.link_user(session, clock, token) is not None  # a refused password does not use the link

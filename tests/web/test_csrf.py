"""Requests authenticated by the page cookie must carry the login's CSRF token; bearer requests need none."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from airwave.accounts.csrf import csrf_for
from airwave.accounts.logins import issue_login
from airwave.accounts.users import get_user
from airwave.runtime import Runtime
from airwave.web.deps import COOKIE_NAME, DbSession, check_csrf, csrf_token, require_user, sign_in, sign_out
from airwave.web.errors import install_error_handlers
from tests.web.conftest import Account


@pytest.fixture
def cookie(runtime: Runtime, viewer: Account) -> str:
    with runtime.db.session() as session:
        user = get_user(session, viewer.id)
        return issue_login(session, runtime.clock, user, kind="cookie", ttl=dt.timedelta(days=1))


def test_cookie_post_without_token_is_403_and_with_token_ok(
    client: TestClient, runtime: Runtime, cookie: str, film: int
) -> None:
    client.cookies.set(COOKIE_NAME, cookie)
    assert client.get("/api/v1/me").status_code == 200, "safe methods need no token"
    body = {"position": 12, "duration": 100}
    refused = client.put(f"/api/v1/progress/{film}", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    wrong = client.put(f"/api/v1/progress/{film}", json=body, headers={"X-CSRF-Token": csrf_for("other", cookie)})
    assert wrong.status_code == 403
    token = csrf_for(runtime.secret, cookie)
    assert client.put(f"/api/v1/progress/{film}", json=body, headers={"X-CSRF-Token": token}).status_code == 200
    assert client.post("/api/v1/playback", json={"title": film}).status_code == 403
    assert client.post("/api/v1/playback", json={"title": film}, headers={"X-CSRF-Token": token}).status_code == 201


def test_bearer_requests_need_no_csrf_token(client: TestClient, viewer: Account, film: int) -> None:
    answer = client.put(f"/api/v1/progress/{film}", json={"position": 1, "duration": 10}, headers=viewer.auth)
    assert answer.status_code == 200


def test_form_field_token_and_template_helper(runtime: Runtime, cookie: str) -> None:
    app = FastAPI()
    app.state.runtime = runtime

    @app.get("/form")
    def form(request: Request) -> PlainTextResponse:
        return PlainTextResponse(csrf_token(request))

    @app.post("/form", dependencies=[Depends(check_csrf)])
    def submit(request: Request) -> PlainTextResponse:
        return PlainTextResponse(require_user(request).email)

    install_error_handlers(app)
    client = TestClient(app)
    assert client.get("/form").text == "", "no token without a cookie login"
    client.cookies.set(COOKIE_NAME, cookie)
    token = client.get("/form").text
    assert token == csrf_for(runtime.secret, cookie)
    assert client.post("/form", data={"csrf_token": "nope"}).status_code == 403
    assert client.post("/form", data={"other": "x"}).status_code == 403
    answer = client.post("/form", data={"csrf_token": token})
    assert answer.status_code == 200
    assert answer.text == "viewer@example.org"


@pytest.mark.parametrize("secure", [False, True])
def test_sign_in_sets_a_hardened_cookie_and_sign_out_revokes_it(
    runtime: Runtime, viewer: Account, secure: bool
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"cookie_secure": secure})
    app = FastAPI()
    app.state.runtime = runtime

    @app.post("/in")
    def do_sign_in(request: Request, session: DbSession) -> Response:
        response = Response(status_code=204)
        sign_in(session, request, response, get_user(session, viewer.id))
        return response

    @app.post("/out")
    def do_sign_out(request: Request, session: DbSession) -> Response:
        response = Response(status_code=204)
        sign_out(session, request, response)
        return response

    @app.get("/who")
    def who(request: Request) -> PlainTextResponse:
        return PlainTextResponse(require_user(request).email)

    install_error_handlers(app)
    client = TestClient(app, base_url="https://testserver")
    header = client.post("/in").headers["set-cookie"]
    assert header.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in header
    assert "SameSite=lax" in header
    assert ("Secure" in header) is secure
    raw = client.cookies[COOKIE_NAME]
    assert client.get("/who").text == viewer.email
    client.post("/out")
    client.cookies.set(COOKIE_NAME, raw)
    assert client.get("/who").status_code != 200, "the login is revoked, not just the cookie cleared"

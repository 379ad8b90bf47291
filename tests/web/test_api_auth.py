from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from airwave.accounts.users import WRONG_LOGIN
from tests.web.conftest import PASSWORD, Account


def test_login_returns_a_bearer_token_that_works_until_logout(client: TestClient, viewer: Account) -> None:
    answer = client.post("/api/v1/auth/login", json={"email": "Viewer@Example.org", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["user"]["email"] == viewer.email
    assert body["user"]["role"] == "subscriber"
    assert dt.datetime.fromisoformat(body["expires_at"]) > dt.datetime.now(dt.UTC)
    auth = {"Authorization": f"Bearer {body['token']}"}
    me = client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200
    iptv = me.json().pop("iptv")
    assert me.json() == {**body["user"], "iptv": iptv}
    assert iptv["playlist_url"].endswith("/playlist.m3u")
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    assert client.get("/api/v1/me", headers=viewer.auth).status_code == 200, "other logins stay valid"


def test_wrong_password_and_unknown_email_get_401_with_one_message(client: TestClient, viewer: Account) -> None:
    wrong = client.post("/api/v1/auth/login", json={"email": viewer.email, "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": {"code": "unauthorized", "message": WRONG_LOGIN}}


def test_malformed_login_is_422_naming_the_field(client: TestClient) -> None:
    answer = client.post("/api/v1/auth/login", json={"email": "a@b.c"})
    assert answer.status_code == 422
    assert "password" in answer.json()["error"]["message"]


def test_garbage_bearer_token_is_401(client: TestClient) -> None:
    answer = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"

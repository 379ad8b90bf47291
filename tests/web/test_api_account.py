"""The account and subscriber APIs: sign-up, password, devices, resets, suspension, audit, lockout, rights."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airwave.accounts import rights
from airwave.catalog.titles import get_title
from airwave.runtime import Runtime
from tests.web.conftest import Account, make_account


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # The store tests run on PostgreSQL too; these HTTP tests check the web layer on SQLite.
    return f"sqlite:///{tmp_path / 'airwave.db'}"


@pytest.fixture
def support(runtime: Runtime) -> Account:
    return make_account(runtime, "support@example.org", "support")


def test_sign_up_gives_a_token_and_normalises_the_email(client: TestClient) -> None:
    made = client.post("/api/v1/account", json={"email": " New@Example.ORG ", "password": "tuesday rain 42"})
    assert made.status_code == 201
    body = made.json()
    assert body["user"]["email"] == "new@example.org"
    assert body["user"]["role"] == "subscriber"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["email"] == "new@example.org"
    again = client.post("/api/v1/account", json={"email": "new@example.org", "password": "tuesday rain 42"})
    assert again.status_code == 409
    weak = client.post("/api/v1/account", json={"email": "b@example.org", "password": "password123"})
    assert weak.status_code == 400
    assert "too easy to guess" in weak.json()["error"]["message"]


def test_password_change_ends_other_logins(client: TestClient, viewer: Account) -> None:
    phone = client.post("/api/v1/auth/login", json={"email": viewer.email, "password": "password123"}).json()
    wrong = {"current_password": "nope nope", "new_password": "a new long secret"}
    assert client.post("/api/v1/account/password", json=wrong, headers=viewer.auth).status_code == 400
    body = {"current_password": "password123", "new_password": "a new long secret"}
    assert client.post("/api/v1/account/password", json=body, headers=viewer.auth).status_code == 204
    assert client.get("/api/v1/me", headers=viewer.auth).status_code == 200  # this login stays
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone['token']}"}).status_code == 401


def test_devices_are_listed_and_signed_out_only_by_their_owner(
    client: TestClient, viewer: Account, other_viewer: Account
) -> None:
    logins = client.get("/api/v1/account/logins", headers=viewer.auth).json()
    assert [login["current"] for login in logins] == [True]
    theirs = client.get("/api/v1/account/logins", headers=other_viewer.auth).json()[0]["id"]
    assert client.delete(f"/api/v1/account/logins/{theirs}", headers=viewer.auth).status_code == 404
    assert client.get("/api/v1/me", headers=other_viewer.auth).status_code == 200
    assert client.delete(f"/api/v1/account/logins/{theirs}", headers=other_viewer.auth).status_code == 204
    assert client.get("/api/v1/me", headers=other_viewer.auth).status_code == 401


def test_reset_through_support_when_no_mail_server(client: TestClient, viewer: Account, support: Account) -> None:
    asked = client.post("/api/v1/account/password-reset", json={"email": viewer.email})
    assert asked.status_code == 202
    assert asked.json()["mailed"] is False
    listed = client.get("/api/v1/subscribers", params={"q": "viewer"}, headers=support.auth).json()["items"]
    assert listed[0]["reset_requested"] is not None
    link = client.post(f"/api/v1/subscribers/{viewer.id}/reset-link", headers=support.auth).json()["url"]
    token = link.rsplit("/", 1)[1]
    done = client.post("/api/v1/account/password-reset/complete", json={"token": token, "password": "fresh start 9"})
    assert done.status_code == 204
    assert client.get("/api/v1/me", headers=viewer.auth).status_code == 401  # every login ended
    login = client.post("/api/v1/auth/login", json={"email": viewer.email, "password": "fresh start 9"})
    assert login.status_code == 200


def test_support_suspends_and_everything_is_audited(
    client: TestClient, viewer: Account, support: Account, admin: Account
) -> None:
    assert client.post(f"/api/v1/subscribers/{viewer.id}/suspend", headers=support.auth).json()["disabled"] is True
    assert client.get("/api/v1/me", headers=viewer.auth).status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": viewer.email, "password": "password123"})
    assert login.status_code == 401
    client.post(f"/api/v1/subscribers/{viewer.id}/notes", json={"text": "Refunded 9.99 EUR"}, headers=support.auth)
    client.post(f"/api/v1/subscribers/{viewer.id}/unsuspend", headers=support.auth)
    assert client.post("/api/v1/auth/login", json={"email": viewer.email, "password": "password123"}).is_success
    assert client.post(f"/api/v1/subscribers/{admin.id}/suspend", headers=support.auth).status_code == 404
    assert client.get("/api/v1/audit", headers=support.auth).status_code == 403
    entries = client.get("/api/v1/audit", headers=admin.auth).json()["items"]
    assert [(e["action"], e["actor_email"], e["target"]) for e in entries] == [
        ("user.unsuspend", support.email, f"user:{viewer.id}"),
        ("user.note", support.email, f"user:{viewer.id}"),
        ("user.suspend", support.email, f"user:{viewer.id}"),
    ]
    assert entries[1]["detail"] == "Refunded 9.99 EUR"
    assert entries[0]["client_ip"] == "testclient"


def test_login_lockout_says_when_to_retry(client: TestClient, viewer: Account, runtime: Runtime) -> None:
    for _ in range(runtime.settings.login_max_failures):
        assert client.post("/api/v1/auth/login", json={"email": viewer.email, "password": "bad"}).status_code == 401
    locked = client.post("/api/v1/auth/login", json={"email": viewer.email, "password": "password123"})
    assert locked.status_code == 429
    assert locked.json()["error"]["message"] == "Too many attempts; try again in 15 minutes"


def test_titles_outside_their_window_vanish_for_subscribers(
    client: TestClient, runtime: Runtime, film: int, viewer: Account, admin: Account
) -> None:
    with runtime.db.session() as session:
        title = get_title(session, film)
        start = runtime.clock.now() + dt.timedelta(days=10)
        rights.set_title_rights(title, available_from=start, available_until=None, territories="")
    assert client.get(f"/api/v1/titles/{film}", headers=viewer.auth).status_code == 404
    assert film not in [t["id"] for t in client.get("/api/v1/titles", headers=viewer.auth).json()["items"]]
    assert client.get(f"/title/{film}", headers=viewer.auth).status_code == 404
    assert client.get(f"/api/v1/titles/{film}", headers=admin.auth).status_code == 200
    page = client.get("/admin/titles", headers=admin.auth)
    assert "Hidden from subscribers: licence starts" in page.text

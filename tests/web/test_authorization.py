"""Who may call what: anonymous callers get 401, subscribers never reach admin routes.

Every route of the app is covered by tests/web/test_authz_matrix.py, derived from route dependencies.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Account

# (method, OpenAPI path, json body, who may: "user" = any signed-in account, "admin" = admins only)
ROUTES = [
    ("GET", "/api/v1/me", None, "user"),
    ("GET", "/api/v1/titles", None, "user"),
    ("GET", "/api/v1/titles/{title_id}", None, "user"),
    ("POST", "/api/v1/titles", {"name": "New Series"}, "admin"),
    ("PATCH", "/api/v1/titles/{title_id}", {"year": 2001}, "admin"),
    ("GET", "/api/v1/jobs", None, "admin"),
    ("GET", "/api/v1/jobs/{job_id}", None, "admin"),
    ("GET", "/api/v1/progress/{title_id}", None, "user"),
    ("PUT", "/api/v1/progress/{title_id}", {"position": 10, "duration": 100}, "user"),
    ("POST", "/api/v1/playback", {"title": "{film}"}, "user"),
    ("DELETE", "/api/v1/playback/{session_id}", None, "user"),
    ("POST", "/api/v1/auth/logout", None, "user"),
    ("DELETE", "/api/v1/titles/{title_id}", None, "admin"),
]


def _call(client: TestClient, route: tuple[str, str, object, str], film: int, headers: dict[str, str]) -> int:
    method, path, body, _who = route
    if isinstance(body, dict):
        body = {key: (film if value == "{film}" else value) for key, value in body.items()}
    url = path.format(title_id=film, job_id=1, session_id="unknown")
    return client.request(method, url, json=body, headers=headers).status_code


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route[0]} {route[1]}")
def test_authorization_matrix(
    client: TestClient, route: tuple[str, str, object, str], film: int, viewer: Account, admin: Account
) -> None:
    assert _call(client, route, film, {}) == 401, "anonymous"
    as_viewer = _call(client, route, film, viewer.auth)
    if route[3] == "admin":
        assert as_viewer == 403, "subscriber on an admin route"
    else:
        assert as_viewer not in (401, 403), "subscriber on a subscriber route"
    assert _call(client, route, film, admin.auth) not in (401, 403), "admin"


def test_subscriber_cannot_end_another_accounts_session(
    client: TestClient, film: int, viewer: Account, other_viewer: Account
) -> None:
    started = client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth).json()
    answer = client.delete(f"/api/v1/playback/{started['session_id']}", headers=other_viewer.auth)
    assert answer.status_code == 403
    assert client.get(started["url"]).status_code == 200

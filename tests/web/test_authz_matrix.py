"""The authorization matrix over EVERY route of the app: anonymous, subscriber, support and admin.

Who may call a route is derived from its dependencies (``require_user`` / ``api_user`` = any account,
``require_staff`` / ``api_staff`` = admin or support, ``require_admin`` / ``api_admin`` = admins), so a route
added tomorrow is checked without editing this file. A route with none of them must be declared in
``PUBLIC`` with the reason it needs no account, or the first test fails and names it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from airwave.accounts.logins import issue_login
from airwave.runtime import Runtime
from airwave.store.tables import User
from airwave.web import deps
from airwave.web.api import common
from tests.web.conftest import Account, make_account

LEVELS: dict[Callable[..., Any], str] = {
    deps.require_user: "user",
    common.api_user: "user",
    deps.require_staff: "staff",
    common.api_staff: "staff",
    deps.require_admin: "admin",
    common.api_admin: "admin",
}
RANK = {"public": 0, "user": 1, "staff": 2, "admin": 3}
ROLE_REFUSALS = ("this needs an admin account", "this needs a staff account")

# Routes anyone may call, and why. Everything else must depend on one of LEVELS.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "the API description",
    ("GET", "/api/docs"): "the API explorer",
    ("GET", "/docs/oauth2-redirect"): "part of the API explorer",
    ("GET", "/healthz"): "load balancer health checks",
    ("GET", "/metrics"): "Prometheus scraping",
    ("POST", "/api/v1/auth/login"): "signing in",
    ("POST", "/api/v1/account"): "signing up",
    ("POST", "/api/v1/account/password-reset"): "forgot password",
    ("POST", "/api/v1/account/password-reset/complete"): "the reset link's token is the credential",
    ("GET", "/login"): "the sign-in page",
    ("POST", "/login"): "signing in",
    ("POST", "/logout"): "ends whatever session the cookie names",
    ("GET", "/signup"): "the sign-up page",
    ("POST", "/signup"): "signing up",
    ("GET", "/reset"): "forgot password",
    ("POST", "/reset"): "forgot password",
    ("GET", "/reset/{token}"): "the reset link's token is the credential",
    ("POST", "/reset/{token}"): "the reset link's token is the credential",
    ("GET", "/static/{path}"): "stylesheets and scripts",
    ("GET", "/api/v1/plans"): "the plans offered on the sign-up page",
    ("POST", "/api/v1/billing/stripe/webhook"): "Stripe's signature is the credential",
}
# Path prefixes whose routes carry their own credential in the URL (a signed token) or serve public art.
TOKEN_PREFIXES = ("/p/{token}/", "/iptv/{token}/", "/art/", "/logo/")
# Routes whose level is pinned here, so a changed dependency cannot quietly widen them.
PINNED: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/channels/{slug}/territories"): "staff",
    ("PUT", "/api/v1/channels/{slug}/territories"): "admin",
    ("GET", "/api/v1/channels/{slug}/blackouts"): "staff",
    ("POST", "/api/v1/channels/{slug}/blackouts"): "admin",
    ("DELETE", "/api/v1/channels/{slug}/blackouts/{blackout_id}"): "admin",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    level: str

    @property
    def url(self) -> str:
        # Any value does: authorization is decided before the id is looked up (or validated).
        return re.sub(r"\{[^}]+\}", "987654", self.path)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def endpoints(app: Any) -> Iterator[Endpoint]:
    """Every (method, path) the app answers, with the access level its dependencies demand."""
    for context in iter_route_contexts(app.routes):
        path = getattr(context, "path_format", None) or context.path
        level = _level(getattr(context, "dependant", None))
        for method in sorted(getattr(context, "methods", None) or {"GET"}):
            if method != "HEAD":
                yield Endpoint(method, path, level)


def _level(dependant: Any) -> str:
    found = "public"
    for dependency in getattr(dependant, "dependencies", []):
        level = LEVELS.get(dependency.call, _level(dependency))
        found = max(found, level, key=RANK.__getitem__)
    return found


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # Authorization does not depend on the database; SQLite keeps the matrix quick.
    return f"sqlite:///{tmp_path / 'airwave.db'}"


@pytest.fixture
def support(runtime: Runtime) -> Account:
    return make_account(runtime, "support@example.org", "support")


def test_every_route_has_a_policy(client: TestClient) -> None:
    unexplained = [
        f"{e.method} {e.path}"
        for e in endpoints(client.app)
        if e.level == "public" and (e.method, e.path) not in PUBLIC and not e.path.startswith(TOKEN_PREFIXES)
    ]
    assert not unexplained, (
        "routes without an account dependency (require_user / require_staff / require_admin or the api_* "
        f"forms); add one, or declare the route in PUBLIC with the reason it is open: {unexplained}"
    )


def test_changing_prices_plans_and_packages_needs_an_admin(client: TestClient) -> None:
    money = re.compile(r"/(plans|packages|vouchers|prices?|invoices|revenue)\b")
    loose = [
        f"{e.method} {e.path} ({e.level})"
        for e in endpoints(client.app)
        if e.method != "GET" and money.search(e.path) and e.level != "admin"
    ]
    assert not loose, f"support (or worse) could change money matters through: {loose}"


def test_pinned_routes_keep_their_level(client: TestClient) -> None:
    levels = {(e.method, e.path): e.level for e in endpoints(client.app)}
    assert {route: levels.get(route) for route in PINNED} == PINNED


def test_authorization_matrix(client: TestClient, runtime: Runtime, viewer: Account, support: Account) -> None:
    admin = make_account(runtime, "admin@example.org", "admin")
    roles = {"subscriber": viewer.id, "support": support.id, "admin": admin.id}
    problems: list[str] = []
    checked = 0
    for endpoint in endpoints(client.app):
        if endpoint.level == "public":
            continue
        checked += 1
        problems += _check(client, runtime, endpoint, None)
        for role, user_id in roles.items():
            problems += _check(client, runtime, endpoint, (role, user_id))
    assert checked > 40
    assert not problems, "\n".join(problems)


def _check(client: TestClient, runtime: Runtime, endpoint: Endpoint, who: tuple[str, int] | None) -> list[str]:
    headers = {} if who is None else {"Authorization": f"Bearer {_fresh_token(runtime, who[1])}"}
    response = client.request(endpoint.method, endpoint.url, headers=headers, follow_redirects=False)
    label = f"{endpoint.method} {endpoint.path} [{endpoint.level}] as {who[0] if who else 'anonymous'}"
    role = who[0] if who else "anonymous"
    if role == "anonymous":
        if not _unauthenticated(endpoint, response):
            return [f"{label}: expected a sign-in demand, got {response.status_code}"]
        return []
    refused = RANK[endpoint.level] > RANK[{"subscriber": "user", "support": "staff", "admin": "admin"}[role]]
    if refused and not _role_refused(response):
        return [f"{label}: expected 403 for the role, got {response.status_code} {response.text[:120]!r}"]
    if not refused and (_unauthenticated(endpoint, response) or _role_refused(response)):
        return [f"{label}: refused ({response.status_code} {response.text[:120]!r})"]
    return []


def _fresh_token(runtime: Runtime, user_id: int) -> str:
    # A new login for each call: some routes (sign-out, password change) end the login they are called with.
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return issue_login(session, runtime.clock, user, kind="bearer", ttl=dt.timedelta(hours=1))


def _unauthenticated(endpoint: Endpoint, response: httpx.Response) -> bool:
    if endpoint.is_api or endpoint.path.startswith(TOKEN_PREFIXES):
        return response.status_code == 401
    return response.status_code == 303 and response.headers.get("location", "").startswith("/login?next=")


def _role_refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and any(text in response.text.lower() for text in ROLE_REFUSALS)

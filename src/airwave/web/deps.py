"""FastAPI dependencies: the runtime, a database unit of work, who is signed in, and CSRF checks.

Two ways to be signed in:

* pages use the ``airwave_session`` cookie (HttpOnly, SameSite=Lax, Secure when ``Settings.cookie_secure``);
  state-changing requests authenticated by that cookie must carry the login's CSRF token, as the form field
  ``csrf_token`` or the header ``X-CSRF-Token`` (see :func:`check_csrf`);
* API clients send ``Authorization: Bearer <token>`` from ``POST /api/v1/auth/login``; no CSRF token needed,
  since browsers never attach it by themselves.

Use them as ``user: User = Depends(require_user)`` and ``session: DbSession``; raising ``Unauthorized``
makes the error mapper answer 401 JSON under ``/api`` and redirect pages to ``/login?next=<path>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from airwave.accounts import audit
from airwave.accounts.csrf import csrf_for, csrf_valid
from airwave.accounts.geo import client_address, territory_for
from airwave.accounts.logins import issue_login, resolve_login, revoke
from airwave.accounts.rights import Audience
from airwave.accounts.users import is_staff
from airwave.errors import CsrfFailed, Forbidden, Unauthorized
from airwave.runtime import Runtime
from airwave.store.tables import User

COOKIE_NAME = "airwave_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was created with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def db_session(request: Request) -> Iterator[Session]:
    """A unit of work for the request: committed when the endpoint returns, rolled back if it raises."""
    with get_runtime(request).db.session() as session:
        yield session


# scope="function": commit before the response is sent, so a client never sees a success that is then lost.
DbSession = Annotated[Session, Depends(db_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    """The raw token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def current_user(request: Request) -> User | None:
    """The signed-in user (bearer token first, then the session cookie), or None. Cached per request."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    user, kind, raw = None, None, None
    runtime = get_runtime(request)
    candidates = [("bearer", bearer_token(request)), ("cookie", request.cookies.get(COOKIE_NAME))]
    candidates = [(candidate_kind, token) for candidate_kind, token in candidates if token]
    if candidates:
        with runtime.db.session() as session:
            for candidate_kind, token in candidates:
                login = resolve_login(session, runtime.clock, token or "", kind=candidate_kind)
                if login is not None:
                    user, kind, raw = login.user, candidate_kind, token
                    break
    request.state.user = user
    request.state.login_kind = kind
    request.state.login_token = raw
    return user


def require_user(request: Request) -> User:
    """The signed-in user.

    Raises:
        Unauthorized: nobody is signed in (401 JSON under /api; pages redirect to /login?next=...).
    """
    user = current_user(request)
    if user is None:
        raise Unauthorized("sign in first: this needs an account")
    return user


def require_admin(request: Request) -> User:
    """The signed-in user, who must be an admin.

    Raises:
        Unauthorized: nobody is signed in.
        Forbidden: the user is not an admin.
    """
    user = require_user(request)
    if user.role != "admin":
        raise Forbidden("this needs an admin account")
    return user


def require_staff(request: Request) -> User:
    """The signed-in user, who must be staff: an admin or a support agent (subscribers' accounts, audit).

    Raises:
        Unauthorized: nobody is signed in.
        Forbidden: the user is a subscriber.
    """
    user = require_user(request)
    if not is_staff(user):
        raise Forbidden("this needs a staff account (admin or support)")
    return user


def client_ip(request: Request) -> str:
    """The client's IP address; behind ``Settings.trusted_proxies`` taken from ``X-Forwarded-For``."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.getlist("x-forwarded-for")
    return client_address(peer, forwarded, get_runtime(request).settings.trusted_proxies)


def actor(request: Request, user: User) -> audit.Actor:
    """The audit log's actor: ``user``, acting from this request's client address."""
    return audit.Actor(user, client_ip(request))


def admin_actor(request: Request) -> audit.Actor:
    """The audit log's actor on an admin page: the signed-in admin, from this request's client address."""
    return actor(request, require_admin(request))


def client_territory(request: Request) -> str | None:
    """The client's territory (ISO country code) from its IP and the GeoIP settings; None when unknown."""
    if not hasattr(request.state, "territory"):
        peer = request.client.host if request.client else ""
        request.state.territory = territory_for(get_runtime(request).settings, peer, request.headers)
    territory: str | None = request.state.territory
    return territory


def site_url(request: Request) -> str:
    """The base URL for links handed out (reset links, IPTV): ``Settings.public_url`` or this request's."""
    return (get_runtime(request).settings.public_url or str(request.base_url)).rstrip("/")


def audience(request: Request) -> Audience | None:
    """How the catalogue is filtered for this caller: by licence window and territory, or not at all (staff)."""
    if is_staff(current_user(request)):
        return None
    return Audience(get_runtime(request).clock.now(), client_territory(request))


def csrf_token(request: Request) -> str:
    """The CSRF token for forms and scripts of this cookie login; "" when not signed in by cookie."""
    current_user(request)
    if request.state.login_kind != "cookie":
        return ""
    return csrf_for(get_runtime(request).secret, request.state.login_token)


async def check_csrf(request: Request) -> None:
    """Reject a state-changing request authenticated by cookie that lacks its login's CSRF token.

    Safe methods, bearer-token requests and anonymous requests pass (the latter are refused later by
    :func:`require_user` where an account is needed).

    Raises:
        CsrfFailed: the token is missing or wrong (403).
    """
    if request.method in SAFE_METHODS:
        return
    current_user(request)
    if request.state.login_kind != "cookie":
        return
    given = request.headers.get(CSRF_HEADER, "")
    if not given and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    if not csrf_valid(get_runtime(request).secret, request.state.login_token, given):
        raise CsrfFailed("the form expired or came from another site: reload the page and try again")


def sign_in(session: Session, request: Request, response: Response, user: User) -> None:
    """Start a cookie login for ``user`` and set its cookie on ``response`` (for the /login page)."""
    runtime = get_runtime(request)
    ttl = dt.timedelta(days=runtime.settings.session_days)
    agent = request.headers.get("user-agent", "")
    raw = issue_login(session, runtime.clock, user, kind="cookie", ttl=ttl, user_agent=agent)
    response.set_cookie(
        COOKIE_NAME,
        raw,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=runtime.settings.cookie_secure,
        path="/",
    )


def sign_out(session: Session, request: Request, response: Response) -> None:
    """End the request's cookie login (if any) and clear the cookie on ``response``."""
    raw = request.cookies.get(COOKIE_NAME)
    if raw:
        revoke(session, raw)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))

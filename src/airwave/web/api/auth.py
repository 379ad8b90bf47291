"""``/api/v1/auth``: exchange an email and password for a bearer token, and give it back."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request, Response

from airwave.accounts import lockout
from airwave.accounts.logins import issue_login, revoke
from airwave.web.api.common import ApiUser, errors
from airwave.web.api.schemas import LoginIn, LoginOut, UserOut
from airwave.web.deps import COOKIE_NAME, DbSession, bearer_token, check_csrf, client_ip, get_runtime

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", responses=errors(401, 422, 429))
def login(body: LoginIn, request: Request, session: DbSession) -> LoginOut:
    """Sign in: returns a bearer token for `Authorization: Bearer <token>`."""
    runtime = get_runtime(request)
    user = lockout.sign_in(runtime, session, body.email, body.password, client_ip(request))
    ttl = dt.timedelta(days=runtime.settings.api_token_days)
    agent = request.headers.get("user-agent", "")
    token = issue_login(session, runtime.clock, user, kind="bearer", ttl=ttl, user_agent=agent)
    return LoginOut(
        token=token, expires_at=runtime.clock.now() + ttl, user=UserOut.model_validate(user, from_attributes=True)
    )


@router.post("/logout", status_code=204, responses=errors(401, 403), dependencies=[Depends(check_csrf)])
def logout(request: Request, session: DbSession, _user: ApiUser) -> Response:
    """Sign out: the token (or the page session) used for this request stops working."""
    raw = bearer_token(request) if request.state.login_kind == "bearer" else request.cookies.get(COOKIE_NAME)
    if raw:
        revoke(session, raw)
    return Response(status_code=204)

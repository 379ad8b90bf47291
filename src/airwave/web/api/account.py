"""``/api/v1/account``: sign up, profile, password change and reset, devices (logins) and active streams."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from airwave.accounts import resets
from airwave.accounts.logins import issue_login, token_hash
from airwave.accounts.mail import mail_configured
from airwave.accounts.signup import sign_up
from airwave.accounts.users import change_password, update_profile
from airwave.errors import NotFound
from airwave.store.tables import AuthToken, PlaybackSession, User
from airwave.web.api.account_schemas import (
    LoginOut,
    PasswordChangeIn,
    ProfileIn,
    ResetCompleteIn,
    ResetRequestIn,
    ResetRequestOut,
    SignupIn,
    SignupOut,
    StreamOut,
)
from airwave.web.api.common import ApiUser, errors
from airwave.web.api.schemas import UserOut
from airwave.web.deps import DbSession, check_csrf, get_runtime, site_url

router = APIRouter(prefix="/account", tags=["account"], dependencies=[Depends(check_csrf)])
RESET_SENT = "If an account exists for that email, a reset link is on its way."
RESET_ASK = "If an account exists for that email, support can now give you a reset link: contact them."


@router.post("", status_code=201, responses=errors(400, 403, 409, 422))
def create_account(body: SignupIn, request: Request, session: DbSession) -> SignupOut:
    """Sign up: create a subscriber account and return a bearer token for it. Then choose a plan."""
    runtime = get_runtime(request)
    user = sign_up(
        session,
        runtime.clock,
        runtime.settings,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
    )
    ttl = dt.timedelta(days=runtime.settings.api_token_days)
    agent = request.headers.get("user-agent", "")
    token = issue_login(session, runtime.clock, user, kind="bearer", ttl=ttl, user_agent=agent)
    return SignupOut(token=token, expires_at=runtime.clock.now() + ttl, user=_user_out(user))


@router.patch("", responses=errors(400, 401, 403, 422))
def edit_profile(body: ProfileIn, user: ApiUser, session: DbSession) -> UserOut:
    """Change the account's display name."""
    account = _own(session, user)
    update_profile(session, account, display_name=body.display_name)
    return _user_out(account)


@router.post("/password", status_code=204, responses=errors(400, 401, 403, 422))
def new_password(body: PasswordChangeIn, request: Request, user: ApiUser, session: DbSession) -> Response:
    """Change the password; every other login of the account ends, this one stays."""
    account = _own(session, user)
    change_password(session, account, current=body.current_password, new=body.new_password)
    current = _current_hash(request)
    for login in session.scalars(select(AuthToken).where(AuthToken.user_id == account.id)):
        if login.token_hash != current:
            session.delete(login)
    return Response(status_code=204)


@router.post("/password-reset", status_code=202, responses=errors(422, 500))
def request_reset(body: ResetRequestIn, request: Request, session: DbSession) -> ResetRequestOut:
    """Forgot the password: a link is mailed, or (without a mail server) support is asked to hand one over."""
    runtime = get_runtime(request)
    resets.request_reset(session, runtime.clock, runtime.settings, body.email, site_url(request))
    mailed = mail_configured(runtime.settings)
    return ResetRequestOut(mailed=mailed, message=RESET_SENT if mailed else RESET_ASK)


@router.post("/password-reset/complete", status_code=204, responses=errors(400, 422))
def complete_reset(body: ResetCompleteIn, request: Request, session: DbSession) -> Response:
    """Choose a new password with the token of a reset link; every login of the account ends."""
    resets.complete_reset(session, get_runtime(request).clock, body.token, body.password)
    return Response(status_code=204)


@router.get("/logins", responses=errors(401))
def logins(request: Request, user: ApiUser, session: DbSession) -> list[LoginOut]:
    """The devices signed in to the account (browsers and apps), newest first."""
    current = _current_hash(request)
    now = get_runtime(request).clock.now()
    statement = (
        select(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.expires_at > now)
        .order_by(AuthToken.created_at.desc(), AuthToken.id.desc())
    )
    return [
        LoginOut(
            id=login.id,
            kind="bearer" if login.kind == "bearer" else "cookie",
            user_agent=login.user_agent,
            created_at=login.created_at,
            expires_at=login.expires_at,
            current=login.token_hash == current,
        )
        for login in session.scalars(statement)
    ]


@router.delete("/logins/{login_id}", status_code=204, responses=errors(401, 403, 404))
def sign_out_device(login_id: int, user: ApiUser, session: DbSession) -> Response:
    """Sign a device out of the account (its login stops working at once)."""
    login = session.get(AuthToken, login_id)
    if login is None or login.user_id != user.id:
        raise NotFound(f"no login {login_id} on this account")
    session.delete(login)
    return Response(status_code=204)


@router.get("/streams", responses=errors(401))
def streams(request: Request, user: ApiUser, session: DbSession) -> list[StreamOut]:
    """The account's playback sessions still running (end one with `DELETE /api/v1/playback/{id}`)."""
    now = get_runtime(request).clock.now()
    statement = (
        select(PlaybackSession)
        .where(PlaybackSession.user_id == user.id, PlaybackSession.ended_at.is_(None), PlaybackSession.expires_at > now)
        .order_by(PlaybackSession.created_at.desc())
    )
    return [
        StreamOut(
            session_id=row.id,
            title_id=row.title_id,
            channel=row.channel,
            client_ip=row.client_ip,
            user_agent=row.user_agent,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )
        for row in session.scalars(statement)
    ]


def _own(session: DbSession, user: User) -> User:
    account = session.get(User, user.id)
    if account is None:
        raise NotFound("this account no longer exists")
    return account


def _current_hash(request: Request) -> str:
    raw = getattr(request.state, "login_token", None)
    return token_hash(raw) if raw else ""


def _user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)

"""``/api/v1/subscribers`` (staff: admins and support) and ``/api/v1/audit`` (admins): accounts and the log.

Every change made here is written to the audit log with who made it and from where.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from airwave.accounts import audit, resets
from airwave.accounts.users import get_user, search_users, set_suspended
from airwave.errors import NotFound
from airwave.store.tables import User
from airwave.web.api.account_schemas import (
    AuditList,
    AuditOut,
    NoteIn,
    ResetLinkOut,
    SubscriberList,
    SubscriberOut,
)
from airwave.web.api.common import ApiAdmin, ApiStaff, errors
from airwave.web.deps import DbSession, actor, check_csrf, get_runtime, site_url
from airwave.web.media import playback_of

router = APIRouter(tags=["subscribers"], dependencies=[Depends(check_csrf)])


@router.get("/subscribers", responses=errors(401, 403))
def list_subscribers(
    _staff: ApiStaff,
    session: DbSession,
    q: Annotated[str, Query(description="Text in the email or display name.")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SubscriberList:
    """Search subscriber accounts, newest first."""
    found = search_users(session, q, role="subscriber", limit=limit, offset=offset)
    return SubscriberList(items=[subscriber_out(session, user) for user in found], limit=limit, offset=offset)


@router.get("/subscribers/{user_id}", responses=errors(401, 403, 404))
def read_subscriber(user_id: int, _staff: ApiStaff, session: DbSession) -> SubscriberOut:
    """One subscriber account."""
    return subscriber_out(session, _subscriber(session, user_id))


@router.post("/subscribers/{user_id}/suspend", responses=errors(401, 403, 404))
def suspend(user_id: int, request: Request, staff: ApiStaff, session: DbSession) -> SubscriberOut:
    """Suspend: the account cannot sign in, and its logins and streams end at once."""
    return _set_suspended(request, session, staff, user_id, True)


@router.post("/subscribers/{user_id}/unsuspend", responses=errors(401, 403, 404))
def unsuspend(user_id: int, request: Request, staff: ApiStaff, session: DbSession) -> SubscriberOut:
    """Lift a suspension."""
    return _set_suspended(request, session, staff, user_id, False)


@router.post("/subscribers/{user_id}/reset-link", status_code=201, responses=errors(401, 403, 404))
def reset_link(user_id: int, request: Request, staff: ApiStaff, session: DbSession) -> ResetLinkOut:
    """Make a password reset link to hand to the subscriber (after checking who is asking)."""
    runtime = get_runtime(request)
    user = _subscriber(session, user_id)
    url = resets.issue_link(session, runtime.clock, runtime.settings, user, site_url(request))
    audit.record(session, runtime.clock, actor(request, staff), "user.reset_link", audit.user_target(user.id))
    return ResetLinkOut(url=url, expires_in_minutes=runtime.settings.reset_link_minutes)


@router.post("/subscribers/{user_id}/notes", status_code=201, responses=errors(401, 403, 404, 422))
def add_note(user_id: int, body: NoteIn, request: Request, staff: ApiStaff, session: DbSession) -> AuditOut:
    """Add a note to the account's history (a refund made, a call taken)."""
    user = _subscriber(session, user_id)
    clock = get_runtime(request).clock
    event = audit.record(session, clock, actor(request, staff), "user.note", audit.user_target(user.id), body.text)
    return AuditOut.model_validate(event, from_attributes=True)


@router.get("/audit", responses=errors(401, 403))
def audit_log(
    _admin: ApiAdmin,
    session: DbSession,
    q: Annotated[str, Query(description="Text in the actor, action, target or detail.")] = "",
    target: Annotated[str | None, Query(description='Only entries about this target, e.g. "user:42".')] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditList:
    """What admins and support did, newest first."""
    found = audit.events(session, target=target, query=q, limit=limit, offset=offset)
    items = [AuditOut.model_validate(event, from_attributes=True) for event in found]
    return AuditList(items=items, limit=limit, offset=offset)


def subscriber_out(session: DbSession, user: User) -> SubscriberOut:
    """A subscriber as staff see it."""
    request = resets.pending_request(session, user.id)
    return SubscriberOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role="subscriber",
        created_at=user.created_at,
        disabled=user.disabled,
        reset_requested=request.created_at if request is not None else None,
    )


def _set_suspended(request: Request, session: DbSession, staff: User, user_id: int, value: bool) -> SubscriberOut:
    runtime = get_runtime(request)
    user = _subscriber(session, user_id)
    for ended in set_suspended(session, runtime.clock, user, value):
        playback_of(request).lookup.forget_session(ended)
    action = "user.suspend" if value else "user.unsuspend"
    audit.record(session, runtime.clock, actor(request, staff), action, audit.user_target(user.id), user.email)
    return subscriber_out(session, user)


def _subscriber(session: DbSession, user_id: int) -> User:
    # Staff manage subscribers only: another staff account is not theirs to suspend or reset.
    user = get_user(session, user_id)
    if user.role != "subscriber":
        raise NotFound(f"no subscriber with id {user_id}")
    return user

"""Staff pages (admins and support): subscribers (search, suspend, reset link, notes) and, for admins, the audit log.

Support agents reach these pages and nothing else under /admin: prices, plans and the catalogue stay with
admins. Every change is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import audit, resets
from airwave.accounts.mail import mail_configured
from airwave.accounts.users import get_user, search_users, set_suspended
from airwave.errors import BadRequest, NotFound
from airwave.store.tables import User
from airwave.web import deps
from airwave.web.media import playback_of
from airwave.web.pages.account_view import account_page
from airwave.web.pages.rendering import redirect, render

router = APIRouter(dependencies=[Depends(deps.require_staff), Depends(deps.check_csrf)])
Staff = Annotated[User, Depends(deps.require_staff)]
PAGE_SIZE = 50


@router.get("/admin/subscribers")
def subscriber_list(request: Request, q: str = "", page: int = 1) -> Response:
    """Subscribers, newest first; search by email or name."""
    page = max(1, page)
    with deps.get_runtime(request).db.session() as session:
        found = search_users(session, q, role="subscriber", limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        requests = {user.id: resets.pending_request(session, user.id) for user in found[:PAGE_SIZE]}
        context = {
            "rows": found[:PAGE_SIZE], "requests": requests, "q": q, "page": page,
            "has_next": len(found) > PAGE_SIZE, "section": "subscribers",
        }  # fmt: skip
        return render(request, "admin/subscribers.html", context)


@router.get("/admin/subscribers/{user_id}")
def subscriber_page(request: Request, user_id: int) -> Response:
    """One subscriber: plan, invoices, devices, streams, history, and the staff actions."""
    return _page(request, user_id)


@router.post("/admin/subscribers/{user_id}/suspend")
def suspend(request: Request, user_id: int, staff: Staff) -> Response:
    """Suspend: the subscriber is signed out everywhere, and their streams stop."""
    return _suspend(request, user_id, staff, True)


@router.post("/admin/subscribers/{user_id}/unsuspend")
def unsuspend(request: Request, user_id: int, staff: Staff) -> Response:
    """Lift a suspension."""
    return _suspend(request, user_id, staff, False)


@router.post("/admin/subscribers/{user_id}/reset-link")
def reset_link(request: Request, user_id: int, staff: Staff) -> Response:
    """Make a reset link and show it once, to hand to the subscriber."""
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        user = _subscriber(session, user_id)
        link = resets.issue_link(session, runtime.clock, runtime.settings, user, deps.site_url(request))
        audit.record(session, runtime.clock, deps.actor(request, staff), "user.reset_link", audit.user_target(user.id))
    return _page(request, user_id, reset_link=link)


@router.post("/admin/subscribers/{user_id}/note")
def add_note(request: Request, user_id: int, staff: Staff, text: str = Form("")) -> Response:
    """Add a note (a refund made, a call taken) to the subscriber's history."""
    if not text.strip():
        return _page(request, user_id, note_error="Write the note first.", status=400)
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        user = _subscriber(session, user_id)
        target = audit.user_target(user.id)
        audit.record(session, runtime.clock, deps.actor(request, staff), "user.note", target, text.strip())
    return redirect(request, f"/admin/subscribers/{user_id}#history", "Note added.")


@router.get("/admin/audit", dependencies=[Depends(deps.require_admin)])
def audit_page(request: Request, q: str = "", page: int = 1) -> Response:
    """The audit log (admins only): who did what, to whom, when and from where."""
    page = max(1, page)
    with deps.get_runtime(request).db.session() as session:
        found = audit.events(session, query=q, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        context = {"events": found[:PAGE_SIZE], "q": q, "page": page, "has_next": len(found) > PAGE_SIZE}
        return render(request, "admin/audit.html", {**context, "section": "audit"})


def _suspend(request: Request, user_id: int, staff: User, value: bool) -> Response:
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            user = _subscriber(session, user_id)
            ended = set_suspended(session, runtime.clock, user, value)
            action = "user.suspend" if value else "user.unsuspend"
            target = audit.user_target(user.id)
            audit.record(session, runtime.clock, deps.actor(request, staff), action, target, user.email)
            email = user.email
    except BadRequest as exc:
        return redirect(request, f"/admin/subscribers/{user_id}", exc.message, "error")
    for session_id in ended:
        playback_of(request).lookup.forget_session(session_id)
    message = f"{email} is suspended and signed out everywhere." if value else f"{email} can sign in again."
    return redirect(request, f"/admin/subscribers/{user_id}", message)


def _page(request: Request, user_id: int, *, reset_link: str = "", note_error: str = "", status: int = 200) -> Response:
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        user = _subscriber(session, user_id)
        context = {
            "subscriber": user, "page": account_page(session, user, runtime.clock.now(), "", deps.site_url(request)),
            "history": audit.events(session, target=audit.user_target(user.id), limit=50),
            "reset_request": resets.pending_request(session, user.id), "reset_link": reset_link,
            "reset_minutes": runtime.settings.reset_link_minutes, "mail": mail_configured(runtime.settings),
            "note_error": note_error, "section": "subscribers",
        }  # fmt: skip
        return render(request, "admin/subscriber.html", context, status=status)


def _subscriber(session: Session, user_id: int) -> User:
    user = get_user(session, user_id)
    if user.role != "subscriber":
        raise NotFound(f"no subscriber with id {user_id}")
    return user

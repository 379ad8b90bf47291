"""``/account``: the subscriber's own page (plan, invoices, devices, streams, IPTV links, name, password)."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from airwave.accounts.logins import token_hash
from airwave.accounts.users import change_password, update_profile
from airwave.billing import changes
from airwave.billing.money import long_date
from airwave.billing.subscriptions import current_subscription
from airwave.delivery.playback import end_session
from airwave.errors import BadRequest, ClientError, NotFound
from airwave.store.tables import AuthToken, User
from airwave.web import deps
from airwave.web.api.billing_providers import stripe_for
from airwave.web.media import playback_of
from airwave.web.pages.account_view import account_page
from airwave.web.pages.rendering import redirect, render

router = APIRouter(dependencies=[Depends(deps.check_csrf)])
Member = Annotated[User, Depends(deps.require_user)]


@router.get("/account")
def account(request: Request, user: Member) -> Response:
    """The account page."""
    return _page(request, user, {}, {})


@router.post("/account/profile")
def save_profile(request: Request, user: Member, display_name: str = Form("")) -> Response:
    """Change the display name."""
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            update_profile(session, _own(session, user), display_name=display_name)
    except BadRequest as exc:
        return _page(request, user, {"display_name": display_name}, {"display_name": _sentence(exc.message)}, 400)
    return redirect(request, "/account", "Your name is saved.")


@router.post("/account/password")
def save_password(
    request: Request, user: Member, current_password: str = Form(""), new_password: str = Form("")
) -> Response:
    """Change the password; every other device is signed out, this browser stays signed in."""
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            account = _own(session, user)
            change_password(session, account, current=current_password, new=new_password)
            keep = token_hash(request.state.login_token or "")
            for login in session.scalars(select(AuthToken).where(AuthToken.user_id == account.id)):
                if login.token_hash != keep:
                    session.delete(login)
    except BadRequest as exc:
        field = "current_password" if "current" in exc.message else "new_password"
        return _page(request, user, {}, {field: _sentence(exc.message)}, 400)
    return redirect(request, "/account", "Password changed. Your other devices are signed out.")


@router.post("/account/devices/{login_id}/sign-out")
def sign_out_device(request: Request, user: Member, login_id: int) -> Response:
    """Sign one device out of the account."""
    with deps.get_runtime(request).db.session() as session:
        login = session.get(AuthToken, login_id)
        if login is None or login.user_id != user.id:
            return redirect(request, "/account", "That device was already signed out.", "info")
        session.delete(login)
    return redirect(request, "/account", "The device is signed out.")


@router.post("/account/streams/{session_id}/stop")
def stop_stream(request: Request, user: Member, session_id: str) -> Response:
    """Stop one of the account's streams (its player stops at its next request)."""
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            end_session(session, runtime.clock, session_id, user)
    except NotFound:
        return redirect(request, "/account", "That stream had already ended.", "info")
    playback_of(request).lookup.forget_session(session_id)
    return redirect(request, "/account", "The stream is stopped.")


@router.post("/account/subscription/cancel")
def cancel_subscription(request: Request, user: Member) -> Response:
    """Cancel at the end of the paid period (at once when payment is overdue)."""
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            sub = _live_subscription(session, user)
            changes.cancel(session, sub, runtime.clock.now(), stripe_for(request))
            until = long_date(sub.period_end) if sub.cancel_at_period_end else ""
    except ClientError as exc:
        return redirect(request, "/account", _sentence(exc.message), "error")
    if until:
        return redirect(request, "/account", f"Cancelled. You can watch until {until}; nothing more is charged.")
    return redirect(request, "/account", "Cancelled. Nothing more is charged.")


@router.post("/account/subscription/resume")
def resume_subscription(request: Request, user: Member) -> Response:
    """Undo a pending cancellation or downgrade."""
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            sub = _live_subscription(session, user)
            changes.resume(session, sub, runtime.clock.now(), stripe_for(request))
            message = f"You keep {sub.plan.name}; it renews on {long_date(sub.period_end)}."
    except ClientError as exc:
        return redirect(request, "/account", _sentence(exc.message), "error")
    return redirect(request, "/account", message)


@router.post("/account/billing-portal")
def billing_portal(request: Request, user: Member) -> Response:
    """Off to Stripe's billing portal (card, receipts, plan); it comes back to this page."""
    stripe = stripe_for(request)
    try:
        with deps.get_runtime(request).db.session() as session:
            sub = _live_subscription(session, user)
            if stripe is None or sub.provider != "stripe":
                return redirect(request, "/account", "Your invoices are listed on this page.", "info")
            url = stripe.portal_url(sub, f"{deps.site_url(request)}/account")
    except ClientError as exc:
        return redirect(request, "/account", _sentence(exc.message), "error")
    return RedirectResponse(url, status_code=303)


@router.post("/account/iptv/regenerate")
def regenerate_iptv(request: Request, user: Member) -> Response:
    """New IPTV links; the old ones stop working (apps must be given the new playlist URL)."""
    try:
        iptv: Any = importlib.import_module("airwave.channels.iptv")
    except ImportError:
        return redirect(request, "/account", "IPTV links are not offered by this service.", "info")
    with deps.get_runtime(request).db.session() as session:
        iptv.regenerate(session, _own(session, user))
    return redirect(request, "/account#iptv", "New IPTV links made; the old ones no longer work.")


def _page(request: Request, user: User, form: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    runtime = deps.get_runtime(request)
    raw = request.state.login_token if request.state.login_kind == "cookie" else ""
    with runtime.db.session() as session:
        page = account_page(session, user, runtime.clock.now(), raw or "", deps.site_url(request))
        context = {"page": page, "form": {"display_name": user.display_name, **form}, "errors": errors}
        return render(request, "account.html", {**context, "section": "account"}, status=status)


def _own(session: Any, user: User) -> User:
    account: User | None = session.get(User, user.id)
    if account is None:
        raise NotFound("this account no longer exists")
    return account


def _live_subscription(session: Any, user: User) -> Any:
    """The account's subscription.

    Raises:
        NotFound: it never subscribed.
    """
    sub = current_subscription(session, user.id)
    if sub is None:
        raise NotFound("you have no subscription: choose a plan first")
    return sub


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")

"""Forgotten passwords: ``/reset`` asks for the email; ``/reset/{token}`` (the link) sets a new password."""

from __future__ import annotations

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import resets
from airwave.accounts.mail import mail_configured
from airwave.errors import BadRequest, MailError
from airwave.web import deps
from airwave.web.pages.rendering import redirect
from airwave.web.pages.visitor_forms import EXPIRED, form_token_valid, render_form

router = APIRouter()


@router.get("/reset")
def forgot_form(request: Request) -> Response:
    """Ask for the email of the account whose password was forgotten."""
    return render_form(request, "reset_request.html", {"email": "", "error": "", "sent": None})


@router.post("/reset")
def forgot(request: Request, email: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Mail a link (or, without a mail server, ask support to hand one over); the answer never says
    whether the account exists."""
    if not form_token_valid(request, csrf_token):
        return render_form(request, "reset_request.html", {"email": email, "error": EXPIRED, "sent": None}, status=403)
    if not email.strip():
        context = {"email": email, "error": "Enter the email of your account.", "sent": None}
        return render_form(request, "reset_request.html", context, status=400)
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            resets.request_reset(session, runtime.clock, runtime.settings, email, deps.site_url(request))
    except MailError:
        error = "We could not send the mail just now. Please try again in a few minutes."
        return render_form(request, "reset_request.html", {"email": email, "error": error, "sent": None}, status=503)
    sent = "mail" if mail_configured(runtime.settings) else "support"
    return render_form(request, "reset_request.html", {"email": email.strip(), "error": "", "sent": sent})


@router.get("/reset/{token}")
def reset_form(request: Request, token: str) -> Response:
    """The page a reset link opens: choose a new password (or learn that the link has expired)."""
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        user = resets.link_user(session, runtime.clock, token)
        email = user.email if user is not None else ""
    context = {"token": token, "email": email, "error": "" if user else resets.EXPIRED.capitalize() + "."}
    return render_form(request, "reset_form.html", context, status=200 if user else 410)


@router.post("/reset/{token}")
def reset(
    request: Request, token: str, password: str = Form(""), confirm: str = Form(""), csrf_token: str = Form("")
) -> Response:
    """Set the new password; every login of the account ends, and the person signs in afresh."""
    runtime = deps.get_runtime(request)
    with runtime.db.session() as session:
        user = resets.link_user(session, runtime.clock, token)
        email = user.email if user is not None else ""
    context = {"token": token, "email": email, "error": ""}
    if not form_token_valid(request, csrf_token):
        return render_form(request, "reset_form.html", {**context, "error": EXPIRED}, status=403)
    if password != confirm:
        return render_form(request, "reset_form.html", {**context, "error": "The two passwords differ."}, status=400)
    try:
        with runtime.db.session() as session:
            resets.complete_reset(session, runtime.clock, token, password)
    except BadRequest as exc:
        return render_form(request, "reset_form.html", {**context, "error": _sentence(exc.message)}, status=400)
    return redirect(request, "/login", "Your password is changed. Sign in with the new one.")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")

"""Signing in and out of the web pages (cookie sessions)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import lockout
from airwave.catalog.titles import list_titles
from airwave.errors import TooManyRequests, Unauthorized
from airwave.web import deps
from airwave.web.pages.rendering import art_url, redirect, render

router = APIRouter()

# Before signing in there is no login to tie a CSRF token to: the form carries a random value that must
# match this cookie (double submit), so another site cannot sign a browser into an account of its choosing.
LOGIN_CSRF_COOKIE = "airwave_login_csrf"
MOSAIC_TILES = 36


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in page; someone already signed in goes straight on."""
    if deps.current_user(request) is not None:
        return redirect(request, safe_next(next))
    return _login_page(request, next=next)


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/"),
) -> Response:
    """Check the email and password; on success start a cookie session and continue to ``next``."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            next=next,
            email=email,
            status=403,
            error="This sign-in form expired. Please enter your details again.",
        )
    if not email.strip() or not password:
        return _login_page(request, next=next, email=email, status=400, error="Enter your email and password.")
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            user = lockout.sign_in(runtime, session, email, password, deps.client_ip(request))
            response = redirect(request, safe_next(next))
            deps.sign_in(session, request, response, user)
    except TooManyRequests as exc:
        return _login_page(request, next=next, email=email, status=429, error=f"{exc.message}.")
    except Unauthorized:
        return _login_page(
            request,
            next=next,
            email=email,
            status=401,
            error="That email and password do not match an account. Check them and try again.",
        )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[Depends(deps.check_csrf)])
def logout(request: Request) -> Response:
    """End this browser's session."""
    with deps.get_runtime(request).db.session() as session:
        response = redirect(request, "/login", "You are signed out.", "info")
        deps.sign_out(session, request, response)
    return response


def safe_next(target: str) -> str:
    """Only a path on this site may follow sign-in (no ``//host`` or ``/\\host`` open redirects)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target or "\r" in target:
        return "/"
    return target


def _login_page(request: Request, *, next: str, email: str = "", error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    with deps.get_runtime(request).db.session() as session:
        titles = [*list_titles(session, limit=40), *list_titles(session, kind="episode", limit=40)]
        art = [url for title in titles if (url := art_url(title))]
    mosaic = [art[i % len(art)] for i in range(MOSAIC_TILES)] if art else []
    context = {"next": safe_next(next), "email": email, "error": error, "login_csrf": token, "mosaic": mosaic}
    response = render(request, "login.html", context, status=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=deps.get_runtime(request).settings.cookie_secure,
    )
    return response

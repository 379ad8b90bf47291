"""Forms for visitors who are not signed in yet (sign-up, forgot password): CSRF by double submit.

With no login to tie a token to, the form carries a random value that must equal a cookie set with it, so
another site cannot post these forms from a visitor's browser (and, say, sign it into an account of its own).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from airwave.web import deps
from airwave.web.pages.rendering import render

COOKIE = "airwave_form_csrf"
EXPIRED = "This form expired. Please enter your details again."


def render_form(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """Render a visitor form with a fresh token in ``form_csrf`` and the matching cookie."""
    token = secrets.token_urlsafe(24)
    response = render(request, template, {**context, "form_csrf": token}, status=status)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=deps.get_runtime(request).settings.cookie_secure,
    )
    return response


def form_token_valid(request: Request, given: str) -> bool:
    """Whether the posted ``csrf_token`` matches this browser's cookie."""
    expected = request.cookies.get(COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, given)

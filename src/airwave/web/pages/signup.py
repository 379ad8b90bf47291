"""Sign-up, step one: a visitor creates an account (email, name, password) and is signed in.

Then ``/signup/plan`` (web/pages/checkout.py) lets them choose a plan and pay, and they watch.
"""

from __future__ import annotations

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts.signup import sign_up
from airwave.errors import BadRequest, Conflict, Forbidden
from airwave.web import deps
from airwave.web.pages.rendering import redirect
from airwave.web.pages.visitor_forms import EXPIRED, form_token_valid, render_form

router = APIRouter()
NEXT_STEP = "/signup/plan"


@router.get("/signup")
def signup_form(request: Request) -> Response:
    """The sign-up form; someone signed in goes on to choosing a plan."""
    if deps.current_user(request) is not None:
        return redirect(request, NEXT_STEP)
    return _page(request, {})


@router.post("/signup")
def signup(
    request: Request,
    email: str = Form(""),
    display_name: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Create the account and sign in, or show the form again with what to fix."""
    form = {"email": email, "display_name": display_name}
    if not form_token_valid(request, csrf_token):
        return _page(request, form, {"form": EXPIRED}, status=403)
    errors = {key: "Fill this in." for key, value in (("email", email), ("password", password)) if not value.strip()}
    if errors:
        return _page(request, form, errors, status=400)
    runtime = deps.get_runtime(request)
    try:
        with runtime.db.session() as session:
            user = sign_up(
                session, runtime.clock, runtime.settings, email=email, password=password, display_name=display_name
            )
            response = redirect(request, NEXT_STEP, f"Welcome, {user.display_name}! Now choose your plan.")
            deps.sign_in(session, request, response, user)
    except Conflict as exc:
        return _page(request, form, {"email": _sentence(exc.message)}, status=409)
    except Forbidden as exc:
        return _page(request, form, {"form": _sentence(exc.message)}, status=403)
    except BadRequest as exc:
        field = "password" if "password" in exc.message else ("email" if "email" in exc.message else "display_name")
        return _page(request, form, {field: _sentence(exc.message)}, status=400)
    return response


def _page(request: Request, form: dict[str, str], errors: dict[str, str] | None = None, status: int = 200) -> Response:
    settings = deps.get_runtime(request).settings
    context = {"form": form, "errors": errors or {}, "open": settings.signup_open}
    return render_form(request, "signup.html", context, status=status)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")

"""Sign-up: a visitor creates their own subscriber account (then chooses a plan and pays, see billing/)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from airwave.accounts.passwords import check_new_password
from airwave.accounts.users import create_user, find_user, normalise_email
from airwave.clock import Clock
from airwave.config import Settings
from airwave.errors import BadRequest, Conflict, Forbidden
from airwave.store.tables import User


def sign_up(
    session: Session, clock: Clock, settings: Settings, *, email: str, password: str, display_name: str = ""
) -> User:
    """Create a subscriber account from the sign-up form or ``POST /api/v1/account``.

    The email is normalised (trimmed, lower case) and must not be taken; the password must pass the rules
    for chosen passwords (:func:`airwave.accounts.passwords.check_new_password`).

    Raises:
        Forbidden: the operator closed sign-up (``Settings.signup_open``).
        BadRequest: the email, password or name is not acceptable (the message says which).
        Conflict: an account with this email exists already.
    """
    if not settings.signup_open:
        raise Forbidden("sign-up is closed: ask the operator for an account")
    email = normalise_email(email)
    if find_user(session, email) is not None:
        raise Conflict(f"an account for {email} exists already: sign in, or reset its password")
    check_new_password(password, email)
    name = " ".join(display_name.split())
    if len(name) > 200:
        raise BadRequest("the display name must be at most 200 characters")
    return create_user(session, clock, email=email, password=password, role="subscriber", display_name=name)

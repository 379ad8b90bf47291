"""User accounts: creating them, finding them, and checking a password at sign-in."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from airwave.accounts.passwords import DUMMY_HASH, check_strength, hash_password, needs_rehash, verify_password
from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict, NotFound, Unauthorized
from airwave.store.tables import User

ROLES = ("admin", "subscriber")
WRONG_LOGIN = "wrong email or password"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def normalise_email(email: str) -> str:
    """Return the canonical (trimmed, lower-case) form of an email address.

    Raises:
        BadRequest: it does not look like an email address.
    """
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise BadRequest(f"{email!r} is not an email address")
    return email


def create_user(
    session: Session, clock: Clock, *, email: str, password: str, role: str = "subscriber", display_name: str = ""
) -> User:
    """Create an account.

    Raises:
        BadRequest: the email, password or role is not acceptable.
        Conflict: an account with this email exists already.
    """
    email = normalise_email(email)
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    check_strength(password)
    if find_user(session, email) is not None:
        raise Conflict(f"an account for {email} exists already")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name.strip() or email.split("@")[0],
        disabled=False,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    """Return the account with this email (any case), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def get_user(session: Session, user_id: int) -> User:
    """Return the account with this id.

    Raises:
        NotFound: there is none.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    """Every account, oldest first."""
    return list(session.scalars(select(User).order_by(User.id)))


def set_password(session: Session, user: User, password: str) -> None:
    """Replace the password of ``user``.

    Raises:
        BadRequest: the password is too weak.
    """
    check_strength(password)
    user.password_hash = hash_password(password)
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the account whose email and password these are.

    The same message answers an unknown email, a wrong password and a disabled account, so the answer does
    not reveal which accounts exist.

    Raises:
        Unauthorized: the email and password do not match an enabled account.
    """
    user = find_user(session, email)
    if user is None:
        verify_password(DUMMY_HASH, password)
        raise Unauthorized(WRONG_LOGIN)
    if not verify_password(user.password_hash, password) or user.disabled:
        raise Unauthorized(WRONG_LOGIN)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user

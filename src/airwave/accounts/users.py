"""User accounts: creating them, finding them, and checking a password at sign-in."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from airwave.accounts.passwords import (
    DUMMY_HASH,
    check_new_password,
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict, NotFound, Unauthorized
from airwave.store.tables import AuthToken, PlaybackSession, User

ROLES = ("admin", "support", "subscriber")
STAFF = frozenset({"admin", "support"})
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


def is_staff(user: User | None) -> bool:
    """Admins and support agents: they may see subscribers' accounts."""
    return user is not None and user.role in STAFF


def update_profile(session: Session, user: User, *, display_name: str) -> None:
    """Change how the account is named on screen.

    Raises:
        BadRequest: the name is empty or longer than 200 characters.
    """
    name = " ".join(display_name.split())
    if not name:
        raise BadRequest("enter a display name")
    if len(name) > 200:
        raise BadRequest("the display name must be at most 200 characters")
    user.display_name = name
    session.flush()


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    """Replace the password after checking the current one; every other login should then be ended.

    Raises:
        BadRequest: ``current`` is not the account's password.
        BadRequest: ``new`` breaks the password rules.
    """
    if not verify_password(user.password_hash, current):
        raise BadRequest("the current password is not right")
    check_new_password(new, user.email)
    user.password_hash = hash_password(new)
    session.flush()


def search_users(
    session: Session, query: str = "", *, role: str | None = None, limit: int = 50, offset: int = 0
) -> list[User]:
    """Accounts whose email or display name contains ``query`` (any case), newest first."""
    statement = select(User)
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(func.lower(User.email).like(pattern), func.lower(User.display_name).like(pattern))
        )
    if role is not None:
        statement = statement.where(User.role == role)
    statement = statement.order_by(User.id.desc()).limit(max(1, min(limit, 500))).offset(max(0, offset))
    return list(session.scalars(statement))


def set_suspended(session: Session, clock: Clock, user: User, suspended: bool) -> list[str]:
    """Suspend an account (it cannot sign in; its logins and playback sessions end at once) or lift that.

    Returns the ids of the playback sessions ended, so the caller can drop them from its caches.

    Raises:
        BadRequest: an attempt to suspend an admin (make it a subscriber first).
    """
    if suspended and user.role == "admin":
        raise BadRequest("admins cannot be suspended: make the account a subscriber first")
    user.disabled = suspended
    ended: list[str] = []
    if suspended:
        session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
        live = select(PlaybackSession).where(PlaybackSession.user_id == user.id, PlaybackSession.ended_at.is_(None))
        for row in session.scalars(live):
            row.ended_at = clock.now()
            ended.append(row.id)
    session.flush()
    return ended

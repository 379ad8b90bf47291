"""Password resets: a single-use link that expires, mailed to the subscriber or handed over by support.

With a mail server (``Settings.smtp_host``) "forgot password" mails the link. Without one the request is
recorded and shown on the subscriber's admin page, where staff make a link and give it to the subscriber
(after checking who they are). Only the SHA-256 of a link's token is stored. Completing a reset ends every
login of the account and voids its other links.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from airwave.accounts.logins import revoke_all, token_hash
from airwave.accounts.mail import mail_configured, send_mail
from airwave.accounts.passwords import check_new_password, hash_password
from airwave.accounts.users import find_user
from airwave.clock import Clock
from airwave.config import Settings
from airwave.errors import BadRequest
from airwave.store.accounts import PasswordReset
from airwave.store.tables import User

EXPIRED = "this reset link has expired or was already used: ask for a new one"


def issue_link(session: Session, clock: Clock, settings: Settings, user: User, base_url: str) -> str:
    """Make a new reset link for ``user`` (valid ``Settings.reset_link_minutes``) and return its URL."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=token_hash(raw),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.reset_link_minutes),
        )
    )
    _close_requests(session, user.id, now)
    session.flush()
    return f"{base_url.rstrip('/')}/reset/{raw}"


def request_reset(session: Session, clock: Clock, settings: Settings, email: str, base_url: str) -> bool:
    """Someone forgot the password of ``email``: mail a link, or record the request for support.

    Says nothing about whether the account exists (the caller shows the same page either way).
    Returns True when a link was mailed, False when support has to hand one over (or no such account).

    Raises:
        MailError: the mail server did not take the mail.
    """
    user = find_user(session, email)
    if user is None or user.disabled:
        return False
    if mail_configured(settings):
        link = issue_link(session, clock, settings, user, base_url)
        minutes = settings.reset_link_minutes
        body = (
            f"Hello {user.display_name},\n\nSomeone (we hope you) asked to reset the password of your account "
            f"{user.email}.\nOpen this link within {minutes} minutes to choose a new password:\n\n{link}\n\n"
            "If you did not ask, ignore this mail: your password stays as it is.\n"
        )
        send_mail(settings, user.email, "Reset your password", body)
        return True
    if pending_request(session, user.id) is None:
        session.add(PasswordReset(user_id=user.id, token_hash=None, created_at=clock.now()))
        session.flush()
    return False


def pending_request(session: Session, user_id: int) -> PasswordReset | None:
    """The subscriber's unanswered request for a link (when no mail server is set), if any."""
    statement = select(PasswordReset).where(
        PasswordReset.user_id == user_id, PasswordReset.token_hash.is_(None), PasswordReset.used_at.is_(None)
    )
    return session.scalar(statement.order_by(PasswordReset.id.desc()).limit(1))


def link_user(session: Session, clock: Clock, raw: str) -> User | None:
    """The account a reset link is for, or None when it is unknown, used or expired."""
    reset = _valid(session, clock, raw)
    return None if reset is None else session.get(User, reset.user_id)


def complete_reset(session: Session, clock: Clock, raw: str, password: str) -> User:
    """Set the new password chosen through a reset link, then end every login of the account.

    Raises:
        BadRequest: the link is unknown, used or expired, or the password breaks the rules.
    """
    reset = _valid(session, clock, raw)
    user = None if reset is None else session.get(User, reset.user_id)
    if reset is None or user is None:
        raise BadRequest(EXPIRED)
    check_new_password(password, user.email)
    user.password_hash = hash_password(password)
    now = clock.now()
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    revoke_all(session, user.id)
    session.flush()
    return user


def _valid(session: Session, clock: Clock, raw: str) -> PasswordReset | None:
    if not raw:
        return None
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(raw)))
    if reset is None or reset.used_at is not None or reset.expires_at is None or reset.expires_at <= clock.now():
        return None
    return reset


def _close_requests(session: Session, user_id: int, now: dt.datetime) -> None:
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.token_hash.is_(None), PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )

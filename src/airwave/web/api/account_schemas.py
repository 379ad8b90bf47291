"""Request and response bodies of the account and subscriber APIs (``/api/v1/account``, ``/api/v1/subscribers``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from airwave.web.api.schemas import Model, UserOut


class SignupIn(Model):
    email: str = Field(description="Normalised to lower case; must not have an account yet.")
    password: str = Field(description="At least 8 characters, not a well-known password, not the email.")
    display_name: str = Field("", description="How the account is named on screen (default: from the email).")


class SignupOut(Model):
    token: str = Field(description="A bearer token for the new account: `Authorization: Bearer <token>`.")
    expires_at: dt.datetime
    user: UserOut


class ProfileIn(Model):
    display_name: str = Field(description="How the account is named on screen.")


class PasswordChangeIn(Model):
    current_password: str
    new_password: str = Field(description="Other logins end; the one making this request stays signed in.")


class ResetRequestIn(Model):
    email: str


class ResetRequestOut(Model):
    mailed: bool = Field(description="True when a mail server is set and a link was sent (if the account exists).")
    message: str


class ResetCompleteIn(Model):
    token: str = Field(description="The token at the end of the reset link (`/reset/<token>`).")
    password: str


class LoginOut(Model):
    id: int
    kind: Literal["cookie", "bearer"] = Field(description="A browser session or an API/app token.")
    user_agent: str
    created_at: dt.datetime
    expires_at: dt.datetime
    current: bool = Field(description="The login making this request.")


class StreamOut(Model):
    session_id: str
    title_id: int | None
    channel: str | None
    client_ip: str
    user_agent: str
    created_at: dt.datetime
    expires_at: dt.datetime


class SubscriberOut(UserOut):
    disabled: bool = Field(description="Suspended: cannot sign in or play.")
    reset_requested: dt.datetime | None = Field(None, description="When the subscriber asked for a reset link.")


class SubscriberList(Model):
    items: list[SubscriberOut]
    limit: int
    offset: int


class ResetLinkOut(Model):
    url: str = Field(description="Hand this to the subscriber; it works once, until `expires_in_minutes`.")
    expires_in_minutes: int


class NoteIn(Model):
    text: str = Field(min_length=1, max_length=2000, description='E.g. "Refunded 9.99 EUR of invoice 12: outage".')


class AuditOut(Model):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_email: str
    action: str
    target: str
    detail: str
    client_ip: str


class AuditList(Model):
    items: list[AuditOut]
    limit: int
    offset: int

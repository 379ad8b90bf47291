"""Tables of the account side: failed sign-ins (for lockout), password resets, the audit log, blackouts.

Rights columns live on the tables they restrict (``Title.available_from`` ..., ``Channel.territories``);
revision 0005 adds them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from airwave.store.tables import Base


class LoginFailure(Base):
    """One failed sign-in, counted against a key: ``account:<email>`` and ``ip:<address>``."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(340))
    at: Mapped[dt.datetime]


class PasswordReset(Base):
    """A reset link (only its hash is kept), or a subscriber's request for one when no mail server is set."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # None: a request, no link yet
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    used_at: Mapped[dt.datetime | None]


class AuditEvent(Base):
    """Something an admin or support agent did: who, what, to whom, when and from where."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_email: Mapped[str] = mapped_column(String(320))  # kept when the actor's account is deleted
    action: Mapped[str] = mapped_column(String(60))  # e.g. "user.suspend", "plan.price"
    target: Mapped[str] = mapped_column(String(120), default="", index=True)  # e.g. "user:42"
    detail: Mapped[str] = mapped_column(Text, default="")
    client_ip: Mapped[str] = mapped_column(String(64), default="")


class Blackout(Base):
    """A stretch of a channel (usually one programme) not to be shown in the listed territories."""

    __tablename__ = "blackouts"
    __table_args__ = (Index("ix_blackouts_channel_start", "channel_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(Integer)  # the EPG programme it was made for, if any
    start: Mapped[dt.datetime]
    stop: Mapped[dt.datetime]
    territories: Mapped[str] = mapped_column(String(1000))  # ISO 3166 codes, space separated
    note: Mapped[str] = mapped_column(String(300), default="")

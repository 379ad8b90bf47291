"""The one decision every playback passes through: may this account watch this content, here, now?

Pure: the caller loads the facts (account, content, time, territory) and asks; nothing here does I/O.
Plans, packages, subscriptions and rights refine :func:`decide`; every caller stays the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from airwave.store.tables import User


@dataclass(frozen=True)
class Content:
    """What is asked for: a title (film or episode) or a live channel."""

    title_id: int | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Decision:
    """Allow or deny, with a reason a person can read ("Sports is not in your plan")."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def decide(account: User, content: Content, now: dt.datetime, territory: str | None = None) -> Decision:
    """Decide whether ``account`` may watch ``content`` at ``now`` from ``territory`` (ISO 3166 code or None)."""
    if account.disabled:
        return Decision(False, "your account is suspended; contact support")
    return ALLOW

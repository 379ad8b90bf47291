"""The one decision every playback passes through: may this account watch this content, here, now?

:func:`decide` is pure: the caller loads the facts (the account with its plan, add-ons and subscription
state; the content; the time; the client's territory) and asks. :func:`facts_for` loads an account's facts
(see ``billing/access.py``); :func:`check_playback` and :func:`allowed_channels` load and decide in one call,
for playback starts, playlist refreshes, key requests and the M3U.

Policy: suspended accounts watch nothing; staff (admin, support) watch everything; then the rights (licence
windows, territories: ``accounts/rights.py``); then, once the operator has defined plans, the subscription
(no plan, ended trial, lapsed or unpaid subscription) and what the plan and its add-ons include. A service
without any plan is free to every account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from airwave.accounts import rights
from airwave.billing.money import long_date
from airwave.clock import Clock
from airwave.store.channels import Channel
from airwave.store.tables import Title, User

STAFF = ("admin", "support")


@dataclass(frozen=True)
class Content:
    """What is asked for: a title (film or episode) or a live channel, with what the decision looks at.

    ``title``, ``parent`` (an episode's series) and ``channel_row`` are the loaded rows the rights checks read;
    :func:`check_playback` loads them from ``title_id`` / ``channel``.
    """

    title_id: int | None = None
    channel: str | None = None
    name: str = ""
    parent_id: int | None = None
    genres: tuple[str, ...] = ()
    title: Title | None = None
    parent: Title | None = None
    channel_row: Channel | None = None


@dataclass(frozen=True)
class Decision:
    """Allow or deny, with a reason a person can read ("Sports is not in your plan")."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


@dataclass(frozen=True)
class Scope:
    """What a plan and its add-ons include; ``everything`` for a plan that names no packages."""

    everything: bool = True
    channels: frozenset[str] = frozenset()
    title_ids: frozenset[int] = frozenset()
    genres: frozenset[str] = frozenset()  # lower case

    def includes(self, content: Content) -> bool:
        if self.everything:
            return True
        if content.channel is not None:
            return content.channel in self.channels
        ids = {content.title_id, content.parent_id} - {None}
        return bool(ids & self.title_ids) or any(genre.lower() in self.genres for genre in content.genres)


@dataclass(frozen=True)
class PackageFacts:
    """A package by name and scope, to say which one holds what was refused ("Sports is not in your plan")."""

    name: str
    scope: Scope


@dataclass(frozen=True)
class SubscriptionFacts:
    """The account's (latest) subscription as the decision needs it."""

    plan: str
    state: str  # trialing | active | past_due | cancelled | expired
    period_end: dt.datetime
    trial_end: dt.datetime | None = None
    cancel_at_period_end: bool = False
    past_due_since: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    ever_paid: bool = True


@dataclass(frozen=True)
class AccountFacts:
    """Everything :func:`decide` knows about an account. ``billing`` is False while no plan exists."""

    user_id: int
    role: str = "subscriber"
    disabled: bool = False
    billing: bool = False
    subscription: SubscriptionFacts | None = None
    scope: Scope = field(default_factory=Scope)
    packages: tuple[PackageFacts, ...] = ()
    max_streams: int | None = None
    max_devices: int | None = None


def decide(account: AccountFacts, content: Content, now: dt.datetime, territory: str | None = None) -> Decision:
    """Decide whether ``account`` may watch ``content`` at ``now`` from ``territory`` (ISO 3166 code or None)."""
    if account.disabled:
        return Decision(False, "your account is suspended; contact support")
    if account.role in STAFF:
        return ALLOW
    licensed = _rights(content, now, territory)
    if not licensed or not account.billing:
        return licensed
    standing = subscription_standing(account.subscription, now)
    if not standing:
        return standing
    if account.scope.includes(content):
        return ALLOW
    return Decision(False, f"{_holder(account, content)} is not in your plan")


def _rights(content: Content, now: dt.datetime, territory: str | None) -> Decision:
    if content.title is not None:
        return rights.check_title(content.title, territory, now, content.parent)
    if content.channel_row is not None:
        return rights.check_channel(content.channel_row, territory, now)
    return ALLOW


def subscription_standing(sub: SubscriptionFacts | None, now: dt.datetime) -> Decision:
    """Whether the subscription lets its account watch at ``now``, and if not, why (pure).

    Trials and cancellations end exactly on time here. A renewal due at the period end, and the expiry of a
    past-due subscription at the end of its grace period, are the billing scheduler's (within
    ``billing_check_seconds``): until it has run, the subscription stands as it is.
    """
    if sub is None:
        return Decision(False, "choose a plan to start watching")
    trial_over = Decision(False, "your trial has ended: choose how to pay to keep watching")
    if sub.state == "trialing":
        return ALLOW if sub.trial_end is not None and now < sub.trial_end else trial_over
    if sub.state == "active":
        return _ended(sub.period_end) if sub.cancel_at_period_end and now >= sub.period_end else ALLOW
    if sub.state == "past_due":
        if sub.ever_paid:
            return ALLOW  # the grace period
        if sub.trial_end is not None:
            return trial_over
        return Decision(False, "your first payment has not arrived yet: pay your invoice to start watching")
    if sub.trial_end is not None and not sub.ever_paid:
        return trial_over
    return _ended(sub.ended_at or sub.period_end)


def _ended(moment: dt.datetime) -> Decision:
    return Decision(False, f"your subscription ended on {long_date(moment)}: renew it to keep watching")


def _holder(account: AccountFacts, content: Content) -> str:
    for package in account.packages:
        if package.scope.includes(content):
            return package.name
    return content.name or ("this channel" if content.channel else "this title")


def facts_for(session: Session, user: User, now: dt.datetime) -> AccountFacts:
    """Load ``user``'s plan, add-ons and subscription into :class:`AccountFacts`."""
    from airwave.billing.access import load_facts  # billing builds on this module's types

    return load_facts(session, user, now)


def check_playback(
    session: Session, user: User, content: Content, clock: Clock, territory: str | None = None
) -> Decision:
    """Load the facts for ``user`` and ``content`` and decide now (playback start, refresh, keys)."""
    from airwave.billing.access import load_content

    now = clock.now()
    return decide(facts_for(session, user, now), load_content(session, content), now, territory)


def allowed_channels(session: Session, user: User, now: dt.datetime, territory: str | None = None) -> set[str] | None:
    """The channel slugs ``user`` may watch (for the M3U); None means every channel."""
    from airwave.billing.access import channel_contents

    facts = facts_for(session, user, now)
    if facts.disabled:
        return set()
    if facts.role in STAFF:
        return None
    contents = channel_contents(session)
    allowed = {content.channel for content in contents if content.channel and decide(facts, content, now, territory)}
    return None if len(allowed) == len(contents) else allowed

"""Loading the facts entitlement decisions need: an account's plan, add-ons and subscription; the content."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.accounts.entitlements import AccountFacts, Content, Decision, PackageFacts, Scope, SubscriptionFacts
from airwave.billing.packages import list_packages
from airwave.billing.plans import plans_exist
from airwave.billing.subscriptions import current_subscription
from airwave.clock import Clock
from airwave.delivery.lookup import TTLCache
from airwave.store.billing import Package, Subscription
from airwave.store.channels import Channel
from airwave.store.engine import Database
from airwave.store.tables import PlaybackSession, Title, User


def scope_of(packages: Iterable[Package]) -> Scope:
    """The union of what ``packages`` hold; an empty list means everything."""
    chosen = list(packages)
    if not chosen:
        return Scope()
    return Scope(
        everything=False,
        channels=frozenset(slug for p in chosen for slug in p.channels),
        title_ids=frozenset(int(title_id) for p in chosen for title_id in p.title_ids),
        genres=frozenset(str(genre).lower() for p in chosen for genre in p.genres),
    )


def subscription_facts(sub: Subscription) -> SubscriptionFacts:
    return SubscriptionFacts(
        plan=sub.plan.name,
        state=sub.state,
        period_end=sub.period_end,
        trial_end=sub.trial_end,
        cancel_at_period_end=sub.cancel_at_period_end,
        past_due_since=sub.past_due_since,
        ended_at=sub.ended_at,
        ever_paid=sub.ever_paid,
    )


def load_facts(session: Session, user: User, now: dt.datetime) -> AccountFacts:
    """The account's facts: role, plan scope and limits, subscription state, every package's scope."""
    base = AccountFacts(user_id=user.id, role=user.role, disabled=user.disabled)
    if not plans_exist(session):
        return base
    packages = tuple(PackageFacts(p.name, scope_of([p])) for p in list_packages(session))
    sub = current_subscription(session, user.id)
    if sub is None:
        return dataclasses.replace(base, billing=True, packages=packages)
    included = list(sub.plan.packages)
    return dataclasses.replace(
        base,
        billing=True,
        subscription=subscription_facts(sub),
        scope=scope_of(included + list(sub.addons) if included else []),
        packages=packages,
        max_streams=sub.plan.max_streams,
        max_devices=sub.plan.max_devices,
    )


def load_content(session: Session, content: Content) -> Content:
    """``content`` with its rows, name, series and genres loaded (what the decision reads)."""
    if content.title_id is not None and content.title is None:
        title = session.get(Title, content.title_id)
        if title is None:
            return content
        parent = session.get(Title, title.parent_id) if title.parent_id else None
        genres = [g.name for g in title.genres] + ([g.name for g in parent.genres] if parent else [])
        return dataclasses.replace(
            content, name=content.name or title.name, parent_id=title.parent_id, genres=tuple(genres),
            title=title, parent=parent,
        )  # fmt: skip
    if content.channel is not None and content.channel_row is None:
        row = session.scalar(select(Channel).where(Channel.slug == content.channel))
        if row is not None:
            return dataclasses.replace(content, name=content.name or row.name, channel_row=row)
    return content


def channel_contents(session: Session) -> list[Content]:
    """Every channel as decision content."""
    rows = session.scalars(select(Channel).order_by(Channel.id))
    return [Content(channel=row.slug, name=row.name, channel_row=row) for row in rows]


def playback_decision(session: Session, session_id: str, now: dt.datetime, territory: str | None) -> Decision:
    """Whether a running playback session may go on (its account is still entitled to what it plays)."""
    from airwave.accounts.entitlements import decide

    row = session.get(PlaybackSession, session_id)
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None:
        return Decision(False, "this playback session does not exist")
    content = load_content(session, Content(title_id=row.title_id, channel=row.channel))
    return decide(load_facts(session, user, now), content, now, territory)


class SessionEntitlements:
    """Cached answers to "may this running playback session go on?" for playlist refreshes.

    A lapsed subscription stops a running session at its next playlist refresh: answers live ``ttl`` seconds
    per (session, territory), so a refresh every few seconds costs a database read at most every ``ttl``.
    """

    def __init__(self, db: Database, clock: Clock, ttl: float = 5.0) -> None:
        self._db, self._clock, self._ttl = db, clock, ttl
        self._cache: TTLCache[tuple[str, str | None], str | None] = TTLCache()

    def cached(self, session_id: str, territory: str | None) -> tuple[bool, str | None]:
        """``(True, refusal or None)`` while a fresh answer is cached, else ``(False, None)``; no I/O."""
        return self._cache.get((session_id, territory))

    def refusal(self, session_id: str, territory: str | None) -> str | None:
        """Why the session may not go on (a reason a person can read), or None (blocking I/O)."""
        key = (session_id, territory)
        found, reason = self._cache.get(key)
        if found:
            return reason
        with self._db.session() as session:
            decision = playback_decision(session, session_id, self._clock.now(), territory)
        reason = None if decision else decision.reason or "not entitled"
        self._cache.put(key, reason, self._ttl)
        return reason

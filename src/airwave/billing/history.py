"""State changes of subscriptions, each logged with the monthly revenue it stands for (MRR and churn charts)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from airwave.billing.money import monthly
from airwave.store.billing import Subscription, SubscriptionEvent

PAYING_STATES = ("active", "past_due")
LIVE_STATES = ("trialing", "active", "past_due")
ENDED_STATES = ("cancelled", "expired")


def recurring_price(sub: Subscription) -> int:
    """What the subscription costs per plan interval: the plan plus its add-ons (minor units)."""
    return sub.plan.price + sum(addon.price for addon in sub.addons)


def mrr_of(sub: Subscription) -> int:
    """The subscription's monthly recurring revenue: zero unless it is paying (active or past due)."""
    if sub.state not in PAYING_STATES:
        return 0
    return monthly(recurring_price(sub), sub.plan.interval)


def set_state(session: Session, sub: Subscription, state: str, at: dt.datetime, note: str = "") -> None:
    """Move ``sub`` to ``state`` (``at`` is when it happened) and log it, with its MRR from then on."""
    sub.state = state
    if state in ENDED_STATES and sub.ended_at is None:
        sub.ended_at = at
    if state in LIVE_STATES:
        sub.ended_at = None
    if state != "past_due":
        sub.past_due_since = None
    elif sub.past_due_since is None:
        sub.past_due_since = at
    log(session, sub, at, note or state)


def log(session: Session, sub: Subscription, at: dt.datetime, note: str) -> None:
    """Record the subscription's current state and MRR (after a plan or add-on change too)."""
    if sub.id is None:
        session.flush()
    event = SubscriptionEvent(
        subscription_id=sub.id, state=sub.state, at=at, mrr=mrr_of(sub), currency=sub.plan.currency, note=note[:200]
    )
    session.add(event)

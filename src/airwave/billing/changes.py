"""A subscriber's own changes to a live subscription, whoever bills it: plan changes, cancelling, resuming.

A manual subscription changes here and is invoiced by us (``subscriptions``). A Stripe subscription is changed
at Stripe first, through :class:`RemoteBilling`; only when Stripe accepts is the change recorded here, and the
webhooks that follow (``providers.stripe_webhooks``) find it applied already. An upgrade takes effect at once
(Stripe charges the prorated difference), a downgrade or a cancellation at the end of the paid period.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.billing import subscriptions
from airwave.billing.subscriptions import apply_change, change_kind
from airwave.errors import Conflict
from airwave.store.billing import Invoice, Plan, Subscription


class RemoteBilling(Protocol):
    """What these changes ask of a provider that bills a subscription itself (``StripeProvider``)."""

    def update(
        self, sub: Subscription, *, plan: Plan | None = None, prorate: bool = False, cancel: bool | None = None
    ) -> None: ...

    def cancel_now(self, sub: Subscription) -> None: ...


def change_plan(
    session: Session, sub: Subscription, plan: Plan, now: dt.datetime, remote: RemoteBilling | None
) -> Invoice | None:
    """Move ``sub`` to ``plan``; returns our proration invoice of a manual upgrade, else None.

    Raises:
        Conflict: the subscription ended, or its provider refused or is not configured.
        BadRequest: the plans are priced in different currencies.
    """
    if sub.provider == "manual":
        return subscriptions.change_plan(session, sub, plan, now)
    kind = change_kind(sub, plan)
    billing = _remote(sub, remote)
    _lock(session, sub)
    if kind == "same" and sub.next_plan_id is not None:  # back to the current plan: undo the pending downgrade
        billing.update(sub, plan=plan)
    elif kind != "same":
        billing.update(sub, plan=plan, prorate=kind == "upgrade")
    apply_change(session, sub, plan, now, kind)
    return None


def cancel(session: Session, sub: Subscription, now: dt.datetime, remote: RemoteBilling | None) -> None:
    """Cancel at the end of the paid period (at once when payment is overdue: there is nothing paid to use up).

    Raises:
        Conflict: the subscription ended, or its provider refused or is not configured.
    """
    if sub.provider != "manual":
        billing = _remote(sub, remote)
        subscriptions.require_live(sub)
        _lock(session, sub)
        if sub.state == "past_due":
            billing.cancel_now(sub)
        else:
            billing.update(sub, cancel=True)
    subscriptions.cancel(session, sub, now)


def resume(session: Session, sub: Subscription, now: dt.datetime, remote: RemoteBilling | None) -> None:
    """Undo a cancellation and a pending downgrade before the period ends.

    Raises:
        Conflict: the subscription ended (subscribe again instead), or its provider refused.
    """
    if sub.provider != "manual":
        billing = _remote(sub, remote)
        subscriptions.require_live(sub)
        _lock(session, sub)
        billing.update(sub, cancel=False, plan=sub.plan if sub.next_plan_id is not None else None)
    subscriptions.resume(session, sub, now)


def _remote(sub: Subscription, remote: RemoteBilling | None) -> RemoteBilling:
    if remote is None:
        raise Conflict(f"this subscription is paid through {sub.provider.title()}, which is not configured on this "
                       "server: ask support to change it")  # fmt: skip
    return remote


def _lock(session: Session, sub: Subscription) -> None:
    """Hold the subscription's row while the provider is asked, so its webhooks wait and then find the change
    recorded (instead of applying it a second time)."""
    session.execute(select(Subscription.id).where(Subscription.id == sub.id).with_for_update())

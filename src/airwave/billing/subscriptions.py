"""The subscription lifecycle: subscribe (with a trial), change plan, add-ons, cancel, resume, reactivate.

trialing -> active -> past_due (grace period) -> cancelled / expired. Upgrades take effect at once with a
prorated invoice; downgrades and cancellations at the end of the paid period. Renewals: ``scheduler.advance``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.billing.history import ENDED_STATES, LIVE_STATES, log, set_state
from airwave.billing.invoices import Line, bill_period, issue_invoice
from airwave.billing.money import add_interval, long_date, monthly, prorate
from airwave.billing.payments import void_unpaid
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.store.billing import Invoice, Package, Plan, Subscription
from airwave.store.tables import User


def current_subscription(session: Session, user_id: int) -> Subscription | None:
    """The account's subscription: its live one, else its most recent ended one, else None."""
    rows = list(session.scalars(select(Subscription).where(Subscription.user_id == user_id)))
    live = [row for row in rows if row.state in LIVE_STATES]
    pool = live or rows
    return max(pool, key=lambda row: row.id) if pool else None


def get_subscription(session: Session, sub_id: int) -> Subscription:
    """The subscription with this id.

    Raises:
        NotFound: there is none.
    """
    sub = session.get(Subscription, sub_id)
    if sub is None:
        raise NotFound(f"no subscription {sub_id}")
    return sub


def subscribe(
    session: Session,
    now: dt.datetime,
    user: User,
    plan: Plan,
    *,
    trial: bool = True,
    provider: str = "manual",
    provider_ref: str | None = None,
) -> Subscription:
    """Subscribe ``user`` to ``plan``: a trial when the plan has one and the account never had one, else the
    first period is invoiced (and must be paid before watching).

    Raises:
        Conflict: the account has a live subscription already (change its plan instead).
    """
    existing = current_subscription(session, user.id)
    if existing is not None and existing.state in LIVE_STATES:
        raise Conflict(f"{user.email} already subscribes to {existing.plan.name}: change the plan instead")
    had_trial = session.scalar(select(Subscription.id).where(Subscription.user_id == user.id).limit(1))
    sub = Subscription(
        user_id=user.id, plan=plan, plan_id=plan.id, state="trialing", provider=provider, provider_ref=provider_ref,
        started_at=now, period_start=now, period_end=now, created_at=now, addons=[],
    )  # fmt: skip
    session.add(sub)
    session.flush()
    if trial and plan.trial_days and had_trial is None:
        sub.trial_end = sub.period_end = now + dt.timedelta(days=plan.trial_days)
        set_state(session, sub, "trialing", now, f"{plan.trial_days}-day trial")
    elif provider == "manual":
        bill_period(session, sub, now, add_interval(now, plan.interval))
    else:  # the provider collected the first payment before telling us
        sub.period_end, sub.ever_paid = add_interval(now, plan.interval), True
        set_state(session, sub, "active", now, "subscribed")
    return sub


def change_kind(sub: Subscription, plan: Plan) -> str:
    """How moving ``sub`` to ``plan`` takes effect: "same", "switch" (in a trial: at once, nothing to bill),
    "upgrade" (at once, prorated) or "downgrade" (at the end of the period).

    Raises:
        Conflict: the subscription has ended.
        BadRequest: the plans are priced in different currencies.
    """
    require_live(sub)
    if plan.id == sub.plan_id:
        return "same"
    if plan.currency != sub.plan.currency:
        raise BadRequest(f"{plan.name} is priced in {plan.currency}: cancel and subscribe anew to change currency")
    if sub.state == "trialing":
        return "switch"
    if monthly(plan.price, plan.interval) <= monthly(sub.plan.price, sub.plan.interval):
        return "downgrade"
    return "upgrade"


def change_plan(session: Session, sub: Subscription, plan: Plan, now: dt.datetime) -> Invoice | None:
    """Move ``sub`` to ``plan``: an upgrade at once (prorated invoice), a downgrade at the period end.

    Returns the proration invoice of an upgrade, else None.

    Raises:
        Conflict: the subscription has ended, or is billed by a provider (``billing.changes`` asks it first).
        BadRequest: the plans are priced in different currencies.
    """
    kind = change_kind(sub, plan)
    if kind == "upgrade" and sub.provider != "manual":
        raise Conflict("this subscription is billed by Stripe: change the plan in the payment portal")
    if kind == "upgrade":
        return _upgrade(session, sub, plan, now)
    apply_change(session, sub, plan, now, kind)
    return None


def apply_change(session: Session, sub: Subscription, plan: Plan, now: dt.datetime, kind: str) -> None:
    """Record a plan change that needs no invoice from us: a trial's or a due downgrade ("switch"), a pending
    downgrade, or an upgrade the provider has billed.
    """
    if kind == "same":
        sub.next_plan, sub.next_plan_id = None, None
    elif kind == "downgrade":
        if sub.next_plan_id != plan.id:
            sub.next_plan, sub.next_plan_id = plan, plan.id
            log(session, sub, now, f"downgrade to {plan.name} on {long_date(sub.period_end)}")
    elif kind == "upgrade":
        _switch(session, sub, plan, now, f"upgraded from {sub.plan.name}")
    else:
        _switch(session, sub, plan, now, f"moved to {plan.name}")


def _upgrade(session: Session, sub: Subscription, plan: Plan, now: dt.datetime) -> Invoice:
    old, remaining = sub.plan, sub.period_end - now
    period = sub.period_end - sub.period_start
    credit = -prorate(old.price, remaining, period)
    if plan.interval == old.interval:
        lines: list[Line] = [
            (f"Unused time on {old.name} to {long_date(sub.period_end)}", credit),
            (f"{plan.name} plan to {long_date(sub.period_end)} (prorated)", prorate(plan.price, remaining, period)),
        ]
    else:  # a new billing interval starts now
        sub.period_start, sub.period_end = now, add_interval(now, plan.interval)
        lines = [(f"Unused time on {old.name}", credit), (f"{plan.name} plan, {plan.interval}ly", plan.price)]
    _switch(session, sub, plan, now, f"upgraded from {old.name}")
    invoice = issue_invoice(
        session, now, user_id=sub.user_id, currency=plan.currency, lines=lines, subscription=sub,
        period=(now, sub.period_end), provider=sub.provider,
    )  # fmt: skip
    if invoice.status != "paid":
        set_state(session, sub, "past_due", now, f"invoice {invoice.number} due")
    return invoice


def _switch(session: Session, sub: Subscription, plan: Plan, now: dt.datetime, note: str) -> None:
    sub.plan, sub.plan_id, sub.next_plan, sub.next_plan_id = plan, plan.id, None, None
    log(session, sub, now, note)


def cancel(session: Session, sub: Subscription, now: dt.datetime, *, immediately: bool = False) -> None:
    """Cancel at the end of the paid period (or trial); ``immediately`` ends access now and voids what is owed.

    Raises:
        Conflict: the subscription has ended already.
    """
    require_live(sub)
    if immediately or sub.state == "past_due":
        void_unpaid(session, sub, "subscription cancelled")
        set_state(session, sub, "cancelled", now, "cancelled")
        return
    sub.cancel_at_period_end = True
    log(session, sub, now, f"cancels on {long_date(sub.period_end)}")


def resume(session: Session, sub: Subscription, now: dt.datetime) -> None:
    """Undo a cancellation (or a pending downgrade) before the period ends.

    Raises:
        Conflict: the subscription has ended (reactivate it instead).
    """
    require_live(sub)
    sub.cancel_at_period_end, sub.next_plan, sub.next_plan_id = False, None, None
    log(session, sub, now, "resumed")


def reactivate(session: Session, sub: Subscription, now: dt.datetime, plan: Plan | None = None) -> Invoice:
    """Start an ended subscription again from ``now`` (optionally on another plan) and invoice the period.

    Raises:
        Conflict: it is still live, or the account has another live subscription.
    """
    if sub.state not in ENDED_STATES:
        raise Conflict("this subscription is still live: resume it or change its plan instead")
    current = current_subscription(session, sub.user_id)
    if current is not None and current.id != sub.id and current.state in LIVE_STATES:
        raise Conflict("the account has another live subscription")
    if plan is not None:
        sub.plan, sub.plan_id = plan, plan.id
    sub.cancel_at_period_end, sub.next_plan, sub.next_plan_id, sub.trial_end = False, None, None, None
    sub.provider, sub.provider_ref = "manual", None
    return bill_period(session, sub, now, add_interval(now, sub.plan.interval))


def add_addon(session: Session, sub: Subscription, package: Package, now: dt.datetime) -> Invoice | None:
    """Add an add-on package at once; outside a trial its share of the current period is invoiced.

    Raises:
        BadRequest: the package is not an add-on or is priced in another currency.
        Conflict: the subscription has ended or has the add-on already.
    """
    require_live(sub)
    if not package.addon:
        raise BadRequest(f"{package.name} is not an add-on: it can only come with a plan")
    if package.currency != sub.plan.currency:
        raise BadRequest(f"{package.name} is priced in {package.currency}, the plan in {sub.plan.currency}")
    if any(addon.id == package.id for addon in sub.addons):
        raise Conflict(f"{package.name} is part of this subscription already")
    sub.addons.append(package)
    log(session, sub, now, f"added {package.name}")
    if sub.state == "trialing":
        return None
    amount = prorate(package.price, sub.period_end - now, sub.period_end - sub.period_start)
    line = (f"{package.name} add-on to {long_date(sub.period_end)} (prorated)", amount)
    invoice = issue_invoice(
        session, now, user_id=sub.user_id, currency=package.currency, lines=[line], subscription=sub,
        period=(now, sub.period_end), provider=sub.provider,
    )  # fmt: skip
    if invoice.status != "paid":
        set_state(session, sub, "past_due", now, f"invoice {invoice.number} due")
    return invoice


def remove_addon(session: Session, sub: Subscription, package: Package, now: dt.datetime) -> None:
    """Drop an add-on at once (no refund for the rest of the period)."""
    sub.addons = [addon for addon in sub.addons if addon.id != package.id]
    log(session, sub, now, f"removed {package.name}")


def require_live(sub: Subscription) -> None:
    """Refuse changes to an ended subscription.

    Raises:
        Conflict: it has ended.
    """
    if sub.state in ENDED_STATES:
        raise Conflict(f"this subscription is {sub.state}: reactivate it first")

"""Stripe webhooks: payments, failures, plan changes and cancellations, each applied exactly once, in any order.

Every webhook's signature is verified with ``stripe.Webhook.construct_event``. Each event is processed once: its
id is stored in ``provider_events`` in the same transaction as its effects, so a repeated delivery changes
nothing. Deliveries arrive out of order, so a subscription remembers the creation time of the newest event
applied to it and ignores the state of older ones (money received is still recorded). The subscription row is
locked first, so two events for it (say ``invoice.paid`` and ``invoice.payment_succeeded``, which Stripe sends
together) are applied one after the other even on different workers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from airwave.billing.history import LIVE_STATES, set_state
from airwave.billing.invoices import issue_invoice, unpaid_invoices
from airwave.billing.payments import invoice_failed, invoice_paid
from airwave.billing.plans import find_plan
from airwave.billing.subscriptions import apply_change, change_kind, subscribe
from airwave.clock import Clock
from airwave.errors import BadRequest, ClientError, Conflict
from airwave.store.billing import Invoice, Plan, ProviderEvent, Subscription
from airwave.store.tables import User

Event = dict[str, Any]
RENEWAL_WINDOW = dt.timedelta(minutes=10)  # how soon after a period starts Stripe reports the renewal
# Stripe subscription statuses as ours; the others (incomplete, paused) leave our state as it is.
STATES = {"active": "active", "past_due": "past_due", "unpaid": "past_due", "canceled": "cancelled",
          "incomplete_expired": "cancelled"}  # fmt: skip


def verify(payload: bytes, signature: str | None, secret: str) -> Event:
    """The event in ``payload`` if its ``Stripe-Signature`` is valid and recent.

    Raises:
        BadRequest: the signature is missing, wrong or too old, or the payload is not an event.
    """
    try:
        stripe.Webhook.construct_event(payload, signature or "", secret)
    except stripe.SignatureVerificationError as exc:
        raise BadRequest(f"Stripe signature rejected: {exc.user_message or exc}") from None
    except ValueError:
        raise BadRequest("the webhook body is not a Stripe event") from None
    event: Event = json.loads(payload)
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadRequest("the webhook body is not a Stripe event")
    return event


def process(session: Session, clock: Clock, event: Event) -> str:
    """Apply a verified event once; returns what happened (for the response and the event log)."""
    created = _time(event.get("created")) or clock.now()
    record = ProviderEvent(
        provider="stripe", event_id=event["id"], type=event["type"], created=created, received_at=clock.now()
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return "duplicate: processed already"
    handler = HANDLERS.get(event["type"])
    obj = event.get("data", {}).get("object", {})
    outcome = handler(session, clock, obj, created) if handler else "ignored: not an event Airwave uses"
    record.outcome = outcome[:200]
    return outcome


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), dt.UTC) if value else None


def _locked(session: Session, ref: Any) -> Subscription | None:
    """Our subscription for a Stripe subscription id, its row locked until the event is applied."""
    if not isinstance(ref, str) or not ref:
        return None
    query = select(Subscription).where(Subscription.provider_ref == ref)
    return session.scalar(query.with_for_update(of=Subscription))


def _subscription(session: Session, clock: Clock, ref: Any, metadata: dict[str, Any]) -> Subscription | None:
    """Our subscription for a Stripe subscription id, created from the metadata we put in at checkout."""
    sub = _locked(session, ref)
    if sub is not None or not ref:
        return sub
    user = session.get(User, int(metadata.get("user_id", 0) or 0))
    plan = find_plan(session, str(metadata.get("plan", "")))
    if user is None or plan is None:
        return None
    return subscribe(session, clock.now(), user, plan, provider="stripe", provider_ref=ref)


def _fresh(sub: Subscription, created: dt.datetime) -> bool:
    """Whether an event created at ``created`` is not older than what was applied (and mark it applied)."""
    if sub.provider_synced_at is not None and created < sub.provider_synced_at:
        return False
    sub.provider_synced_at = created
    return True


def _roll(session: Session, sub: Subscription, start: dt.datetime, end: dt.datetime, at: dt.datetime) -> None:
    """Take Stripe's current period; a new period brings a pending downgrade into effect."""
    if start >= sub.period_end and sub.next_plan is not None:
        apply_change(session, sub, sub.next_plan, at, "switch")
    sub.period_start, sub.period_end = start, end


def _checkout_completed(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    try:
        sub = _subscription(session, clock, obj.get("subscription"), obj.get("metadata") or {})
    except Conflict as exc:
        return f"not applied: {exc}"
    if sub is None:
        return "ignored: not an Airwave checkout"
    _fresh(sub, created)
    return f"subscription {sub.id} {sub.state}"


def _invoice_ref(obj: Event) -> tuple[str | None, dict[str, Any]]:
    """The Stripe subscription id and metadata of an invoice (older and newer API shapes)."""
    details = (obj.get("parent") or {}).get("subscription_details") or obj.get("subscription_details") or {}
    return obj.get("subscription") or details.get("subscription"), details.get("metadata") or {}


def _stripe_invoice(session: Session, sub: Subscription, obj: Event, created: dt.datetime) -> Invoice:
    invoice = session.scalar(select(Invoice).where(Invoice.provider_ref == obj["id"]))
    if invoice is not None:
        return invoice
    lines = [(str(line.get("description") or sub.plan.name), int(line.get("amount", 0)))
             for line in (obj.get("lines") or {}).get("data", [])]  # fmt: skip
    lines = lines or [(f"{sub.plan.name} plan", int(obj.get("amount_due", 0)))]
    start, end = _invoice_period(obj) or (sub.period_start, sub.period_end)
    invoice = issue_invoice(
        session, created, user_id=sub.user_id, currency=str(obj.get("currency", sub.plan.currency)).upper(),
        lines=lines, subscription=sub, period=(start, end), provider="stripe",
    )  # fmt: skip
    invoice.provider_ref = obj["id"]
    return invoice


def _invoice_period(obj: Event) -> tuple[dt.datetime, dt.datetime] | None:
    periods = [line.get("period") or {} for line in (obj.get("lines") or {}).get("data", [])]
    ends = [int(p["end"]) for p in periods if "end" in p]
    starts = [int(p["start"]) for p in periods if "start" in p]
    if not ends or not starts:
        return None
    return dt.datetime.fromtimestamp(min(starts), dt.UTC), dt.datetime.fromtimestamp(max(ends), dt.UTC)


def _invoice_paid(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    ref, metadata = _invoice_ref(obj)
    try:
        sub = _subscription(session, clock, ref, metadata)
    except Conflict as exc:
        return f"not applied: {exc}"
    if sub is None:
        return "ignored: not an Airwave subscription"
    invoice = _stripe_invoice(session, sub, obj, created)
    if invoice.status == "void":  # Stripe collected after the grace period ended access: keep the money on record
        invoice.status, invoice.paid_at = "paid", created
        invoice.note = f"{invoice.note}\npaid at Stripe after the subscription ended: refund or reactivate".strip()
        return f"invoice {invoice.number} paid after subscription {sub.id} ended: refund or reactivate"
    fresh = _fresh(sub, created)
    period = _invoice_period(obj)
    # A proration (an upgrade) bills the rest of the current period: it does not start a new one.
    if fresh and sub.state in LIVE_STATES and period and obj.get("billing_reason") != "subscription_update":
        _roll(session, sub, *period, created)
    invoice_paid(session, invoice, created, note="paid through Stripe")
    if not fresh:
        return f"invoice {invoice.number} recorded; stale state ignored"
    if sub.state in LIVE_STATES and sub.state != "active" and invoice.total > 0 and not unpaid_invoices(session, sub):
        set_state(session, sub, "active", created, "paid through Stripe")
    return f"invoice {invoice.number} paid; subscription {sub.id} {sub.state}"


def _invoice_failed(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    ref, metadata = _invoice_ref(obj)
    try:
        sub = _subscription(session, clock, ref, metadata)
    except Conflict as exc:
        return f"not applied: {exc}"
    if sub is None:
        return "ignored: not an Airwave subscription"
    invoice = _stripe_invoice(session, sub, obj, created)
    if not _fresh(sub, created):
        return f"invoice {invoice.number} failure recorded; stale state ignored"
    invoice_failed(session, invoice, created, "card payment failed at Stripe")
    return f"invoice {invoice.number} failed; subscription {sub.id} {sub.state}"


def _subscription_deleted(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    try:
        sub = _subscription(session, clock, obj.get("id"), obj.get("metadata") or {})
    except Conflict as exc:
        return f"not applied: {exc}"
    if sub is None:
        return "ignored: not an Airwave subscription"
    if not _fresh(sub, created):
        return "stale: a newer event was applied"
    if sub.state in LIVE_STATES:
        ended = _time(obj.get("ended_at") or obj.get("canceled_at")) or created
        set_state(session, sub, "cancelled", ended, "cancelled at Stripe")
    return f"subscription {sub.id} {sub.state}"


def _subscription_updated(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    """The Stripe subscription as it is now (our own changes, the Billing Portal's, renewals): a full snapshot,
    so the newest one wins and older ones are ignored."""
    try:  # it may be the first event to arrive about a new subscription
        sub = _subscription(session, clock, obj.get("id"), obj.get("metadata") or {})
    except Conflict as exc:
        return f"not applied: {exc}"
    if sub is None:
        return "ignored: not an Airwave subscription"
    if not _fresh(sub, created):
        return "stale: a newer event was applied"
    if sub.state not in LIVE_STATES:
        return f"subscription {sub.id} is {sub.state} already"
    period = _subscription_period(obj)
    if period:
        _roll(session, sub, *period, created)
    sub.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    plan = _plan_of(session, obj)
    if plan is not None:
        try:
            apply_change(session, sub, plan, created, _kind(sub, plan, created, period))
        except ClientError as exc:
            return f"plan not applied: {exc}"
    _follow_status(session, sub, str(obj.get("status", "")), created)
    return f"subscription {sub.id} {sub.state} on {sub.plan.slug}" + (
        ", cancels at period end" if sub.cancel_at_period_end else ""
    )


def _kind(sub: Subscription, plan: Plan, created: dt.datetime, period: tuple[dt.datetime, dt.datetime] | None) -> str:
    """How the snapshot's plan takes effect here. An upgrade is billed by Stripe (its proration invoice), so it
    is only recorded. A cheaper plan seen mid-period is a downgrade waiting for the period end; seen in a
    snapshot taken as its period began (a renewal), it is what this period was billed at, so it holds now,
    whichever order the events came in."""
    kind = change_kind(sub, plan)
    if kind == "downgrade" and period is not None and created - period[0] <= RENEWAL_WINDOW:
        return "switch"
    return kind


def _subscription_period(obj: Event) -> tuple[dt.datetime, dt.datetime] | None:
    """The current period: on the subscription (older API versions) or on its items (newer ones)."""
    items = (obj.get("items") or {}).get("data", [])
    starts = [obj.get("current_period_start")] + [item.get("current_period_start") for item in items]
    ends = [obj.get("current_period_end")] + [item.get("current_period_end") for item in items]
    known_starts, known_ends = [int(s) for s in starts if s], [int(e) for e in ends if e]
    if not known_starts or not known_ends:
        return None
    return dt.datetime.fromtimestamp(min(known_starts), dt.UTC), dt.datetime.fromtimestamp(max(known_ends), dt.UTC)


def _plan_of(session: Session, obj: Event) -> Plan | None:
    """The plan the Stripe subscription is on: its price's plan (a Portal change), else its metadata's."""
    for item in (obj.get("items") or {}).get("data", []):
        slug = ((item.get("price") or {}).get("metadata") or {}).get("plan")
        if slug:
            return find_plan(session, str(slug))
    slug = (obj.get("metadata") or {}).get("plan")
    return find_plan(session, str(slug)) if slug else None


def _follow_status(session: Session, sub: Subscription, status: str, at: dt.datetime) -> None:
    state = STATES.get(status)
    if state is None or state == sub.state:
        return
    if state == "active" and unpaid_invoices(session, sub):
        return  # the invoice events settle it
    set_state(session, sub, state, at, f"{status} at Stripe")


Handler = Callable[[Session, Clock, Event, dt.datetime], str]
HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _checkout_completed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_succeeded": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.deleted": _subscription_deleted,
    "customer.subscription.updated": _subscription_updated,
}

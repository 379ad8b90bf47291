"""Stripe: Checkout Sessions for sign-up, and webhooks for payments and cancellations.

Every webhook's signature is verified with ``stripe.Webhook.construct_event``. Each event is processed
exactly once: its id is stored in ``provider_events`` in the same transaction as its effects, so a repeated
delivery changes nothing. Deliveries can arrive out of order, so a subscription remembers the creation time
of the newest event applied to it and ignores state from older ones (money received is still recorded).
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
from airwave.billing.invoices import issue_invoice
from airwave.billing.payments import invoice_failed, invoice_paid
from airwave.billing.plans import find_plan
from airwave.billing.providers import Checkout
from airwave.billing.subscriptions import current_subscription, subscribe
from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict
from airwave.store.billing import Invoice, Plan, ProviderEvent, Subscription
from airwave.store.tables import User

Event = dict[str, Any]


class StripeProvider:
    """Sends subscribers to a Stripe Checkout page; Stripe bills and tells us by webhook."""

    name = "stripe"

    def __init__(self, client: stripe.StripeClient, session_for_trial: bool = True) -> None:
        self.client = client
        self.trials = session_for_trial

    @classmethod
    def from_key(cls, api_key: str) -> StripeProvider:
        return cls(stripe.StripeClient(api_key))

    def checkout(self, session: Session, user: User, plan: Plan, *, success_url: str, cancel_url: str) -> Checkout:
        """Create a Checkout Session in subscription mode; the subscription starts with its webhook."""
        current = current_subscription(session, user.id)
        if current is not None and current.state in LIVE_STATES:
            raise Conflict(f"you already subscribe to {current.plan.name}: change the plan instead")
        metadata = {"user_id": str(user.id), "plan": plan.slug}
        subscription_data: dict[str, Any] = {"metadata": metadata}
        if plan.trial_days and current is None:
            subscription_data["trial_period_days"] = plan.trial_days
        price = {
            "currency": plan.currency.lower(),
            "unit_amount": plan.price,
            "recurring": {"interval": plan.interval},
            "product_data": {"name": plan.name},
        }
        params: Any = {
            "mode": "subscription",
            "customer_email": user.email,
            "client_reference_id": str(user.id),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "line_items": [{"quantity": 1, "price_data": price}],
            "metadata": metadata,
            "subscription_data": subscription_data,
        }
        created = self.client.v1.checkout.sessions.create(params)
        if not created.url:
            raise Conflict("Stripe did not return a payment page: try again")
        return Checkout(url=created.url)


def verify(payload: bytes, signature: str | None, secret: str) -> Event:
    """The event in ``payload`` if its ``Stripe-Signature`` is valid and recent.

    Raises:
        BadRequest: the signature is missing, wrong or too old, or the payload is not an event.
    """
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
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
    created = dt.datetime.fromtimestamp(int(event.get("created", 0)), dt.UTC)
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


def _subscription(session: Session, clock: Clock, ref: str | None, metadata: dict[str, Any]) -> Subscription | None:
    """Our subscription for a Stripe subscription id, created from the metadata we put in at checkout."""
    if not ref:
        return None
    sub = session.scalar(select(Subscription).where(Subscription.provider_ref == ref))
    if sub is not None:
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
    start, end = _period(obj, sub)
    invoice = issue_invoice(
        session, created, user_id=sub.user_id, currency=str(obj.get("currency", sub.plan.currency)).upper(),
        lines=lines, subscription=sub, period=(start, end), provider="stripe",
    )  # fmt: skip
    invoice.provider_ref = obj["id"]
    return invoice


def _period(obj: Event, sub: Subscription) -> tuple[dt.datetime, dt.datetime]:
    periods = [line.get("period") or {} for line in (obj.get("lines") or {}).get("data", [])]
    ends = [int(p["end"]) for p in periods if "end" in p]
    starts = [int(p["start"]) for p in periods if "start" in p]
    if not ends:
        return sub.period_start, sub.period_end
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
    fresh = _fresh(sub, created)
    if fresh and sub.state in LIVE_STATES:
        sub.period_start, sub.period_end = _period(obj, sub)
    invoice_paid(session, invoice, created, note="paid through Stripe")
    if not fresh:
        return f"invoice {invoice.number} recorded; stale state ignored"
    if sub.state in LIVE_STATES and sub.state != "active" and invoice.total > 0:
        set_state(session, sub, "active", created, "paid through Stripe")
    return f"invoice {invoice.number} paid; subscription {sub.id} {sub.state}"


def _invoice_failed(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    ref, _ = _invoice_ref(obj)
    sub = session.scalar(select(Subscription).where(Subscription.provider_ref == ref)) if ref else None
    if sub is None:
        return "ignored: not an Airwave subscription"
    invoice = _stripe_invoice(session, sub, obj, created)
    if not _fresh(sub, created):
        return f"invoice {invoice.number} failure recorded; stale state ignored"
    invoice_failed(session, invoice, created, "card payment failed at Stripe")
    return f"invoice {invoice.number} failed; subscription {sub.id} {sub.state}"


def _subscription_deleted(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    sub = session.scalar(select(Subscription).where(Subscription.provider_ref == obj.get("id")))
    if sub is None:
        return "ignored: not an Airwave subscription"
    if not _fresh(sub, created):
        return "stale: a newer event was applied"
    if sub.state in LIVE_STATES:
        ended = obj.get("ended_at") or obj.get("canceled_at")
        set_state(session, sub, "cancelled", dt.datetime.fromtimestamp(int(ended), dt.UTC) if ended else created)
    return f"subscription {sub.id} {sub.state}"


def _subscription_updated(session: Session, clock: Clock, obj: Event, created: dt.datetime) -> str:
    sub = session.scalar(select(Subscription).where(Subscription.provider_ref == obj.get("id")))
    if sub is None:
        return "ignored: not an Airwave subscription"
    if not _fresh(sub, created):
        return "stale: a newer event was applied"
    sub.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    return f"subscription {sub.id} {'cancels at period end' if sub.cancel_at_period_end else 'renews'}"


Handler = Callable[[Session, Clock, Event, dt.datetime], str]
HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _checkout_completed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_succeeded": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.deleted": _subscription_deleted,
    "customer.subscription.updated": _subscription_updated,
}

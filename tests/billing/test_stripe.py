"""Stripe: Checkout creation through stripe's client against a local fake, and webhooks signed with a test
secret (stripe's own scheme): bad signatures, replays, out-of-order deliveries. Nothing reaches the network."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from sqlalchemy import func, select

from airwave.billing.invoices import list_invoices
from airwave.billing.plans import get_plan
from airwave.billing.providers.stripe import StripeProvider
from airwave.billing.providers.stripe_webhooks import process, verify
from airwave.billing.subscriptions import current_subscription
from airwave.clock import FakeClock
from airwave.errors import BadRequest
from airwave.runtime import Runtime
from airwave.store.billing import ProviderEvent
from airwave.store.tables import User
from tests.billing.conftest import add_plan, add_user
from tests.billing.fake_stripe import fake_stripe

SECRET = "whsec_test_secret"
T0 = 1_800_000_000


def signed(event: dict[str, Any], secret: str = SECRET, at: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=at or int(time.time()))
    return payload.encode(), header


def event(event_id: str, kind: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "created": created, "data": {"object": obj}}


def invoice_obj(invoice_id: str, user: User, start: int, end: int, amount: int = 999) -> dict[str, Any]:
    return {
        "id": invoice_id, "object": "invoice", "subscription": "sub_1", "currency": "eur", "amount_paid": amount,
        "subscription_details": {"metadata": {"user_id": str(user.id), "plan": "standard"}},
        "lines": {"data": [{"description": "1 × Standard", "amount": amount, "period": {"start": start, "end": end}}]},
    }  # fmt: skip


def deliver(runtime: Runtime, clock: FakeClock, body: dict[str, Any]) -> str:
    payload, header = signed(body)
    with runtime.db.session() as session:
        return process(session, clock, verify(payload, header, SECRET))


def test_signature_failures_are_refused() -> None:
    body = event("evt_1", "invoice.paid", T0, {})
    payload, header = signed(body)
    verify(payload, header, SECRET)
    cases = [
        (payload, signed(body, secret="whsec_other")[1]),  # wrong secret
        (payload.replace(b"evt_1", b"evt_2"), header),  # tampered body
        (payload, None),  # no header
        (payload, signed(body, at=int(time.time()) - 3600)[1]),  # replayed an hour later: outside tolerance
    ]
    for body_bytes, sig in cases:
        with pytest.raises(BadRequest, match="Stripe signature rejected"):
            verify(body_bytes, sig, SECRET)


def test_events_apply_once_and_in_order(runtime: Runtime, clock: FakeClock) -> None:
    user = add_user(runtime)
    add_plan(runtime)
    month = 30 * 86400
    checkout = event("evt_a", "checkout.session.completed", T0, {
        "id": "cs_1", "object": "checkout.session", "subscription": "sub_1",
        "metadata": {"user_id": str(user.id), "plan": "standard"},
    })  # fmt: skip
    assert "subscription" in deliver(runtime, clock, checkout)
    assert deliver(runtime, clock, checkout) == "duplicate: processed already"
    paid = event("evt_b", "invoice.paid", T0 + 1, invoice_obj("in_1", user, T0, T0 + month))
    assert "paid" in deliver(runtime, clock, paid)
    assert deliver(runtime, clock, paid) == "duplicate: processed already"

    # Out of order: the cancellation (newer) arrives before a late renewal payment (older).
    cancelled = event("evt_d", "customer.subscription.deleted", T0 + month + 10, {
        "id": "sub_1", "object": "subscription", "ended_at": T0 + month + 10,
    })  # fmt: skip
    late = event("evt_c", "invoice.paid", T0 + month + 5, invoice_obj("in_2", user, T0 + month, T0 + 2 * month))
    assert "cancelled" in deliver(runtime, clock, cancelled)
    assert "stale" in deliver(runtime, clock, late)
    with runtime.db.session() as session:
        sub = current_subscription(session, user.id)
        assert sub is not None
        assert sub.state == "cancelled"
        assert sub.provider == "stripe"
        assert [(i.total, i.status) for i in list_invoices(session, user_id=user.id)] == [(999, "paid")] * 2
        assert session.scalar(select(func.count()).select_from(ProviderEvent)) == 4


def test_payment_failed_then_paid(runtime: Runtime, clock: FakeClock) -> None:
    user = add_user(runtime)
    add_plan(runtime)
    month = 30 * 86400
    deliver(runtime, clock, event("e1", "invoice.paid", T0, invoice_obj("in_1", user, T0, T0 + month)))
    failed = invoice_obj("in_2", user, T0 + month, T0 + 2 * month)
    assert "failed" in deliver(runtime, clock, event("e2", "invoice.payment_failed", T0 + month, failed))
    with runtime.db.session() as session:
        assert current_subscription(session, user.id).state == "past_due"  # type: ignore[union-attr]
    deliver(runtime, clock, event("e3", "invoice.payment_succeeded", T0 + month + 60, failed))
    with runtime.db.session() as session:
        sub = current_subscription(session, user.id)
        assert sub is not None
        assert sub.state == "active"
        assert int(sub.period_end.timestamp()) == T0 + 2 * month


def test_checkout_session_through_the_stripe_client(runtime: Runtime) -> None:
    user = add_user(runtime)
    add_plan(runtime, trial_days=7)
    with fake_stripe(T0) as fake, runtime.db.session() as session:
        provider = StripeProvider(fake.client())
        account, plan = session.get(User, user.id), get_plan(session, "standard")
        assert account is not None
        urls = [
            provider.checkout(session, account, plan, success_url="http://tv.test/account",
                              cancel_url="http://tv.test/plans").url
            for _ in range(2)
        ]  # fmt: skip
    assert urls == ["https://pay.test/cs_2", "https://pay.test/cs_3"]
    (price,) = fake.prices.values()  # created once, found by its lookup key the second time
    assert (price["unit_amount"], price["currency"], price["metadata"]) == (999, "eur", {"plan": "standard"})
    sessions = [form for method, path, form in fake.requests if path == "/v1/checkout/sessions"]
    assert len(sessions) == 2
    assert sessions[0]["mode"] == "subscription"
    assert sessions[0]["line_items[0][price]"] == price["id"]
    assert sessions[0]["subscription_data[trial_period_days]"] == "7"
    assert sessions[0]["subscription_data[metadata][user_id]"] == str(user.id)


def test_stripe_renewal_failure_grace_expiry_and_coming_back(runtime: Runtime, clock: FakeClock) -> None:
    """Stripe bills; our scheduler still ends access when no payment arrives within the grace period."""
    from airwave.accounts.entitlements import Content, check_playback
    from airwave.billing.scheduler import advance
    from tests.billing.conftest import GRACE

    def watch() -> str:
        with runtime.db.session() as session:
            decision = check_playback(session, session.get(User, user.id), Content(title_id=None), clock)  # type: ignore[arg-type]
            return "ok" if decision else decision.reason

    def tick(seconds: float) -> list[str]:
        clock.advance(seconds)
        with runtime.db.session() as session:
            return advance(session, clock.now(), GRACE)

    user = add_user(runtime)
    add_plan(runtime)
    month, start = 30 * 86400, int(clock.now().timestamp())
    deliver(runtime, clock, event("e1", "invoice.paid", start, invoice_obj("in_1", user, start, start + month)))
    assert watch() == "ok"
    assert any("awaits renewal" in line for line in tick(month))  # the period ended; Stripe has not said yet
    renewal = invoice_obj("in_2", user, start + month, start + 2 * month)
    deliver(runtime, clock, event("e2", "invoice.payment_failed", start + month + 60, renewal))
    with runtime.db.session() as session:
        assert current_subscription(session, user.id).state == "past_due"  # type: ignore[union-attr]
    assert watch() == "ok"  # grace period
    assert any("expired" in line for line in tick(GRACE.total_seconds()))
    assert watch().startswith("your subscription ended on ")
    # Stripe's retry succeeds too late: the money is recorded, access stays ended (subscribe again instead).
    late = deliver(runtime, clock, event("e3", "invoice.paid", start + month + 8 * 86400, renewal))
    assert "paid after subscription" in late
    with runtime.db.session() as session:
        assert current_subscription(session, user.id).state == "expired"  # type: ignore[union-attr]
        assert [i.status for i in list_invoices(session, user_id=user.id)] == ["paid", "paid"]
    # Coming back through a new Checkout: a new Stripe subscription, watching again at once.
    metadata = {"user_id": str(user.id), "plan": "standard"}
    session_obj = {"id": "cs_2", "object": "checkout.session", "subscription": "sub_2", "metadata": metadata}
    back = event("e4", "checkout.session.completed", start + 40 * 86400, session_obj)
    assert "active" in deliver(runtime, clock, back)
    assert watch() == "ok"
    assert deliver(runtime, clock, back) == "duplicate: processed already"

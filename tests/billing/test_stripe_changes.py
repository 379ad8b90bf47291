"""Plan changes on Stripe through the ``stripe`` library against a fake Stripe on 127.0.0.1: upgrade at once
(prorated), downgrade and cancel at the period end, resume, the Billing Portal; and the webhooks that follow,
applied once each, in any order, delivered twice."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from airwave.accounts.logins import issue_login
from airwave.accounts.users import create_user
from airwave.billing.invoices import list_invoices
from airwave.billing.plans import get_plan
from airwave.billing.providers.stripe import StripeProvider
from airwave.billing.providers.stripe_webhooks import process, verify
from airwave.billing.subscriptions import current_subscription
from airwave.clock import FakeClock
from airwave.runtime import Runtime
from airwave.store.billing import Subscription, SubscriptionEvent
from airwave.web.app import create_app
from tests.billing.conftest import add_plan, add_user
from tests.billing.fake_stripe import MONTH, FakeStripe, fake_stripe
from tests.billing.test_stripe import SECRET, signed
from tests.web.conftest import Account

DAY = 86400


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    runtime.settings = runtime.settings.model_copy(update={"stripe_webhook_secret": SECRET})
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def fake(client: TestClient, clock: FakeClock) -> Iterator[FakeStripe]:
    with fake_stripe(int(clock.now().timestamp())) as running:
        client.app.state.payment_provider = StripeProvider(running.client())  # type: ignore[attr-defined]
        yield running


@pytest.fixture
def viewer(runtime: Runtime) -> Account:
    """A subscriber whose API token outlives the months these tests move through."""
    with runtime.db.session() as session:
        user = create_user(session, runtime.clock, email="viewer@example.org", password="password123")
        token = issue_login(session, runtime.clock, user, kind="bearer", ttl=dt.timedelta(days=400))
        return Account(user.id, user.email, token)


def _later(clock: FakeClock, fake: FakeStripe, seconds: int) -> None:
    clock.advance(seconds)
    fake.now += seconds


def _deliver(client: TestClient, events: list[dict[str, Any]]) -> list[str]:
    replies = []
    for event in events:
        payload, header = signed(event)
        reply = client.post(
            "/api/v1/billing/stripe/webhook", content=payload,
            headers={"stripe-signature": header, "content-type": "application/json"},
        )  # fmt: skip
        assert reply.status_code == 200, reply.text
        replies.append(reply.json()["message"])
    return replies


def _mine(client: TestClient, viewer: Account) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/v1/me/subscription", headers=viewer.auth).json()
    return body


def test_upgrade_downgrade_cancel_resume_on_stripe(
    client: TestClient, runtime: Runtime, clock: FakeClock, fake: FakeStripe, viewer: Account
) -> None:
    for slug, price in (("basic", 600), ("premium", 1500), ("family", 2000)):
        add_plan(runtime, slug, price=price)
    started = client.post("/api/v1/me/subscription", json={"plan": "basic"}, headers=viewer.auth)
    assert started.json() == {"url": "https://pay.test/cs_2", "provider": "stripe"}
    sub_ref = fake.complete_checkout(viewer.id, "basic")
    _deliver(client, fake.events)
    assert (_mine(client, viewer)["subscription"]["state"], _mine(client, viewer)["subscription"]["watching"]) == (
        "active", True,
    )  # fmt: skip

    # Upgrade half way through: at once, Stripe charges the prorated difference (its invoice comes by webhook).
    _later(clock, fake, 15 * DAY)
    seen = len(fake.events)
    up = client.post("/api/v1/me/subscription/plan", json={"plan": "premium"}, headers=viewer.auth)
    assert up.status_code == 200, up.text
    assert up.json()["subscription"]["plan"]["slug"] == "premium"
    change = fake.requests[-1][2]
    assert (change["proration_behavior"], change["payment_behavior"]) == ("always_invoice", "error_if_incomplete")
    _deliver(client, fake.events[seen:])
    totals = [(i["total"], i["status"]) for i in _mine(client, viewer)["invoices"]]
    assert totals == [(450, "paid"), (600, "paid")]  # -300 unused basic + 750 premium for half a month

    # A declined card changes nothing, and says what to do.
    fake.decline_next_charge = True
    declined = client.post("/api/v1/me/subscription/plan", json={"plan": "family"}, headers=viewer.auth)
    assert declined.status_code == 409
    assert "card was declined" in declined.json()["error"]["message"]
    assert _mine(client, viewer)["subscription"]["plan"]["slug"] == "premium"

    # Downgrade: Stripe bills basic from the renewal; premium stays until then. Then cancel, then think again.
    _later(clock, fake, 5 * DAY)
    seen = len(fake.events)
    down = client.post("/api/v1/me/subscription/plan", json={"plan": "basic"}, headers=viewer.auth).json()
    assert (down["subscription"]["plan"]["slug"], down["subscription"]["next_plan"]) == ("premium", "basic")
    assert fake.requests[-1][2]["proration_behavior"] == "none"
    _later(clock, fake, 60)
    assert client.post("/api/v1/me/subscription/cancel", headers=viewer.auth).json()["subscription"][
        "cancel_at_period_end"
    ]
    assert fake.subscriptions[sub_ref]["cancel_at_period_end"] is True
    _later(clock, fake, 60)
    resumed = client.post("/api/v1/me/subscription/resume", headers=viewer.auth).json()["subscription"]
    assert (resumed["cancel_at_period_end"], resumed["next_plan"], resumed["plan"]["slug"]) == (False, None, "premium")
    assert fake.subscriptions[sub_ref]["items"]["data"][0]["price"]["metadata"]["plan"] == "premium"
    _deliver(client, fake.events[seen:])
    mine = _mine(client, viewer)["subscription"]
    assert (mine["plan"]["slug"], mine["next_plan"], mine["cancel_at_period_end"]) == ("premium", None, False)

    portal = client.post("/api/v1/me/subscription/portal", headers=viewer.auth)
    assert portal.json()["url"] == f"https://portal.test/{fake.subscriptions[sub_ref]['customer']}"

    # Renewal at the period end; every event delivered again changes nothing.
    _later(clock, fake, fake.subscriptions[sub_ref]["items"]["data"][0]["current_period_end"] - fake.now)
    fake.renew(sub_ref)
    _deliver(client, fake.events[-2:])
    assert set(_deliver(client, fake.events)) == {"duplicate: processed already"}
    mine = _mine(client, viewer)
    assert (mine["subscription"]["state"], mine["subscription"]["plan"]["slug"]) == ("active", "premium")
    assert int(dt.datetime.fromisoformat(mine["subscription"]["period_end"]).timestamp()) == fake.now + MONTH
    assert [i["total"] for i in mine["invoices"]] == [1500, 450, 600]
    with runtime.db.session() as session:
        notes = list(session.scalars(select(SubscriptionEvent.note)))
    assert sum("upgraded" in note for note in notes) == 1  # our change and its webhook: recorded once


def test_account_page_buttons_reach_stripe(
    client: TestClient, runtime: Runtime, fake: FakeStripe, viewer: Account
) -> None:
    add_plan(runtime, "basic", price=600)
    add_plan(runtime, "premium", price=1500)
    client.post("/api/v1/me/subscription", json={"plan": "basic"}, headers=viewer.auth)
    sub_ref = fake.complete_checkout(viewer.id, "basic")
    _deliver(client, fake.events)
    page = client.get("/account", headers=viewer.auth).text
    assert "Cancel subscription" in page
    assert "Card and receipts" in page
    portal = client.post("/account/billing-portal", headers=viewer.auth, follow_redirects=False)
    assert (portal.status_code, portal.headers["location"]) == (
        303,
        f"https://portal.test/{fake.subscriptions[sub_ref]['customer']}",
    )
    cancelled = client.post("/account/subscription/cancel", headers=viewer.auth)
    assert "You can watch until" in cancelled.text
    assert fake.subscriptions[sub_ref]["cancel_at_period_end"] is True
    assert "Keep my subscription" in cancelled.text
    client.post("/account/subscription/resume", headers=viewer.auth)
    assert fake.subscriptions[sub_ref]["cancel_at_period_end"] is False
    changed = client.post("/signup/plan", headers=viewer.auth, data={"plan": "premium"})  # "Change plan"
    assert "Your plan is now Premium." in changed.text
    assert fake.subscriptions[sub_ref]["items"]["data"][0]["price"]["metadata"]["plan"] == "premium"


def _stream(fake: FakeStripe, provider: StripeProvider, runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    """What Stripe sends for: checkout, upgrade, downgrade, cancel, resume, renewal (one account)."""
    with runtime.db.session() as session:
        basic, premium = get_plan(session, "basic"), get_plan(session, "premium")
        provider.price_id(basic)  # as at Checkout
        start, began = len(fake.events), fake.now
        remote = Subscription(provider_ref=fake.complete_checkout(user_id, "basic"))
        period_end = fake.now + MONTH
        for days, change in ((15, {"plan": premium, "prorate": True}), (5, {"plan": basic}),
                             (1, {"cancel": True}), (1, {"cancel": False})):  # fmt: skip
            fake.now += days * DAY
            provider.update(remote, **change)  # type: ignore[arg-type]
        fake.now = period_end
        fake.renew(str(remote.provider_ref))
        fake.now = began  # the next account starts where this one did
    return fake.events[start:]


def test_webhooks_in_any_order_and_twice_give_the_same_subscription(runtime: Runtime, clock: FakeClock) -> None:
    add_plan(runtime, "basic", price=600)
    add_plan(runtime, "premium", price=1500)
    outcomes = set()
    with fake_stripe(int(clock.now().timestamp())) as fake:
        provider = StripeProvider(fake.client())
        for n in range(6):
            user = add_user(runtime, f"viewer{n}@example.org")
            events = _stream(fake, provider, runtime, user.id)
            shuffle = random.Random(n)
            order = [events, events[::-1]][n] if n < 2 else shuffle.sample(events, len(events))
            for event in order + shuffle.sample(events, 3):  # and three replays
                payload, header = signed(event)
                with runtime.db.session() as session:
                    process(session, clock, verify(payload, header, SECRET))
            with runtime.db.session() as session:
                sub = current_subscription(session, user.id)
                assert sub is not None
                invoices = sorted((i.total, i.status) for i in list_invoices(session, user_id=user.id))
                outcomes.add((
                    sub.plan.slug, sub.state, sub.next_plan_id, sub.cancel_at_period_end,
                    sub.period_end - sub.period_start, tuple(invoices),
                ))  # fmt: skip
    assert outcomes == {("basic", "active", None, False, dt.timedelta(seconds=MONTH),
                         ((450, "paid"), (600, "paid"), (600, "paid")))}  # fmt: skip

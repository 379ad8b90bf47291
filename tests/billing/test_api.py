"""The billing API and pages over HTTP: plans, choosing one, playback gated by it, vouchers, the Stripe webhook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from airwave.billing.access import SessionEntitlements
from airwave.runtime import Runtime
from airwave.web.app import create_app
from tests.billing.test_stripe import SECRET, T0, event, signed
from tests.web.conftest import Account, make_account

STANDARD = {"slug": "standard", "name": "Standard", "price": "9.99", "currency": "EUR", "max_streams": 2}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    runtime.settings = runtime.settings.model_copy(update={"stripe_webhook_secret": SECRET})
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def test_plans_api_and_who_may_change_them(client: TestClient, admin: Account, viewer: Account) -> None:
    assert client.post("/api/v1/billing/plans", json=STANDARD, headers=viewer.auth).status_code == 403
    assert client.post("/api/v1/billing/plans", json=STANDARD).status_code == 401
    created = client.post("/api/v1/billing/plans", json=STANDARD, headers=admin.auth)
    assert created.status_code == 201, created.text
    assert (created.json()["price"], created.json()["price_text"]) == (999, "€9.99")
    bad = client.post("/api/v1/billing/plans", json={**STANDARD, "slug": "x", "price": "9.999"}, headers=admin.auth)
    assert bad.status_code == 400
    assert "too many decimals" in bad.json()["error"]["message"]
    assert [p["slug"] for p in client.get("/api/v1/plans").json()] == ["standard"]  # public, no sign-in


def test_choosing_a_plan_gates_playback(client: TestClient, admin: Account, viewer: Account, film: int) -> None:
    client.post("/api/v1/billing/plans", json=STANDARD, headers=admin.auth)
    refused = client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth)
    assert refused.status_code == 403
    assert "choose a plan" in refused.json()["error"]["message"]
    assert client.post("/api/v1/playback", json={"title": film}, headers=admin.auth).status_code == 201

    checkout = client.post("/api/v1/me/subscription", json={"plan": "standard"}, headers=viewer.auth)
    assert checkout.status_code == 201
    assert checkout.json()["provider"] == "manual"
    mine = client.get("/api/v1/me/subscription", headers=viewer.auth).json()
    assert mine["subscription"]["state"] == "past_due"
    assert not mine["subscription"]["watching"]
    (invoice,) = mine["invoices"]
    assert invoice["total_text"] == "€9.99"
    assert invoice["status"] == "open"
    paid = client.post(f"/api/v1/billing/invoices/{invoice['id']}/paid", json={}, headers=viewer.auth)
    assert paid.status_code == 403
    client.post(f"/api/v1/billing/invoices/{invoice['id']}/paid", json={"note": "bank"}, headers=admin.auth)
    started = client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth)
    assert started.status_code == 201
    assert client.get(started.json()["url"]).status_code == 200

    # Cancelled now: new playback refused at once, the running session at its next playlist request.
    client.app.state.playback.entitlements = SessionEntitlements(
        client.app.state.runtime.db, client.app.state.runtime.clock, ttl=0
    )  # type: ignore[attr-defined]
    with client.app.state.runtime.db.session() as session:  # type: ignore[attr-defined]
        from airwave.billing.subscriptions import cancel, current_subscription

        sub = current_subscription(session, viewer.id)
        assert sub is not None
        cancel(session, sub, client.app.state.runtime.clock.now(), immediately=True)  # type: ignore[attr-defined]
    assert client.get(started.json()["url"]).status_code == 403
    again = client.post("/api/v1/playback", json={"title": film}, headers=viewer.auth)
    assert "your subscription ended on" in again.json()["error"]["message"]


def test_vouchers(client: TestClient, admin: Account, viewer: Account, runtime: Runtime) -> None:
    client.post("/api/v1/billing/plans", json=STANDARD, headers=admin.auth)
    body = {"kind": "days", "value": 3, "plan": "standard", "max_uses": 1, "code": "HOTEL-101"}
    assert client.post("/api/v1/billing/vouchers", json=body, headers=admin.auth).status_code == 201
    redeemed = client.post("/api/v1/me/subscription/redeem", json={"code": "hotel-101"}, headers=viewer.auth)
    assert redeemed.status_code == 200
    assert "Standard for 3 days" in redeemed.json()["message"]
    assert client.get("/api/v1/me/subscription", headers=viewer.auth).json()["subscription"]["watching"]
    other = make_account(runtime, "guest@example.org", "subscriber")
    used_up = client.post("/api/v1/me/subscription/redeem", json={"code": "HOTEL-101"}, headers=other.auth)
    assert used_up.status_code == 409
    assert "used up" in used_up.json()["error"]["message"]


def test_stripe_webhook_endpoint(client: TestClient, viewer: Account, admin: Account) -> None:
    client.post("/api/v1/billing/plans", json=STANDARD, headers=admin.auth)
    body = event("evt_http", "checkout.session.completed", T0, {
        "id": "cs_9", "subscription": "sub_9", "metadata": {"user_id": str(viewer.id), "plan": "standard"},
    })  # fmt: skip
    payload, header = signed(body)
    url = "/api/v1/billing/stripe/webhook"
    assert client.post(url, content=payload, headers={"Stripe-Signature": header + "0"}).status_code == 400
    first = client.post(url, content=payload, headers={"Stripe-Signature": header})
    assert first.status_code == 200
    assert "active" in first.json()["message"]
    replay = client.post(url, content=payload, headers={"Stripe-Signature": header})
    assert replay.json()["message"] == "duplicate: processed already"


def test_admin_billing_pages(client: TestClient, admin: Account, viewer: Account) -> None:
    cookie_free = admin.auth
    for path in ("/admin/plans", "/admin/packages", "/admin/vouchers", "/admin/revenue"):
        page = client.get(path, headers=cookie_free)
        assert page.status_code == 200, path
        assert client.get(path, headers=viewer.auth).status_code == 403
    made = client.post(
        "/admin/plans", headers=cookie_free, follow_redirects=False,
        data={"slug": "family", "name": "Family", "price": "14.99", "currency": "EUR", "interval": "month",
              "trial_days": "0", "streams": "4", "devices": "8"},
    )  # fmt: skip
    assert made.status_code == 303
    assert "€14.99" in client.get("/admin/plans", headers=cookie_free).text
    bad = client.post("/admin/plans", headers=cookie_free, data={"slug": "x", "name": "X", "price": "abc"})
    assert bad.status_code == 400
    assert "is not a price" in bad.text
    client.post("/api/v1/me/subscription", json={"plan": "family"}, headers=viewer.auth)
    revenue = client.get("/admin/revenue", headers=cookie_free).text
    assert revenue.count('<svg class="chart"') == 3
    assert "Mark paid" in revenue
    assert f'<a href="/admin/subscribers/{viewer.id}">{viewer.email}</a>' in revenue  # who owes it, by name


def test_support_reads_billing_but_cannot_change_prices(
    client: TestClient, admin: Account, viewer: Account, runtime: Runtime
) -> None:
    support = make_account(runtime, "support@example.org", "support")
    assert client.post("/api/v1/billing/plans", json=STANDARD, headers=admin.auth).status_code == 201
    client.post("/api/v1/me/subscription", json={"plan": "standard"}, headers=viewer.auth)
    (invoice,) = client.get("/api/v1/billing/invoices", headers=support.auth).json()  # support may look
    assert [p["price"] for p in client.get("/api/v1/billing/plans", headers=support.auth).json()] == [999]
    cheaper = {**STANDARD, "price": "0.99"}
    refusals = [
        client.put("/api/v1/billing/plans/standard", json=cheaper, headers=support.auth),
        client.post("/api/v1/billing/plans", json={**cheaper, "slug": "cheap"}, headers=support.auth),
        client.delete("/api/v1/billing/plans/standard", headers=support.auth),
        client.post(
            "/api/v1/billing/packages",
            json={"slug": "sports", "name": "Sports", "addon": True, "price": "1"},
            headers=support.auth,
        ),
        client.post("/api/v1/billing/vouchers", json={"kind": "percent", "value": 100}, headers=support.auth),
        client.post(f"/api/v1/billing/invoices/{invoice['id']}/paid", json={}, headers=support.auth),
        client.post("/admin/plans", headers=support.auth, data={"slug": "standard", "name": "S", "price": "0.99"}),
    ]
    assert [r.status_code for r in refusals] == [403] * len(refusals)
    assert "admin" in refusals[0].json()["error"]["message"]
    assert [p["price"] for p in client.get("/api/v1/plans").json()] == [999]  # nothing changed
    assert client.get("/api/v1/billing/invoices", headers=admin.auth).json()[0]["status"] == "open"

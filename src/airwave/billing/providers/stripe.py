"""Stripe through the ``stripe`` library: Checkout Sessions for sign-up, plan changes and cancellations on the
Stripe subscription, and Billing Portal links. What Stripe then does arrives by webhook (``stripe_webhooks``).

Each plan has one Stripe Price per (price, currency, interval), found by its lookup key and created on first
use, carrying the plan's slug in its metadata: that is how a webhook (or a change made in the Billing Portal)
names the plan again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
from sqlalchemy.orm import Session

from airwave.billing.history import LIVE_STATES
from airwave.billing.providers import Checkout
from airwave.billing.subscriptions import current_subscription
from airwave.errors import Conflict
from airwave.store.billing import Plan, Subscription
from airwave.store.tables import User


def lookup_key(plan: Plan) -> str:
    """The Stripe Price lookup key of the plan's current terms: a price change makes a new Price."""
    return f"airwave-{plan.slug}-{plan.price}-{plan.currency.lower()}-{plan.interval}"


@contextmanager
def stripe_errors(doing: str) -> Iterator[None]:
    """Turn Stripe's refusals into a message the subscriber can act on."""
    try:
        yield
    except stripe.CardError as exc:
        raise Conflict(f"your card was declined while {doing} ({exc.user_message or exc.code}): "
                       "update your card in the billing portal and try again") from None  # fmt: skip
    except stripe.StripeError as exc:
        raise Conflict(f"Stripe could not complete {doing} ({exc.user_message or exc}): try again later") from None


class StripeProvider:
    """Sends subscribers to a Stripe Checkout page and changes their Stripe subscriptions; Stripe bills."""

    name = "stripe"

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

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
        params: Any = {
            "mode": "subscription",
            "customer_email": user.email,
            "client_reference_id": str(user.id),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "line_items": [{"quantity": 1, "price": self.price_id(plan)}],
            "metadata": metadata,
            "subscription_data": subscription_data,
        }
        with stripe_errors("opening the payment page"):
            created = self.client.v1.checkout.sessions.create(params)
        if not created.url:
            raise Conflict("Stripe did not return a payment page: try again")
        return Checkout(url=created.url)

    def price_id(self, plan: Plan) -> str:
        """The Stripe Price for the plan's terms, created the first time they are sold."""
        key = lookup_key(plan)
        with stripe_errors(f"pricing {plan.name}"):
            found = self.client.v1.prices.list({"lookup_keys": [key], "limit": 1})
            if found.data:
                return str(found.data[0].id)
            created = self.client.v1.prices.create({
                "currency": plan.currency.lower(), "unit_amount": plan.price, "recurring": {"interval": plan.interval},
                "product_data": {"name": plan.name}, "lookup_key": key, "metadata": {"plan": plan.slug},
            })  # fmt: skip
        return str(created.id)

    def update(
        self, sub: Subscription, *, plan: Plan | None = None, prorate: bool = False, cancel: bool | None = None
    ) -> None:
        """Change the Stripe subscription: its plan (charging the prorated difference now when ``prorate``,
        else from the next renewal), and whether it ends at the period end.

        Raises:
            Conflict: Stripe refused (a declined card for an upgrade charges nothing and changes nothing).
        """
        params: dict[str, Any] = {}
        if cancel is not None:
            params["cancel_at_period_end"] = cancel
        if plan is not None:
            params["items"] = [{"id": self._item_id(sub), "price": self.price_id(plan)}]
            params["metadata"] = {"plan": plan.slug}
            params["proration_behavior"] = "always_invoice" if prorate else "none"
            if prorate:  # an upgrade happens only if its prorated invoice is paid
                params["payment_behavior"] = "error_if_incomplete"
        with stripe_errors("changing your subscription"):
            self.client.v1.subscriptions.update(_ref(sub), params)  # type: ignore[arg-type]

    def cancel_now(self, sub: Subscription) -> None:
        """End the Stripe subscription at once (nothing more is charged)."""
        with stripe_errors("cancelling your subscription"):
            self.client.v1.subscriptions.cancel(_ref(sub))

    def portal_url(self, sub: Subscription, return_url: str) -> str:
        """A Stripe Billing Portal page where the subscriber manages card, invoices and plan."""
        with stripe_errors("opening the billing portal"):
            remote = self.client.v1.subscriptions.retrieve(_ref(sub))
            customer = remote["customer"]
            customer_id = customer if isinstance(customer, str) else customer["id"]
            portal = self.client.v1.billing_portal.sessions.create({"customer": customer_id, "return_url": return_url})
        return str(portal.url)

    def _item_id(self, sub: Subscription) -> str:
        with stripe_errors("reading your subscription"):
            remote = self.client.v1.subscriptions.retrieve(_ref(sub))
        items = remote["items"]["data"]
        if not items:
            raise Conflict("the Stripe subscription has no plan on it: contact support")
        return str(items[0]["id"])


def _ref(sub: Subscription) -> str:
    if not sub.provider_ref:
        raise Conflict("this subscription is not linked to Stripe yet: wait a minute for the payment to arrive")
    return sub.provider_ref

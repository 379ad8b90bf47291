"""Payment providers: how an account pays. The built-in manual provider and Stripe.

A provider turns a plan choice into a way to pay (:meth:`PaymentProvider.checkout`) and reports payments
back through ``billing.payments``: an admin marking an invoice paid (manual), or webhooks (Stripe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from airwave.store.billing import Plan
from airwave.store.tables import User


@dataclass(frozen=True)
class Checkout:
    """Where to send the subscriber next: a payment page (Stripe) or the account page (manual invoice)."""

    url: str
    subscription_id: int | None = None


class PaymentProvider(Protocol):
    """What the sign-up flow asks of a payment provider."""

    name: str

    def checkout(self, session: Session, user: User, plan: Plan, *, success_url: str, cancel_url: str) -> Checkout:
        """Start paying for ``plan``: subscribe now (manual) or hand over to a hosted payment page."""
        ...

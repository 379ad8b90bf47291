"""The built-in manual provider: invoices that an admin marks paid (bank transfer, cash at the front desk),
and vouchers for hotels, campuses and promotions (``billing.vouchers``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from airwave.billing.invoices import get_invoice
from airwave.billing.payments import invoice_paid
from airwave.billing.providers import Checkout
from airwave.billing.subscriptions import subscribe
from airwave.clock import Clock
from airwave.store.billing import Invoice, Plan
from airwave.store.tables import User


class ManualProvider:
    """Subscribes at once; the first period (after any trial) is an open invoice until an admin marks it paid."""

    name = "manual"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def checkout(self, session: Session, user: User, plan: Plan, *, success_url: str, cancel_url: str) -> Checkout:
        sub = subscribe(session, self.clock.now(), user, plan, provider=self.name)
        return Checkout(url=success_url, subscription_id=sub.id)


def mark_paid(session: Session, clock: Clock, invoice_id: int, admin: User, note: str = "") -> Invoice:
    """An admin records payment of an invoice received outside Airwave.

    Raises:
        NotFound: no such invoice.
        Conflict: the invoice was voided.
    """
    invoice = get_invoice(session, invoice_id)
    invoice_paid(session, invoice, clock.now(), note=f"marked paid by {admin.email}" + (f": {note}" if note else ""))
    return invoice

"""What happens when an invoice is paid, fails, or is voided: the subscription follows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from airwave.billing.history import LIVE_STATES, set_state
from airwave.billing.invoices import unpaid_invoices
from airwave.errors import Conflict
from airwave.store.billing import Invoice, Subscription


def invoice_paid(session: Session, invoice: Invoice, now: dt.datetime, note: str = "") -> bool:
    """Record payment of ``invoice``; a live subscription with nothing else owed becomes active.

    Returns False when it was paid already (a repeated notice changes nothing).

    Raises:
        Conflict: the invoice was voided.
    """
    if invoice.status == "paid":
        return False
    if invoice.status == "void":
        raise Conflict(f"invoice {invoice.number} was voided: issue a new one instead")
    invoice.status, invoice.paid_at = "paid", now
    if note:
        invoice.note = f"{invoice.note}\n{note}".strip()
    sub = session.get(Subscription, invoice.subscription_id) if invoice.subscription_id else None
    if sub is not None:
        sub.ever_paid = True
        session.flush()
        if sub.state in LIVE_STATES and not unpaid_invoices(session, sub):
            set_state(session, sub, "active", now, f"invoice {invoice.number} paid")
    return True


def invoice_failed(session: Session, invoice: Invoice, now: dt.datetime, reason: str) -> None:
    """Record a failed payment attempt: the subscription is past due (the grace period runs from its start)."""
    if invoice.status == "paid":
        return
    invoice.status = "failed"
    invoice.note = f"{invoice.note}\npayment failed: {reason}".strip()
    sub = session.get(Subscription, invoice.subscription_id) if invoice.subscription_id else None
    if sub is not None and sub.state in ("trialing", "active"):
        set_state(session, sub, "past_due", now, f"payment of {invoice.number} failed")


def void_unpaid(session: Session, sub: Subscription, reason: str) -> int:
    """Void what the subscription still owes (it ended); returns how many invoices.

    A voided bill no longer holds its period, so a reactivation may bill that period anew.
    """
    unpaid = unpaid_invoices(session, sub)
    for invoice in unpaid:
        invoice.status, invoice.cycle_start = "void", None
        invoice.note = f"{invoice.note}\nvoided: {reason}".strip()
    return len(unpaid)

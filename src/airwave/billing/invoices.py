"""Invoices with line items: issuing them for a period, numbering, listing."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.billing.history import set_state
from airwave.billing.money import format_amount, long_date, percent_of
from airwave.errors import NotFound
from airwave.store.billing import Invoice, InvoiceLine, Subscription

Line = tuple[str, int]  # description, amount in minor units


def issue_invoice(
    session: Session,
    now: dt.datetime,
    *,
    user_id: int,
    currency: str,
    lines: Sequence[Line],
    subscription: Subscription | None = None,
    period: tuple[dt.datetime, dt.datetime] | None = None,
    provider: str = "manual",
    cycle_start: dt.datetime | None = None,
) -> Invoice:
    """Create an invoice from its lines; one totalling zero or less is paid at once.

    ``cycle_start`` marks the bill of a regular period, which the database keeps unique per subscription.
    """
    total = sum(amount for _, amount in lines)
    invoice = Invoice(
        number=f"tmp-{secrets.token_hex(6)}",
        user_id=user_id,
        subscription_id=subscription.id if subscription is not None else None,
        status="paid" if total <= 0 else "open",
        currency=currency,
        total=max(0, total),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        provider=provider,
        cycle_start=cycle_start,
        created_at=now,
        paid_at=now if total <= 0 else None,
        lines=[InvoiceLine(description=text[:300], amount=amount) for text, amount in lines],
    )
    session.add(invoice)
    session.flush()
    invoice.number = f"AW-{now.year}-{invoice.id:06d}"
    return invoice


def period_lines(sub: Subscription, start: dt.datetime, end: dt.datetime) -> list[Line]:
    """The lines of a regular bill: the plan, each add-on, and a one-off voucher discount."""
    span = f"{long_date(start)} to {long_date(end)}"
    lines: list[Line] = [(f"{sub.plan.name} plan, {span}", sub.plan.price)]
    lines += [(f"{addon.name} add-on, {span}", addon.price) for addon in sub.addons]
    if sub.discount_percent:
        subtotal = sum(amount for _, amount in lines)
        discount = percent_of(subtotal, sub.discount_percent)
        lines.append((f"Voucher {sub.discount_code}: {sub.discount_percent}% off", -discount))
        sub.discount_percent, sub.discount_code = 0, ""
    return lines


def bill_period(session: Session, sub: Subscription, start: dt.datetime, end: dt.datetime) -> Invoice:
    """Start a new period for ``sub`` and invoice it: active when nothing is owed, else past due from ``start``.

    Raises:
        IntegrityError: (at the flush) the period was invoiced already, e.g. by another worker's scheduler.
    """
    sub.period_start, sub.period_end = start, end
    invoice = issue_invoice(
        session,
        start,
        user_id=sub.user_id,
        currency=sub.plan.currency,
        lines=period_lines(sub, start, end),
        subscription=sub,
        period=(start, end),
        provider=sub.provider,
        cycle_start=start,
    )
    if invoice.status == "paid":
        sub.ever_paid = True
        set_state(session, sub, "active", start, "renewed")
    else:
        set_state(session, sub, "past_due", start, f"invoice {invoice.number} due")
    return invoice


def get_invoice(session: Session, invoice_id: int) -> Invoice:
    """The invoice with this id.

    Raises:
        NotFound: there is none.
    """
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice


def list_invoices(
    session: Session, *, user_id: int | None = None, status: str | None = None, limit: int = 100
) -> list[Invoice]:
    """Invoices, newest first, optionally of one account or in one status."""
    query = select(Invoice).order_by(Invoice.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(Invoice.user_id == user_id)
    if status:
        query = query.where(Invoice.status == status)
    return list(session.scalars(query))


def unpaid_invoices(session: Session, sub: Subscription) -> list[Invoice]:
    """The subscription's open or failed invoices, oldest first."""
    query = select(Invoice).where(Invoice.subscription_id == sub.id, Invoice.status.in_(("open", "failed")))
    return list(session.scalars(query.order_by(Invoice.id)))


def describe(invoice: Invoice) -> str:
    """ "AW-2027-000012: €9.99 (open)"."""
    return f"{invoice.number}: {format_amount(invoice.total, invoice.currency)} ({invoice.status})"

"""The demo's billing: a "Standard" plan (everything, 4 streams) and the demo viewer subscribed and paid up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from airwave.billing.invoices import unpaid_invoices
from airwave.billing.payments import invoice_paid
from airwave.billing.plans import PlanSpec, create_plan, find_plan
from airwave.billing.subscriptions import current_subscription, subscribe
from airwave.clock import Clock
from airwave.store.tables import User

STANDARD = PlanSpec(
    name="Standard", price=999, currency="EUR", trial_days=7, max_streams=4, max_devices=10,
    description="Every channel and the whole catalogue.",
)  # fmt: skip


def seed_demo_billing(session: Session, clock: Clock, viewer: User) -> None:
    """Create the Standard plan if missing and give ``viewer`` a paid subscription if it has none."""
    plan = find_plan(session, "standard") or create_plan(session, clock, "standard", STANDARD)
    if current_subscription(session, viewer.id) is not None:
        return
    sub = subscribe(session, clock.now(), viewer, plan, trial=False)
    for invoice in unpaid_invoices(session, sub):
        invoice_paid(session, invoice, clock.now(), note="demo")

"""Revenue over time: MRR, live subscribers and churn per month from the subscription history."""

from __future__ import annotations

from airwave.billing.invoices import list_invoices
from airwave.billing.payments import invoice_paid
from airwave.billing.plans import get_plan
from airwave.billing.revenue import month_labels, revenue
from airwave.billing.scheduler import advance
from airwave.billing.subscriptions import cancel, subscribe
from airwave.clock import FakeClock
from airwave.runtime import Runtime
from airwave.store.tables import User
from tests.billing.conftest import DAY, GRACE, add_plan, add_user


def _join(runtime: Runtime, email: str, plan: str, paid: bool = True) -> int:
    user = add_user(runtime, email)
    with runtime.db.session() as session:
        sub = subscribe(session, runtime.clock.now(), session.get(User, user.id), get_plan(session, plan))  # type: ignore[arg-type]
        if paid:
            for invoice in list_invoices(session, user_id=user.id):
                invoice_paid(session, invoice, runtime.clock.now())
        return sub.id


def test_mrr_subscribers_and_churn_by_month(runtime: Runtime, clock: FakeClock) -> None:
    add_plan(runtime, "monthly", price=1000)
    add_plan(runtime, "yearly", price=12000, interval="year")
    _join(runtime, "a@example.org", "monthly")
    _join(runtime, "b@example.org", "yearly")  # counts as 10.00 a month
    leaver = _join(runtime, "c@example.org", "monthly")
    for n in range(5):  # a month of sign-ups who never pay: they expire after the grace period
        _join(runtime, f"trial{n}@example.org", "monthly", paid=False)
    with runtime.db.session() as session:
        from airwave.store.billing import Subscription

        sub = session.get(Subscription, leaver)
        assert sub is not None
        cancel(session, sub, clock.now())
    clock.advance(20 * DAY.total_seconds())  # 4 February: the unpaid sign-ups expired on 22 January
    with runtime.db.session() as session:
        advance(session, clock.now(), GRACE)
    clock.advance(12 * DAY.total_seconds())  # 16 February: a renewed (and pays), c's cancellation took effect
    with runtime.db.session() as session:
        advance(session, clock.now(), GRACE)
        for invoice in list_invoices(session, status="open"):
            invoice_paid(session, invoice, clock.now())
        report = revenue(session, clock.now(), months=3)
    december, january, february = report.months
    assert (december.mrr, december.subscribers, december.churned, december.churn_rate) == (0, 0, 0, 0.0)
    assert (january.mrr, january.subscribers, january.churned) == (3000, 3, 5)  # the yearly plan: 10.00 a month
    assert january.churn_rate == 0.625  # 5 of the 8 live in January: a share, never above 100 %
    assert (february.mrr, february.subscribers, february.churned) == (2000, 2, 1)
    assert february.churn_rate == 0.3333
    assert report.currency == "EUR"
    assert month_labels(report.months) == ["Dec 26", "Jan 27", "Feb"]

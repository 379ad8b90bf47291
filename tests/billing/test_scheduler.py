"""Several workers (or servers) renewing at once never invoice one period twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from airwave.billing.invoices import bill_period, issue_invoice, list_invoices
from airwave.billing.payments import invoice_paid
from airwave.billing.plans import get_plan
from airwave.billing.scheduler import BillingScheduler, advance, billing_lock, run_pass
from airwave.billing.subscriptions import current_subscription, subscribe
from airwave.clock import FakeClock
from airwave.runtime import Runtime, open_runtime
from airwave.store.billing import Invoice, Subscription
from airwave.store.tables import User
from tests.billing.conftest import GRACE, add_plan, add_user

ACCOUNTS = 12


def _paid_subscribers(runtime: Runtime, count: int) -> list[int]:
    """``count`` accounts on a paid monthly plan, first period paid; their subscription ids."""
    add_plan(runtime)
    ids = []
    for n in range(count):
        user = add_user(runtime, f"viewer{n}@example.org")
        with runtime.db.session() as session:
            sub = subscribe(session, runtime.clock.now(), session.get(User, user.id), get_plan(session, "standard"))
            for invoice in list_invoices(session, user_id=user.id):
                invoice_paid(session, invoice, runtime.clock.now())
            ids.append(sub.id)
    return ids


def _invoices_per_period(runtime: Runtime) -> dict[tuple[int, dt.datetime], int]:
    with runtime.db.session() as session:
        rows = session.execute(
            select(Invoice.subscription_id, Invoice.period_start, func.count()).group_by(
                Invoice.subscription_id, Invoice.period_start
            )
        )
        return {(sub_id, start): count for sub_id, start, count in rows}


def test_two_workers_renewing_at_once_bill_each_period_once(runtime: Runtime, clock: FakeClock) -> None:
    ids = _paid_subscribers(runtime, ACCOUNTS)
    clock.advance(31 * 86400)  # past every first period's end
    workers = [open_runtime(runtime.settings, clock=clock) for _ in range(2)]  # separate engines, like processes
    start = threading.Barrier(len(workers))
    results: list[list[str]] = []

    def work(worker: Runtime) -> None:
        start.wait(timeout=30)
        results.append(BillingScheduler(worker).run_once())

    threads = [threading.Thread(target=work, args=(worker,), name=f"worker-{n}") for n, worker in enumerate(workers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for worker in workers:
            worker.close()
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(len(done) for done in results) == [0, ACCOUNTS]  # one pass renewed all, the other nothing
    counts = _invoices_per_period(runtime)
    assert len(counts) == 2 * ACCOUNTS  # the first period and the renewal, for every subscription
    assert set(counts.values()) == {1}
    assert {sub_id for sub_id, _ in counts} == set(ids)


def test_the_database_refuses_a_second_bill_for_a_period(runtime: Runtime, clock: FakeClock) -> None:
    (sub_id,) = _paid_subscribers(runtime, 1)
    with runtime.db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        with pytest.raises(IntegrityError):
            bill_period(session, sub, sub.period_start, sub.period_end)
        session.rollback()


def test_a_period_invoiced_by_another_worker_is_left_alone(runtime: Runtime, clock: FakeClock) -> None:
    """A pass that raced past the lock (an older server, say) meets the unique period and backs off."""
    (sub_id,) = _paid_subscribers(runtime, 1)
    with runtime.db.session() as session:  # the other worker's bill for the next period, committed first
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        issue_invoice(
            session, sub.period_end, user_id=sub.user_id, currency="EUR", lines=[("Standard plan", 999)],
            subscription=sub, period=(sub.period_end, sub.period_end + dt.timedelta(days=30)),
            cycle_start=sub.period_end,
        )  # fmt: skip
    clock.advance(31 * 86400)
    with runtime.db.session() as session:
        assert advance(session, clock.now(), GRACE) == [f"subscription {sub_id} renewed elsewhere"]
    assert set(_invoices_per_period(runtime).values()) == {1}
    with runtime.db.session() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None
        assert len(list_invoices(session, user_id=sub.user_id)) == 2
        assert sub.period_end <= clock.now()  # unchanged here: the worker that billed the period moves it on


def test_a_pass_waits_or_skips_while_another_holds_the_lock(runtime: Runtime, clock: FakeClock) -> None:
    _paid_subscribers(runtime, 1)
    clock.advance(31 * 86400)
    with billing_lock(runtime.db) as held:
        assert held is not None
        if runtime.db.engine.dialect.name == "postgresql":
            assert run_pass(runtime.db, clock.now(), GRACE) is None  # skipped, not blocked
        advance(held, clock.now(), GRACE)
    assert run_pass(runtime.db, clock.now(), GRACE) == []
    with runtime.db.session() as session:
        sub = current_subscription(session, session.scalars(select(User.id)).first() or 0)
        assert sub is not None
        assert sub.state == "past_due"  # renewed once, the new invoice open

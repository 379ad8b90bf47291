"""The whole subscription lifecycle on a fake clock: trial, renewal, failed payment, grace, expiry, reactivation."""

from __future__ import annotations

from sqlalchemy import select

from airwave.accounts.entitlements import Content, check_playback
from airwave.billing.invoices import list_invoices
from airwave.billing.payments import invoice_failed, invoice_paid
from airwave.billing.plans import get_plan
from airwave.billing.scheduler import advance
from airwave.billing.subscriptions import cancel, change_plan, current_subscription, reactivate, resume, subscribe
from airwave.clock import FakeClock
from airwave.runtime import Runtime
from airwave.store.billing import SubscriptionEvent
from airwave.store.tables import User
from tests.billing.conftest import DAY, GRACE, add_plan, add_user


def _watch(runtime: Runtime, user: User) -> str:
    with runtime.db.session() as session:
        decision = check_playback(session, session.get(User, user.id), Content(title_id=None), runtime.clock)
        return "ok" if decision else decision.reason


def _tick(runtime: Runtime, clock: FakeClock, seconds: float) -> list[str]:
    clock.advance(seconds)
    with runtime.db.session() as session:
        return advance(session, clock.now(), GRACE)


def test_trial_renewal_failure_grace_expiry_reactivation(runtime: Runtime, clock: FakeClock) -> None:
    user = add_user(runtime)
    add_plan(runtime, trial_days=14)
    assert _watch(runtime, user) == "choose a plan to start watching"
    with runtime.db.session() as session:
        sub = subscribe(session, clock.now(), user, get_plan(session, "standard"))
        assert sub.state == "trialing"
    assert _watch(runtime, user) == "ok"

    # Trial ends: the first period is invoiced; unpaid, the trial is over and playback stops at once.
    _tick(runtime, clock, 14 * 86400)
    with runtime.db.session() as session:
        sub = current_subscription(session, user.id)
        assert sub is not None
        assert sub.state == "past_due"
        (invoice,) = list_invoices(session, user_id=user.id)
        assert (invoice.total, invoice.status, invoice.currency) == (999, "open", "EUR")
        assert invoice.lines[0].description.startswith("Standard plan, ")
    assert _watch(runtime, user).startswith("your trial has ended")

    with runtime.db.session() as session:
        invoice_paid(session, list_invoices(session, user_id=user.id)[0], clock.now())
        sub = current_subscription(session, user.id)
        assert sub is not None
        assert sub.state == "active"
        first_end = sub.period_end
    assert _watch(runtime, user) == "ok"

    # Renewal at the period end; the payment fails: past due, still watching in the grace period.
    clock.advance((first_end - clock.now()).total_seconds())
    with runtime.db.session() as session:
        assert any("renewed" in line for line in advance(session, clock.now(), GRACE))
        renewal = list_invoices(session, user_id=user.id)[0]
        invoice_failed(session, renewal, clock.now(), "card declined")
        assert current_subscription(session, user.id).state == "past_due"  # type: ignore[union-attr]
    assert _watch(runtime, user) == "ok"
    _tick(runtime, clock, 6 * 86400)
    assert _watch(runtime, user) == "ok"

    # The grace period ends: expired, the unpaid invoice is voided, playback refused with the date.
    assert any("expired" in line for line in _tick(runtime, clock, 1 * 86400))
    with runtime.db.session() as session:
        sub = current_subscription(session, user.id)
        assert sub is not None
        assert sub.state == "expired"
        assert list_invoices(session, user_id=user.id)[0].status == "void"
    assert _watch(runtime, user).startswith("your subscription ended on ")

    # Reactivation: a new period, invoiced; paid, watching again.
    with runtime.db.session() as session:
        sub = current_subscription(session, user.id)
        assert sub is not None
        invoice = reactivate(session, sub, clock.now())
        invoice_paid(session, invoice, clock.now())
        assert sub.state == "active"
        assert sub.period_start == clock.now()
        states = [e.state for e in session.scalars(select(SubscriptionEvent).order_by(SubscriptionEvent.id))]
    assert states == ["trialing", "past_due", "active", "past_due", "expired", "past_due", "active"]
    assert _watch(runtime, user) == "ok"


def test_cancel_at_period_end_and_resume(runtime: Runtime, clock: FakeClock) -> None:
    user = add_user(runtime)
    add_plan(runtime, price=0)  # a free plan renews itself
    with runtime.db.session() as session:
        sub = subscribe(session, clock.now(), user, get_plan(session, "standard"))
        assert sub.state == "active"
        cancel(session, sub, clock.now())
        resume(session, sub, clock.now())
        cancel(session, sub, clock.now())
        end = sub.period_end
    clock.advance((end - clock.now()).total_seconds() - 1)
    assert _watch(runtime, user) == "ok"
    clock.advance(1)
    assert _watch(runtime, user).startswith("your subscription ended on ")  # at once, before the scheduler runs
    _tick(runtime, clock, 1)
    with runtime.db.session() as session:
        assert current_subscription(session, user.id).state == "cancelled"  # type: ignore[union-attr]


def test_upgrade_prorates_at_once_and_downgrade_waits(runtime: Runtime, clock: FakeClock) -> None:
    user = add_user(runtime)
    add_plan(runtime, "basic", price=600)
    add_plan(runtime, "premium", price=1500)
    with runtime.db.session() as session:
        sub = subscribe(session, clock.now(), user, get_plan(session, "basic"))
        invoice_paid(session, list_invoices(session, user_id=user.id)[0], clock.now())
        period = sub.period_end - sub.period_start
    clock.advance(period.total_seconds() / 2)
    with runtime.db.session() as session:
        sub = current_subscription(session, user.id)
        assert sub is not None
        upgrade = change_plan(session, sub, get_plan(session, "premium"), clock.now())
        assert upgrade is not None
        assert sub.plan.slug == "premium"
        assert [line.amount for line in upgrade.lines] == [-300, 750]
        assert upgrade.total == 450
        invoice_paid(session, upgrade, clock.now())
        assert change_plan(session, sub, get_plan(session, "basic"), clock.now()) is None
        assert sub.plan.slug == "premium"
        assert sub.next_plan_id is not None
        end = sub.period_end
    clock.advance((end - clock.now()).total_seconds())
    with runtime.db.session() as session:
        advance(session, clock.now(), GRACE)
        sub = current_subscription(session, user.id)
        assert sub is not None
        assert sub.plan.slug == "basic"
        assert list_invoices(session, user_id=user.id)[0].total == 600


def test_unpaid_first_invoice_does_not_open_playback(runtime: Runtime, clock: FakeClock) -> None:
    user = add_user(runtime)
    add_plan(runtime)
    with runtime.db.session() as session:
        subscribe(session, clock.now(), user, get_plan(session, "standard"))
    assert _watch(runtime, user).startswith("your first payment has not arrived yet")
    clock.advance(8 * 86400)
    with runtime.db.session() as session:
        advance(session, clock.now(), GRACE)
        assert current_subscription(session, user.id).state == "expired"  # type: ignore[union-attr]
    assert DAY.days == 1

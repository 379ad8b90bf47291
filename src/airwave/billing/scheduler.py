"""Renewals on a clock: trial ends, period ends, downgrades and cancellations taking effect, grace expiry.

``advance(session, now, grace)`` is the whole policy and is what tests drive with a ``FakeClock``;
:class:`BillingScheduler` runs it every few seconds in a named thread of the server.

Every server worker (granian process) and every server sharing a PostgreSQL database runs a scheduler, so a
pass holds a database-wide lock (:func:`billing_lock`) and the database keeps one invoice per subscription
period (``invoices.cycle_start``): a period is never invoiced twice, whichever runs first.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from airwave.billing.history import set_state
from airwave.billing.invoices import bill_period
from airwave.billing.money import add_interval, long_date
from airwave.billing.payments import void_unpaid
from airwave.runtime import Runtime
from airwave.store.billing import Plan, Subscription
from airwave.store.engine import Database

log = logging.getLogger(__name__)

MAX_RENEWALS = 24  # per subscription per run: a free plan after a long shutdown catches up, boundedly
LOCK_KEY = 0x4169_7257  # "AirW": the PostgreSQL advisory lock of billing passes, one per schema


def advance(session: Session, now: dt.datetime, grace: dt.timedelta) -> list[str]:
    """Apply everything due by ``now``; returns one line per change, for logs and tests."""
    done: list[str] = []
    for sub in session.scalars(
        select(Subscription).where(Subscription.state == "past_due").with_for_update(of=Subscription)
    ):
        if sub.past_due_since is not None and sub.past_due_since + grace <= now:
            done.append(_expire(session, sub, sub.past_due_since + grace))
    due = select(Subscription).where(
        Subscription.state.in_(("trialing", "active", "past_due")), Subscription.period_end <= now
    )
    for sub in session.scalars(due.with_for_update(of=Subscription)):
        done.extend(_renew(session, sub, now, grace))
    return done


def _renew(session: Session, sub: Subscription, now: dt.datetime, grace: dt.timedelta) -> list[str]:
    """Every period end of ``sub`` due by ``now``; a period someone else invoiced meanwhile is left to them."""
    done: list[str] = []
    try:
        with session.begin_nested():
            for _ in range(MAX_RENEWALS):
                if sub.state not in ("trialing", "active", "past_due") or sub.period_end > now:
                    break
                done.append(_period_end(session, sub, now, grace))
    except IntegrityError:  # the unique (subscription, cycle_start): renewed by another pass, rolled back here
        session.expire(sub)
        return [f"subscription {sub.id} renewed elsewhere"]
    return done


def _expire(session: Session, sub: Subscription, at: dt.datetime) -> str:
    void_unpaid(session, sub, "not paid within the grace period")
    set_state(session, sub, "expired", at, "grace period over")
    return f"subscription {sub.id} expired (unpaid since {long_date(sub.past_due_since or at)})"


def _period_end(session: Session, sub: Subscription, now: dt.datetime, grace: dt.timedelta) -> str:
    end = sub.period_end
    if sub.cancel_at_period_end:
        void_unpaid(session, sub, "subscription cancelled")
        set_state(session, sub, "cancelled", end, "cancelled at period end")
        return f"subscription {sub.id} cancelled at period end"
    if sub.next_plan_id is not None:
        plan = session.get(Plan, sub.next_plan_id)
        if plan is not None:
            sub.plan, sub.plan_id = plan, plan.id
        sub.next_plan, sub.next_plan_id = None, None
    if sub.provider != "manual":  # the provider bills; its webhook extends the period
        if sub.state != "past_due":
            set_state(session, sub, "past_due", end, "awaiting the provider's renewal")
        return _expire(session, sub, end + grace) if end + grace <= now else f"subscription {sub.id} awaits renewal"
    invoice = bill_period(session, sub, end, add_interval(end, sub.plan.interval))
    if sub.state == "past_due" and sub.past_due_since is not None and sub.past_due_since + grace <= now:
        return _expire(session, sub, sub.past_due_since + grace)
    return f"subscription {sub.id} renewed: invoice {invoice.number} ({invoice.status})"


@contextmanager
def billing_lock(db: Database) -> Iterator[Session | None]:
    """A session that alone may run a billing pass, committed at the end; None when another pass holds it.

    PostgreSQL: a transaction-scoped advisory lock, tried without waiting (one worker renews, the rest skip).
    SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock before reading, so a second pass waits (the
    busy timeout) and then finds nothing due.
    """
    if db.engine.dialect.name == "postgresql":
        with db.session() as session:
            # Keyed by schema too: installations sharing a database in separate schemas renew independently.
            query = text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))")
            locked = session.scalar(query, {"key": LOCK_KEY})
            yield session if locked else None
        return
    with db.engine.connect() as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        with Session(bind=connection, expire_on_commit=False) as session:
            yield session
            session.flush()
        connection.commit()


def run_pass(db: Database, now: dt.datetime, grace: dt.timedelta) -> list[str] | None:
    """:func:`advance` under :func:`billing_lock`; None when another worker's pass is running."""
    with billing_lock(db) as session:
        return None if session is None else advance(session, now, grace)


class BillingScheduler:
    """Runs :func:`advance` every ``interval`` seconds in the thread ``billing-scheduler``."""

    def __init__(self, runtime: Runtime, interval: float | None = None) -> None:
        self.runtime = runtime
        self.interval = interval if interval is not None else runtime.settings.billing_check_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="billing-scheduler", daemon=True)
            self._thread.start()

    def run_once(self) -> list[str]:
        """One pass at the runtime clock's now."""
        grace = dt.timedelta(days=self.runtime.settings.billing_grace_days)
        done = run_pass(self.runtime.db, self.runtime.clock.now(), grace)
        if done is None:
            log.debug("billing: another worker's pass is running; skipped")
            return []
        for line in done:
            log.info("billing: %s", line)
        return done

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep renewing after a transient database error
                log.exception("billing scheduler pass failed")
            self._stop.wait(self.interval)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

"""Revenue over time from the subscription history: MRR, live subscribers and churn per month."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.billing.history import ENDED_STATES, LIVE_STATES
from airwave.store.billing import Plan, SubscriptionEvent


@dataclass(frozen=True)
class Month:
    """One month: MRR and live subscribers at its end (or now), and how many subscriptions ended in it.

    ``churn_rate`` is the share of the subscriptions live at some point in the month (those at its start and
    those started in it) that ended in it, so it stays between 0 and 1 even in a month of many short trials.
    """

    month: str  # "2027-03"
    mrr: int
    subscribers: int
    churned: int
    churn_rate: float


@dataclass(frozen=True)
class Revenue:
    currency: str
    months: list[Month]

    @property
    def current(self) -> Month | None:
        return self.months[-1] if self.months else None


def main_currency(session: Session) -> str:
    """The currency most plans are priced in (EUR when there are none)."""
    counts = Counter(session.scalars(select(Plan.currency)))
    return counts.most_common(1)[0][0] if counts else "EUR"


def month_starts(now: dt.datetime, count: int) -> list[dt.datetime]:
    """The first instants of the last ``count`` months, the current one last."""
    year, month = now.year, now.month
    starts = []
    for _ in range(count):
        starts.append(dt.datetime(year, month, 1, tzinfo=dt.UTC))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def revenue(session: Session, now: dt.datetime, months: int = 12, currency: str | None = None) -> Revenue:
    """MRR, subscribers and churn for the last ``months`` months in ``currency`` (default: the main one)."""
    currency = currency or main_currency(session)
    events = list(session.scalars(
        select(SubscriptionEvent).where(SubscriptionEvent.currency == currency, SubscriptionEvent.at <= now)
        .order_by(SubscriptionEvent.at, SubscriptionEvent.id)
    ))  # fmt: skip
    starts = month_starts(now, months)
    ends = [*starts[1:], now + dt.timedelta(microseconds=1)]
    state: dict[int, SubscriptionEvent] = {}
    index, result = 0, []
    for start, end in zip(starts, ends, strict=True):
        while index < len(events) and events[index].at < start:
            state[events[index].subscription_id] = events[index]
            index += 1
        at_risk = {sub_id for sub_id, e in state.items() if e.state in LIVE_STATES}
        churned = 0
        while index < len(events) and events[index].at < end:
            event = events[index]
            previous = state.get(event.subscription_id)
            if event.state in ENDED_STATES and (previous is None or previous.state in LIVE_STATES):
                churned += 1
            if event.state in LIVE_STATES:
                at_risk.add(event.subscription_id)
            state[event.subscription_id] = event
            index += 1
        live = [e for e in state.values() if e.state in LIVE_STATES]
        rate = min(1.0, churned / len(at_risk)) if at_risk else 0.0
        result.append(Month(f"{start:%Y-%m}", sum(e.mrr for e in live), len(live), churned, round(rate, 4)))
    return Revenue(currency, result)


def month_labels(months: list[Month]) -> list[str]:
    """Short chart labels: "Dec 25", "Jan 26", "Feb", ...: the year on the first bar and on each January."""
    labels = []
    for index, month in enumerate(months):
        moment = dt.datetime.strptime(month.month, "%Y-%m")
        labels.append(f"{moment:%b %y}" if index == 0 or moment.month == 1 else f"{moment:%b}")
    return labels

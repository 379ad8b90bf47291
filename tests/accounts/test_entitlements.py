"""The entitlement decision as a matrix: account x subscription state x content x time (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from airwave.accounts.entitlements import (
    AccountFacts,
    Content,
    PackageFacts,
    Scope,
    SubscriptionFacts,
    decide,
)

NOW = dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SPORTS = PackageFacts("Sports", Scope(everything=False, channels=frozenset({"sport1"})))
MOVIES = PackageFacts("Movies", Scope(everything=False, title_ids=frozenset({7}), genres=frozenset({"drama"})))
BASIC = Scope(everything=False, channels=frozenset({"news"}), title_ids=frozenset({7}))


def sub(state: str, **more: object) -> SubscriptionFacts:
    terms: dict[str, object] = {"plan": "Basic", "state": state, "period_end": NOW + 10 * DAY, **more}
    return SubscriptionFacts(**terms)  # type: ignore[arg-type]


def account(subscription: SubscriptionFacts | None = None, **more: object) -> AccountFacts:
    terms: dict[str, object] = {"billing": True, "scope": BASIC, "packages": (SPORTS, MOVIES), **more}
    return AccountFacts(user_id=1, subscription=subscription, **terms)  # type: ignore[arg-type]


NEWS, SPORT1, FILM7 = Content(channel="news"), Content(channel="sport1", name="Sport 1"), Content(title_id=7)
EPISODE = Content(title_id=30, parent_id=7)  # an episode of series 7
DRAMA = Content(title_id=99, name="Heat", genres=("Drama",))

MATRIX = [
    (account(sub("active")), NEWS, "ok"),
    (account(sub("active")), FILM7, "ok"),
    (account(sub("active")), EPISODE, "ok"),
    (account(sub("active")), SPORT1, "Sports is not in your plan"),
    (account(sub("active")), DRAMA, "Movies is not in your plan"),
    (account(sub("active")), Content(channel="other", name="Other TV"), "Other TV is not in your plan"),
    (account(sub("active"), scope=Scope()), SPORT1, "ok"),  # a plan without packages has everything
    (account(None), NEWS, "choose a plan to start watching"),
    (account(sub("trialing", trial_end=NOW + DAY)), NEWS, "ok"),
    (account(sub("trialing", trial_end=NOW - DAY)), NEWS, "your trial has ended: choose how to pay to keep watching"),
    (account(sub("past_due", ever_paid=True, past_due_since=NOW - DAY)), NEWS, "ok"),
    (account(sub("past_due", ever_paid=False, trial_end=NOW - DAY)), NEWS, "your trial has ended"),
    (account(sub("past_due", ever_paid=False)), NEWS, "your first payment has not arrived yet"),
    (account(sub("active", cancel_at_period_end=True, period_end=NOW - DAY)), NEWS, "ended on 9 March 2027"),
    (account(sub("expired", ended_at=dt.datetime(2027, 3, 3, tzinfo=dt.UTC))), NEWS,
     "your subscription ended on 3 March 2027: renew it to keep watching"),
    (account(sub("cancelled", ever_paid=False, trial_end=NOW - DAY, ended_at=NOW)), NEWS, "your trial has ended"),
    (account(None, billing=False), SPORT1, "ok"),  # no plans defined: a free service
    (account(None, role="admin"), SPORT1, "ok"),
    (account(None, role="support"), SPORT1, "ok"),
    (account(sub("active"), disabled=True), NEWS, "your account is suspended; contact support"),
    (account(None, role="admin", disabled=True), NEWS, "your account is suspended; contact support"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "content", "expected"), MATRIX)
def test_decision_matrix(facts: AccountFacts, content: Content, expected: str) -> None:
    decision = decide(facts, content, NOW)
    if expected == "ok":
        assert decision, decision.reason
    else:
        assert not decision
        assert expected in decision.reason

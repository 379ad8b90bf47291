"""Billing fixtures: a user, plans and packages on the parametrised runtime (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from airwave.accounts.users import create_user
from airwave.billing.plans import PlanSpec, create_plan
from airwave.runtime import Runtime
from airwave.store.billing import Plan
from airwave.store.tables import User

DAY = dt.timedelta(days=1)
GRACE = dt.timedelta(days=7)


def add_user(runtime: Runtime, email: str = "viewer@example.org", role: str = "subscriber") -> User:
    with runtime.db.session() as session:
        return create_user(session, runtime.clock, email=email, password="password123", role=role)


def add_plan(runtime: Runtime, slug: str = "standard", price: int = 999, **terms: object) -> Plan:
    spec = PlanSpec(name=slug.title(), price=price, currency="EUR", **terms)  # type: ignore[arg-type]
    with runtime.db.session() as session:
        return create_plan(session, runtime.clock, slug, spec)


# The HTTP tests' accounts and sample title (shared with tests/web).
from tests.web.conftest import admin, film, sample, viewer  # noqa: E402, F401

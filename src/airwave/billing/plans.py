"""Plans: what subscribers buy. A plan without packages includes every channel and the whole catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from airwave.billing.money import INTERVALS, currency_code, format_amount
from airwave.billing.packages import check_slug, get_package
from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.store.billing import Plan, Subscription

LIVE_STATES = ("trialing", "active", "past_due")
# How a session's URLs are tied to the client that started it (delivery/binding.py): not at all (replays from
# elsewhere are logged), to its address, or to its network (autonomous system; survives mobile address changes).
CLIENT_BINDINGS = ("none", "ip", "asn")


@dataclass(frozen=True)
class PlanSpec:
    """A plan's terms: price in minor units per interval, limits, and included package slugs."""

    name: str
    price: int
    currency: str
    interval: str = "month"
    trial_days: int = 0
    max_streams: int = 2
    max_devices: int = 5
    packages: tuple[str, ...] = ()
    description: str = ""
    public: bool = True
    client_binding: str = "none"


def spec_of(plan: Plan) -> PlanSpec:
    """A plan's current terms, to change some of them with ``dataclasses.replace`` and :func:`update_plan`."""
    return PlanSpec(
        name=plan.name, price=plan.price, currency=plan.currency, interval=plan.interval,
        trial_days=plan.trial_days, max_streams=plan.max_streams, max_devices=plan.max_devices,
        packages=tuple(p.slug for p in plan.packages), description=plan.description, public=plan.public,
        client_binding=plan.client_binding or "none",
    )  # fmt: skip


def create_plan(session: Session, clock: Clock, slug: str, spec: PlanSpec) -> Plan:
    """Create a plan.

    Raises:
        BadRequest: a bad slug, price, interval, limit, or an unknown package.
        Conflict: the slug is taken.
    """
    slug = check_slug(slug, "plan")
    if find_plan(session, slug) is not None:
        raise Conflict(
            f"a plan {slug!r} exists already: change it on the admin plans page or with "
            f"PUT /api/v1/billing/plans/{slug}"
        )
    plan = Plan(slug=slug, created_at=clock.now())
    _apply(session, plan, spec)
    session.add(plan)
    session.flush()
    return plan


def update_plan(session: Session, plan: Plan, spec: PlanSpec) -> Plan:
    """Change a plan's terms; subscribers pay the new price from their next renewal.

    Raises:
        BadRequest: as for :func:`create_plan`.
    """
    _apply(session, plan, spec)
    session.flush()
    return plan


def _apply(session: Session, plan: Plan, spec: PlanSpec) -> None:
    if not spec.name.strip():
        raise BadRequest("a plan needs a name")
    if spec.interval not in INTERVALS:
        raise BadRequest(f"unknown interval {spec.interval!r}: use month or year")
    if spec.price < 0:
        raise BadRequest("a price cannot be negative")
    for label, value, low in (("trial days", spec.trial_days, 0), ("streams", spec.max_streams, 1)):
        if value < low or value > 1000:
            raise BadRequest(f"{label} must be between {low} and 1000, not {value}")
    if spec.max_devices < 1 or spec.max_devices > 1000:
        raise BadRequest(f"devices must be between 1 and 1000, not {spec.max_devices}")
    if spec.client_binding not in CLIENT_BINDINGS:
        raise BadRequest(f"unknown client binding {spec.client_binding!r}: use none, ip or asn")
    plan.name = spec.name.strip()[:120]
    plan.description = spec.description.strip()
    plan.price = spec.price
    plan.currency = currency_code(spec.currency)
    plan.interval = spec.interval
    plan.trial_days = spec.trial_days
    plan.max_streams = spec.max_streams
    plan.max_devices = spec.max_devices
    plan.public = spec.public
    plan.client_binding = spec.client_binding
    packages = [get_package(session, slug) for slug in dict.fromkeys(spec.packages)]
    addons = [p.slug for p in packages if p.addon]
    if addons:
        raise BadRequest(f"{', '.join(addons)} {'is an add-on' if len(addons) == 1 else 'are add-ons'}: "
                         "subscribers buy add-ons on top of a plan; include only base packages")  # fmt: skip
    plan.packages = packages


def find_plan(session: Session, slug: str) -> Plan | None:
    """The plan with this slug, or None."""
    return session.scalar(select(Plan).where(Plan.slug == slug.strip().lower()))


def get_plan(session: Session, slug: str) -> Plan:
    """The plan with this slug.

    Raises:
        NotFound: there is none.
    """
    plan = find_plan(session, slug)
    if plan is None:
        raise NotFound(f"no plan {slug!r}: list them with `airwave plan list`")
    return plan


def list_plans(session: Session, *, public_only: bool = False) -> list[Plan]:
    """Plans by price (cheapest first), or only those offered on the sign-up page."""
    query = select(Plan).order_by(Plan.price, Plan.name)
    if public_only:
        query = query.where(Plan.public.is_(True))
    return list(session.scalars(query))


def client_binding_of(session: Session, user_id: int) -> str:
    """The client binding of the account's live subscription's plan; ``none`` without one."""
    query = (
        select(Plan.client_binding)
        .join(Subscription, Subscription.plan_id == Plan.id)
        .where(Subscription.user_id == user_id, Subscription.state.in_(LIVE_STATES))
        .order_by(Subscription.id.desc())
        .limit(1)
    )
    return session.scalar(query) or "none"


def subscriber_counts(session: Session, plan_ids: Iterable[int]) -> dict[int, int]:
    """How many live (trialing, active, past due) subscriptions each plan has."""
    ids = list(plan_ids)
    if not ids:
        return {}
    query = (
        select(Subscription.plan_id, func.count())
        .where(Subscription.plan_id.in_(ids), Subscription.state.in_(LIVE_STATES))
        .group_by(Subscription.plan_id)
    )
    return {plan_id: count for plan_id, count in session.execute(query)}  # noqa: C416 (rows, not pairs)


def delete_plan(session: Session, plan: Plan) -> None:
    """Delete a plan nobody subscribes to.

    Raises:
        Conflict: subscriptions (live or past) refer to it: hide it from sign-up instead.
    """
    used = session.scalar(select(func.count()).where(Subscription.plan_id == plan.id))
    if used:
        raise Conflict(f"{used} subscription(s) use plan {plan.slug!r}: make it private instead of deleting it")
    session.delete(plan)
    session.flush()


def describe_plan(plan: Plan) -> str:
    """ "Basic: €9.99 a month, 2 streams, 5 devices, no trial, public, binding none, everything": the audit
    log's detail of a plan's terms."""
    trial = f"{plan.trial_days}-day trial" if plan.trial_days else "no trial"
    scope = ", ".join(package.slug for package in plan.packages) or "everything"
    return (
        f"{plan.name}: {format_amount(plan.price, plan.currency)} a {plan.interval}, {plan.max_streams} streams, "
        f"{plan.max_devices} devices, {trial}, {'public' if plan.public else 'private'}, "
        f"binding {plan.client_binding}, {scope}"
    )


def plans_exist(session: Session) -> bool:
    """Whether the operator has defined any plan (without plans the service is free to every account)."""
    return session.scalar(select(Plan.id).limit(1)) is not None

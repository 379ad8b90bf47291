"""Tables of the subscriber business: plans, packages, subscriptions, invoices, vouchers, provider events.

Money is always an integer number of minor units (cents) plus an ISO 4217 currency code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from airwave.store.tables import Base


class Package(Base):
    """A bundle of content: channels and/or a VOD collection; an add-on when bought on top of a plan."""

    __tablename__ = "packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    channels: Mapped[list[Any]] = mapped_column(JSON, default=list)  # channel slugs
    title_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # films and series (with their episodes)
    genres: Mapped[list[Any]] = mapped_column(JSON, default=list)  # genre names
    addon: Mapped[bool] = mapped_column(Boolean, default=False)
    price: Mapped[int] = mapped_column(Integer, default=0)  # add-on price per interval, minor units
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    interval: Mapped[str] = mapped_column(String(5), default="month")
    created_at: Mapped[dt.datetime]


class PlanPackage(Base):
    __tablename__ = "plan_packages"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)


class Plan(Base):
    """What a subscriber buys: a price per interval, limits, and the packages it includes (none = everything)."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(Integer)  # minor units per interval
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[str] = mapped_column(String(5), default="month")  # month | year
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    max_streams: Mapped[int] = mapped_column(Integer, default=2)
    max_devices: Mapped[int] = mapped_column(Integer, default=5)
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # offered on the sign-up page
    client_binding: Mapped[str] = mapped_column(String(8), default="none", server_default="none")  # none|ip|asn
    created_at: Mapped[dt.datetime]

    packages: Mapped[list[Package]] = relationship(secondary="plan_packages", lazy="selectin", order_by=Package.name)


class SubscriptionAddon(Base):
    __tablename__ = "subscription_addons"

    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)


class Subscription(Base):
    """One account's subscription to a plan: trialing, active, past_due, cancelled or expired."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    state: Mapped[str] = mapped_column(String(10), index=True)
    provider: Mapped[str] = mapped_column(String(10), default="manual")  # manual | stripe
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)  # e.g. Stripe sub_...
    provider_synced_at: Mapped[dt.datetime | None]  # created time of the newest provider event applied
    started_at: Mapped[dt.datetime]
    trial_end: Mapped[dt.datetime | None]
    period_start: Mapped[dt.datetime]
    period_end: Mapped[dt.datetime]
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    next_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))  # a downgrade at period end
    past_due_since: Mapped[dt.datetime | None]
    ever_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)  # off the next invoice (a voucher)
    discount_code: Mapped[str] = mapped_column(String(40), default="")
    ended_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]

    plan: Mapped[Plan] = relationship(foreign_keys=[plan_id], lazy="joined")
    next_plan: Mapped[Plan | None] = relationship(foreign_keys=[next_plan_id], lazy="joined")
    addons: Mapped[list[Package]] = relationship(secondary="subscription_addons", lazy="selectin")


class SubscriptionEvent(Base):
    """A change of a subscription's state or price: the history behind MRR and churn charts."""

    __tablename__ = "subscription_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(10))
    mrr: Mapped[int] = mapped_column(Integer, default=0)  # monthly recurring revenue, minor units
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(String(200), default="")


class Invoice(Base):
    """A bill for one period (or a proration); paid by the provider or marked paid by an admin."""

    __tablename__ = "invoices"
    # A regular period is invoiced once per subscription, whichever worker or server renews it.
    __table_args__ = (UniqueConstraint("subscription_id", "cycle_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | paid | failed | void
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(Integer, default=0)
    period_start: Mapped[dt.datetime | None]
    period_end: Mapped[dt.datetime | None]
    provider: Mapped[str] = mapped_column(String(10), default="manual")
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    cycle_start: Mapped[dt.datetime | None]  # start of the regular period billed; None for prorations and voids
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]

    lines: Mapped[list[InvoiceLine]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="InvoiceLine.id"
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    amount: Mapped[int] = mapped_column(Integer)  # minor units; negative for credits and discounts


class Voucher(Base):
    """A code for free days on a plan or a percentage off the next invoice (hotels, campuses, promotions)."""

    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # days | percent
    value: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    max_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime | None]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime]

    plan: Mapped[Plan | None] = relationship(lazy="joined")


class VoucherRedemption(Base):
    __tablename__ = "voucher_redemptions"
    __table_args__ = (UniqueConstraint("voucher_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redeemed_at: Mapped[dt.datetime]


class ProviderEvent(Base):
    """A payment provider's webhook event, stored so each is processed exactly once."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(10))
    event_id: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(80))
    created: Mapped[dt.datetime]  # when the provider created it (orders out-of-order deliveries)
    received_at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(String(200), default="")

"""Bodies of the billing API (plans, packages, subscriptions, invoices, vouchers, revenue)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from airwave.web.api.schemas import Model

Interval = Literal["month", "year"]
ClientBinding = Literal["none", "ip", "asn"]
BINDING_TEXT = ("How a session's URLs are tied to the client that started it: none (replays from elsewhere are "
                "logged), ip (its address only), asn (any address of its network).")  # fmt: skip


class PlanIn(Model):
    name: str = Field(examples=["Standard"])
    price: str = Field(description='Price per interval as written, e.g. "9.99" (parsed exactly).', examples=["9.99"])
    currency: str = Field("EUR", description="ISO 4217 code.")
    interval: Interval = "month"
    trial_days: int = Field(0, ge=0, le=1000)
    max_streams: int = Field(2, ge=1, le=1000)
    max_devices: int = Field(5, ge=1, le=1000)
    packages: list[str] = Field(default_factory=list, description="Package slugs; none = everything.")
    description: str = ""
    public: bool = Field(True, description="Offered on the sign-up page.")
    client_binding: ClientBinding = Field("none", description=BINDING_TEXT)


class PlanCreate(PlanIn):
    slug: str = Field(examples=["standard"])


class PlanOut(Model):
    slug: str
    name: str
    description: str
    price: int = Field(description="Minor units (cents).")
    price_text: str = Field(description='Formatted, e.g. "€9.99".')
    currency: str
    interval: Interval
    trial_days: int
    max_streams: int
    max_devices: int
    packages: list[str]
    public: bool
    client_binding: ClientBinding = Field("none", description=BINDING_TEXT)


class PackageIn(Model):
    name: str = Field(examples=["Sports"])
    channels: list[str] = Field(default_factory=list, description="Channel slugs.")
    title_ids: list[int] = Field(default_factory=list, description="Films and series (with their episodes).")
    genres: list[str] = Field(default_factory=list)
    addon: bool = Field(False, description="Bought on top of a plan.")
    price: str = Field("0", description='Add-on price per interval, e.g. "4.99".')
    currency: str = "EUR"
    interval: Interval = "month"
    description: str = ""


class PackageCreate(PackageIn):
    slug: str = Field(examples=["sports"])


class PackageOut(Model):
    slug: str
    name: str
    description: str
    channels: list[str]
    title_ids: list[int]
    genres: list[str]
    addon: bool
    price: int
    currency: str
    interval: Interval


class InvoiceLineOut(Model):
    description: str
    amount: int


class InvoiceOut(Model):
    id: int
    number: str
    user_id: int
    status: Literal["open", "paid", "failed", "void"]
    currency: str
    total: int
    total_text: str
    period_start: dt.datetime | None
    period_end: dt.datetime | None
    provider: str
    created_at: dt.datetime
    paid_at: dt.datetime | None
    lines: list[InvoiceLineOut]


class SubscriptionOut(Model):
    id: int
    plan: PlanOut
    state: Literal["trialing", "active", "past_due", "cancelled", "expired"]
    provider: str
    trial_end: dt.datetime | None
    period_start: dt.datetime
    period_end: dt.datetime
    cancel_at_period_end: bool
    next_plan: str | None = Field(None, description="Slug of the plan taking over at the period end.")
    addons: list[str]
    ended_at: dt.datetime | None
    watching: bool = Field(description="Whether the account may watch now.")
    reason: str = Field("", description="Why not, when it may not.")


class AccountBillingOut(Model):
    subscription: SubscriptionOut | None
    invoices: list[InvoiceOut]


class ChoosePlanIn(Model):
    plan: str = Field(description="Plan slug.")


class CheckoutOut(Model):
    url: str = Field(description="Where to go next: the payment page, or the account page.")
    provider: Literal["manual", "stripe"]


class PortalOut(Model):
    url: str = Field(description="The Stripe Billing Portal page; it returns to the account page.")


class CodeIn(Model):
    code: str


class MessageOut(Model):
    message: str


class VoucherIn(Model):
    kind: Literal["days", "percent"]
    value: int = Field(ge=1, description="Free days, or percent off the next invoice.")
    code: str | None = Field(None, description="Default: a random code like ABCD-EFGH-JKLM.")
    plan: str | None = Field(None, description="Plan slug a days voucher gives (to accounts without a plan).")
    max_uses: int | None = Field(None, ge=1)
    expires_at: dt.datetime | None = None
    note: str = ""


class VoucherOut(Model):
    code: str
    kind: Literal["days", "percent"]
    value: int
    plan: str | None
    max_uses: int | None
    uses: int
    expires_at: dt.datetime | None
    note: str


class PaidIn(Model):
    note: str = ""


class RevenuePoint(Model):
    month: str = Field(examples=["2027-03"])
    mrr: int
    subscribers: int
    churned: int
    churn_rate: float = Field(description="Churned / subscriptions live in the month (at its start or since), 0..1.")


class RevenueOut(Model):
    currency: str
    mrr: int
    subscribers: int
    months: list[RevenuePoint]

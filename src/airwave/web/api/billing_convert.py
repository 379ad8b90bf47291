"""Billing rows as API bodies (shared by the JSON API and the pages)."""

from __future__ import annotations

import datetime as dt

from airwave.accounts.entitlements import subscription_standing
from airwave.billing.access import subscription_facts
from airwave.billing.money import format_amount
from airwave.store.billing import Invoice, Package, Plan, Subscription, Voucher
from airwave.web.api.billing_schemas import (
    InvoiceLineOut,
    InvoiceOut,
    PackageOut,
    PlanOut,
    SubscriptionOut,
    VoucherOut,
)


def plan_out(plan: Plan) -> PlanOut:
    return PlanOut(
        slug=plan.slug, name=plan.name, description=plan.description, price=plan.price,
        price_text=format_amount(plan.price, plan.currency), currency=plan.currency,
        interval=plan.interval,
        trial_days=plan.trial_days, max_streams=plan.max_streams, max_devices=plan.max_devices,
        packages=[p.slug for p in plan.packages], public=plan.public,
        client_binding=plan.client_binding or "none",
    )  # fmt: skip


def package_out(package: Package) -> PackageOut:
    return PackageOut(
        slug=package.slug, name=package.name, description=package.description, channels=list(package.channels),
        title_ids=[int(i) for i in package.title_ids], genres=list(package.genres), addon=package.addon,
        price=package.price, currency=package.currency,
        interval=package.interval,
    )  # fmt: skip


def invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(
        id=invoice.id, number=invoice.number, user_id=invoice.user_id,
        status=invoice.status,
        currency=invoice.currency, total=invoice.total, total_text=format_amount(invoice.total, invoice.currency),
        period_start=invoice.period_start, period_end=invoice.period_end, provider=invoice.provider,
        created_at=invoice.created_at, paid_at=invoice.paid_at,
        lines=[InvoiceLineOut(description=line.description, amount=line.amount) for line in invoice.lines],
    )  # fmt: skip


def subscription_out(sub: Subscription, now: dt.datetime) -> SubscriptionOut:
    standing = subscription_standing(subscription_facts(sub), now)
    return SubscriptionOut(
        id=sub.id, plan=plan_out(sub.plan),
        state=sub.state,
        provider=sub.provider, trial_end=sub.trial_end, period_start=sub.period_start, period_end=sub.period_end,
        cancel_at_period_end=sub.cancel_at_period_end, next_plan=sub.next_plan.slug if sub.next_plan else None,
        addons=[a.slug for a in sub.addons], ended_at=sub.ended_at, watching=standing.allowed,
        reason=standing.reason,
    )  # fmt: skip


def voucher_out(voucher: Voucher) -> VoucherOut:
    return VoucherOut(
        code=voucher.code,
        kind=voucher.kind,
        value=voucher.value, plan=voucher.plan.slug if voucher.plan else None, max_uses=voucher.max_uses,
        uses=voucher.uses, expires_at=voucher.expires_at, note=voucher.note,
    )  # fmt: skip

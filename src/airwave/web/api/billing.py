"""``/api/v1/plans`` (public), ``/api/v1/me/subscription`` (the account's own), ``/api/v1/billing/...`` (staff
read, admins change) and the Stripe webhook ``/api/v1/billing/stripe/webhook``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from airwave.accounts import audit
from airwave.billing import changes, subscriptions, vouchers
from airwave.billing import packages as packages_service
from airwave.billing import plans as plans_service
from airwave.billing.invoices import get_invoice, list_invoices
from airwave.billing.money import parse_amount
from airwave.billing.packages import PackageSpec, describe_package
from airwave.billing.plans import PlanSpec, describe_plan
from airwave.billing.providers.manual import mark_paid
from airwave.billing.providers.stripe_webhooks import process, verify
from airwave.billing.revenue import revenue
from airwave.errors import Conflict, NotFound
from airwave.store.billing import Subscription
from airwave.web.api.billing_convert import invoice_out, package_out, plan_out, subscription_out, voucher_out
from airwave.web.api.billing_providers import provider_for, stripe_for
from airwave.web.api.billing_schemas import (
    AccountBillingOut,
    CheckoutOut,
    ChoosePlanIn,
    CodeIn,
    InvoiceOut,
    MessageOut,
    PackageCreate,
    PackageIn,
    PackageOut,
    PaidIn,
    PlanCreate,
    PlanIn,
    PlanOut,
    PortalOut,
    RevenueOut,
    RevenuePoint,
    VoucherIn,
    VoucherOut,
)
from airwave.web.api.common import ApiAdmin, ApiStaff, ApiUser, errors
from airwave.web.deps import DbSession, actor, check_csrf, get_runtime, site_url

router = APIRouter(tags=["billing"], dependencies=[Depends(check_csrf)])


def plan_spec(body: PlanIn) -> PlanSpec:
    return PlanSpec(
        name=body.name, price=parse_amount(body.price, body.currency), currency=body.currency,
        interval=body.interval, trial_days=body.trial_days, max_streams=body.max_streams,
        max_devices=body.max_devices, packages=tuple(body.packages), description=body.description, public=body.public,
        client_binding=body.client_binding,
    )  # fmt: skip


def package_spec(body: PackageIn) -> PackageSpec:
    return PackageSpec(
        name=body.name, channels=tuple(body.channels), title_ids=tuple(body.title_ids), genres=tuple(body.genres),
        addon=body.addon, price=parse_amount(body.price, body.currency), currency=body.currency,
        interval=body.interval, description=body.description,
    )  # fmt: skip


@router.get("/plans")
def public_plans(session: DbSession) -> list[PlanOut]:
    """The plans offered on the sign-up page (no sign-in needed)."""
    return [plan_out(plan) for plan in plans_service.list_plans(session, public_only=True)]


@router.get("/me/subscription", responses=errors(401))
def my_billing(request: Request, user: ApiUser, session: DbSession) -> AccountBillingOut:
    """The account's subscription (with whether it may watch now) and its invoices."""
    sub = subscriptions.current_subscription(session, user.id)
    now = get_runtime(request).clock.now()
    return AccountBillingOut(
        subscription=subscription_out(sub, now) if sub else None,
        invoices=[invoice_out(invoice) for invoice in list_invoices(session, user_id=user.id, limit=24)],
    )


@router.post("/me/subscription", status_code=201, responses=errors(401, 404, 409, 422))
def choose_plan(body: ChoosePlanIn, request: Request, user: ApiUser, session: DbSession) -> CheckoutOut:
    """Subscribe to a plan: returns the payment page (Stripe) or the account page (manual invoice)."""
    plan = plans_service.get_plan(session, body.plan)
    if not plan.public and user.role != "admin":
        raise NotFound(f"no plan {body.plan!r}")
    provider = provider_for(request)
    base = site_url(request)
    checkout = provider.checkout(
        session, user, plan, success_url=f"{base}/account?subscribed=1", cancel_url=f"{base}/plans"
    )
    return CheckoutOut(url=checkout.url, provider=provider.name)


@router.post("/me/subscription/plan", responses=errors(400, 401, 404, 409, 422))
def change_my_plan(body: ChoosePlanIn, request: Request, user: ApiUser, session: DbSession) -> AccountBillingOut:
    """Change plan: an upgrade at once (prorated: our invoice, or Stripe charges the card), a downgrade at the
    end of the period."""
    sub = _my_subscription(session, user.id)
    plan = plans_service.get_plan(session, body.plan)
    if not plan.public and user.role != "admin":
        raise NotFound(f"no plan {body.plan!r}")
    changes.change_plan(session, sub, plan, get_runtime(request).clock.now(), stripe_for(request))
    return my_billing(request, user, session)


@router.post("/me/subscription/cancel", responses=errors(401, 404, 409))
def cancel_mine(request: Request, user: ApiUser, session: DbSession) -> AccountBillingOut:
    """Cancel at the end of the paid period (watching goes on until then)."""
    sub = _my_subscription(session, user.id)
    changes.cancel(session, sub, get_runtime(request).clock.now(), stripe_for(request))
    return my_billing(request, user, session)


@router.post("/me/subscription/resume", responses=errors(401, 404, 409))
def resume_mine(request: Request, user: ApiUser, session: DbSession) -> AccountBillingOut:
    """Undo a cancellation or a pending downgrade before the period ends."""
    sub = _my_subscription(session, user.id)
    changes.resume(session, sub, get_runtime(request).clock.now(), stripe_for(request))
    return my_billing(request, user, session)


@router.post("/me/subscription/reactivate", responses=errors(401, 404, 409))
def reactivate_mine(request: Request, user: ApiUser, session: DbSession) -> AccountBillingOut:
    """Start an ended subscription again from now; its first period is invoiced."""
    subscriptions.reactivate(session, _my_subscription(session, user.id), get_runtime(request).clock.now())
    return my_billing(request, user, session)


@router.post("/me/subscription/portal", responses=errors(401, 404, 409))
def billing_portal(request: Request, user: ApiUser, session: DbSession) -> PortalOut:
    """A Stripe Billing Portal link (card, invoices, plan) for a subscription paid through Stripe."""
    sub = _my_subscription(session, user.id)
    stripe = stripe_for(request)
    if sub.provider != "stripe" or stripe is None:
        raise Conflict("your subscription is not paid by card through Stripe: your invoices are on your account page")
    return PortalOut(url=stripe.portal_url(sub, f"{site_url(request)}/account"))


@router.post("/me/subscription/redeem", responses=errors(401, 404, 409, 422))
def redeem_voucher(body: CodeIn, request: Request, user: ApiUser, session: DbSession) -> MessageOut:
    """Redeem a voucher code: free days, or a percentage off the next invoice."""
    return MessageOut(message=vouchers.redeem(session, get_runtime(request).clock, user, body.code))


def _my_subscription(session: DbSession, user_id: int) -> Subscription:
    sub = subscriptions.current_subscription(session, user_id)
    if sub is None:
        raise NotFound("you have no subscription: choose a plan first")
    return sub


@router.get("/billing/plans", responses=errors(401, 403))
def all_plans(_staff: ApiStaff, session: DbSession) -> list[PlanOut]:
    """Every plan, private ones included."""
    return [plan_out(plan) for plan in plans_service.list_plans(session)]


@router.post("/billing/plans", status_code=201, responses=errors(400, 401, 403, 409, 422))
def create_plan(body: PlanCreate, request: Request, admin: ApiAdmin, session: DbSession) -> PlanOut:
    """Create a plan (admins only)."""
    clock = get_runtime(request).clock
    plan = plans_service.create_plan(session, clock, body.slug, plan_spec(body))
    audit.record(session, clock, actor(request, admin), "plan.create", f"plan:{plan.slug}", describe_plan(plan))
    return plan_out(plan)


@router.put("/billing/plans/{slug}", responses=errors(400, 401, 403, 404, 422))
def update_plan(slug: str, body: PlanIn, request: Request, admin: ApiAdmin, session: DbSession) -> PlanOut:
    """Replace a plan's terms; subscribers pay a new price from their next renewal (admins only)."""
    plan = plans_service.update_plan(session, plans_service.get_plan(session, slug), plan_spec(body))
    clock = get_runtime(request).clock
    audit.record(session, clock, actor(request, admin), "plan.edit", f"plan:{plan.slug}", describe_plan(plan))
    return plan_out(plan)


@router.delete("/billing/plans/{slug}", status_code=204, responses=errors(401, 403, 404, 409))
def delete_plan(slug: str, request: Request, admin: ApiAdmin, session: DbSession) -> Response:
    """Delete a plan nobody ever subscribed to (make it private otherwise)."""
    plan = plans_service.get_plan(session, slug)
    detail = describe_plan(plan)
    plans_service.delete_plan(session, plan)
    audit.record(session, get_runtime(request).clock, actor(request, admin), "plan.delete", f"plan:{slug}", detail)
    return Response(status_code=204)


@router.get("/billing/packages", responses=errors(401, 403))
def all_packages(_staff: ApiStaff, session: DbSession) -> list[PackageOut]:
    """Every channel package, VOD collection and add-on."""
    return [package_out(package) for package in packages_service.list_packages(session)]


@router.post("/billing/packages", status_code=201, responses=errors(400, 401, 403, 409, 422))
def create_package(body: PackageCreate, request: Request, admin: ApiAdmin, session: DbSession) -> PackageOut:
    """Create a package or add-on (admins only)."""
    clock = get_runtime(request).clock
    package = packages_service.create_package(session, clock, body.slug, package_spec(body))
    audit.record(session, clock, actor(request, admin), "package.create", f"package:{package.slug}",
                 describe_package(package))  # fmt: skip
    return package_out(package)


@router.put("/billing/packages/{slug}", responses=errors(400, 401, 403, 404, 422))
def update_package(slug: str, body: PackageIn, request: Request, admin: ApiAdmin, session: DbSession) -> PackageOut:
    """Replace a package's contents and terms (admins only)."""
    package = packages_service.update_package(session, packages_service.get_package(session, slug), package_spec(body))
    audit.record(session, get_runtime(request).clock, actor(request, admin), "package.edit", f"package:{slug}",
                 describe_package(package))  # fmt: skip
    return package_out(package)


@router.delete("/billing/packages/{slug}", status_code=204, responses=errors(401, 403, 404))
def delete_package(slug: str, request: Request, admin: ApiAdmin, session: DbSession) -> Response:
    """Delete a package; plans that included it no longer do."""
    package = packages_service.get_package(session, slug)
    detail = describe_package(package)
    packages_service.delete_package(session, package)
    audit.record(session, get_runtime(request).clock, actor(request, admin), "package.delete", f"package:{slug}",
                 detail)  # fmt: skip
    return Response(status_code=204)


@router.get("/billing/invoices", responses=errors(401, 403))
def invoices(_staff: ApiStaff, session: DbSession, user_id: int | None = None, status: str = "") -> list[InvoiceOut]:
    """Invoices, newest first; filter by account or status (open, paid, failed, void)."""
    return [invoice_out(i) for i in list_invoices(session, user_id=user_id, status=status or None, limit=500)]


@router.post("/billing/invoices/{invoice_id}/paid", responses=errors(401, 403, 404, 409))
def invoice_paid(invoice_id: int, body: PaidIn, request: Request, admin: ApiAdmin, session: DbSession) -> InvoiceOut:
    """Record a payment received outside Airwave (manual provider; admins only)."""
    get_invoice(session, invoice_id)
    return invoice_out(mark_paid(session, get_runtime(request).clock, invoice_id, admin, body.note))


@router.get("/billing/vouchers", responses=errors(401, 403))
def all_vouchers(_staff: ApiStaff, session: DbSession) -> list[VoucherOut]:
    """Every voucher with its uses."""
    return [voucher_out(voucher) for voucher in vouchers.list_vouchers(session)]


@router.post("/billing/vouchers", status_code=201, responses=errors(400, 401, 403, 404, 409, 422))
def create_voucher(body: VoucherIn, request: Request, admin: ApiAdmin, session: DbSession) -> VoucherOut:
    """Create a voucher code (admins only)."""
    plan = plans_service.get_plan(session, body.plan) if body.plan else None
    clock = get_runtime(request).clock
    voucher = vouchers.create_voucher(
        session, clock, kind=body.kind, value=body.value, code=body.code, plan=plan,
        max_uses=body.max_uses, expires_at=body.expires_at, note=body.note,
    )  # fmt: skip
    audit.record(session, clock, actor(request, admin), "voucher.create", f"voucher:{voucher.code}",
                 vouchers.describe_voucher(voucher))  # fmt: skip
    return voucher_out(voucher)


@router.delete("/billing/vouchers/{code}", status_code=204, responses=errors(401, 403, 404))
def delete_voucher(code: str, request: Request, admin: ApiAdmin, session: DbSession) -> Response:
    """Withdraw a voucher code."""
    vouchers.delete_voucher(session, code)
    audit.record(session, get_runtime(request).clock, actor(request, admin), "voucher.delete", f"voucher:{code}")
    return Response(status_code=204)


@router.get("/billing/revenue", responses=errors(401, 403))
def revenue_report(request: Request, _staff: ApiStaff, session: DbSession, months: int = 12) -> RevenueOut:
    """MRR, live subscribers and churn for each of the last ``months`` months."""
    report = revenue(session, get_runtime(request).clock.now(), max(1, min(months, 60)))
    current = report.current
    return RevenueOut(
        currency=report.currency,
        mrr=current.mrr if current else 0,
        subscribers=current.subscribers if current else 0,
        months=[RevenuePoint(**vars(month)) for month in report.months],
    )


@router.post("/billing/stripe/webhook", responses=errors(400, 404))
async def stripe_webhook(request: Request) -> MessageOut:
    """Stripe events (signature checked with ``stripe_webhook_secret``); each is applied exactly once."""
    runtime = get_runtime(request)
    secret = runtime.settings.stripe_webhook_secret
    if not secret:
        raise NotFound("Stripe webhooks are not configured: set stripe_webhook_secret")
    event = verify(await request.body(), request.headers.get("stripe-signature"), secret)
    try:
        with runtime.db.session() as session:
            return MessageOut(message=process(session, runtime.clock, event))
    except Conflict as exc:  # nothing was changed; acknowledged so Stripe does not retry forever
        return MessageOut(message=f"not applied: {exc.message}")

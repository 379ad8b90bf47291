"""Sign-up, steps two to four: choose a plan (``/signup/plan``), pay, and watch (``/signup/done``).

Ways to pay, all BILLING's services: an invoice that an admin marks paid (manual provider), a voucher code,
or a card on Stripe Checkout when ``Settings.stripe_secret_key`` is set. Someone already subscribed changes
plan here instead (an upgrade at once, a downgrade at the period end).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from airwave.billing import changes
from airwave.billing.history import LIVE_STATES
from airwave.billing.invoices import list_invoices
from airwave.billing.money import format_amount, long_date
from airwave.billing.plans import find_plan, list_plans
from airwave.billing.providers import PaymentProvider
from airwave.billing.providers.manual import ManualProvider
from airwave.billing.subscriptions import current_subscription
from airwave.billing.vouchers import redeem
from airwave.errors import ClientError
from airwave.store.billing import Plan, Subscription
from airwave.store.tables import User
from airwave.web import deps
from airwave.web.api.billing_providers import stripe_for
from airwave.web.pages.rendering import redirect, render

router = APIRouter(dependencies=[Depends(deps.check_csrf)])
Member = Annotated[User, Depends(deps.require_user)]
METHODS = ("invoice", "voucher", "card")


@router.get("/signup/plan")
def plan_form(request: Request, user: Member) -> Response:
    """The plans on offer, and how to pay."""
    with deps.get_runtime(request).db.session() as session:
        if not list_plans(session, public_only=True):
            return redirect(request, "/", "Everything is included: enjoy watching.")
        return _page(request, session, user, {}, "")


@router.post("/signup/plan")
def choose_plan(
    request: Request, user: Member, plan: str = Form(""), method: str = Form("invoice"), voucher: str = Form("")
) -> Response:
    """Subscribe (or change plan) with the chosen way to pay; Stripe continues on its own page."""
    runtime = deps.get_runtime(request)
    base = deps.site_url(request)
    try:
        with runtime.db.session() as session:
            account = session.get(User, user.id)
            assert account is not None
            if method == "voucher":
                return redirect(request, "/signup/done", redeem(session, runtime.clock, account, voucher) + ".")
            chosen = find_plan(session, plan)
            if chosen is None or not chosen.public:
                return _page(request, session, user, {"plan": plan}, "Choose one of the plans.", status=400)
            sub = current_subscription(session, user.id)
            if sub is not None and sub.state in LIVE_STATES:
                return redirect(request, "/account", _changed(session, request, sub, chosen))
            card = stripe_for(request) if method == "card" else None
            provider: PaymentProvider = card or ManualProvider(runtime.clock)
            done = provider.checkout(
                session, account, chosen, success_url=f"{base}/signup/done", cancel_url=f"{base}/signup/plan"
            )
            return RedirectResponse(done.url, status_code=303)
    except ClientError as exc:
        with runtime.db.session() as session:
            form = {"plan": plan, "method": method, "voucher": voucher}
            return _page(request, session, user, form, exc.message[:1].upper() + exc.message[1:] + ".", 400)


def _changed(session: Session, request: Request, sub: Subscription, plan: Plan) -> str:
    """Change a live subscription's plan; what happened, as a sentence for the account page."""
    was, now = sub.plan.name, deps.get_runtime(request).clock.now()
    invoice = changes.change_plan(session, sub, plan, now, stripe_for(request))
    if sub.plan.id != plan.id:
        return f"You stay on {was} until {long_date(sub.period_end)}, then move to {plan.name}."
    if invoice is not None and invoice.status != "paid":
        amount = format_amount(invoice.total, invoice.currency)
        return f"Your plan is now {plan.name}. Invoice {invoice.number} of {amount} covers the rest of this period."
    return f"Your plan is now {plan.name}."


@router.get("/signup/done")
def done(request: Request, user: Member) -> Response:
    """The last step: watch now, or (an unpaid invoice) what happens next."""
    with deps.get_runtime(request).db.session() as session:
        sub = current_subscription(session, user.id)
        open_invoices = list_invoices(session, user_id=user.id, status="open", limit=3)
        invoice = open_invoices[0] if open_invoices else None
        context = {
            "sub": sub, "until": long_date(sub.period_end) if sub is not None else "",
            "invoice": invoice, "amount": format_amount(invoice.total, invoice.currency) if invoice else "",
        }  # fmt: skip
        return render(request, "signup_done.html", context)


def _page(
    request: Request, session: Session, user: User, form: dict[str, str], error: str, status: int = 200
) -> Response:
    plans = list_plans(session, public_only=True)
    sub = current_subscription(session, user.id)
    live = sub if sub is not None and sub.state in LIVE_STATES else None
    chosen = form.get("plan") or (live.plan.slug if live else (plans[0].slug if plans else ""))
    context = {
        "plans": plans, "prices": {p.id: format_amount(p.price, p.currency) for p in plans}, "current": live,
        "chosen": chosen, "method": form.get("method", "invoice"), "voucher": form.get("voucher", ""),
        "card": stripe_for(request) is not None, "error": error,
    }  # fmt: skip
    return render(request, "signup_plan.html", context, status=status)

"""Plans: the table with prices, limits, packages and subscribers; a form to add one; marking invoices paid."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import audit
from airwave.billing.money import format_amount, parse_amount
from airwave.billing.packages import list_packages
from airwave.billing.plans import PlanSpec, create_plan, describe_plan, list_plans, subscriber_counts
from airwave.billing.providers.manual import mark_paid
from airwave.errors import ClientError
from airwave.web import deps
from airwave.web.pages.rendering import redirect, render

router = APIRouter()
BINDINGS = {
    "none": "None: log replays",
    "ip": "Address: refuse other addresses",
    "asn": "Network (ASN): refuse other networks",
}


class PlanFields(BaseModel):
    slug: str = ""
    name: str = ""
    price: str = ""
    currency: str = "EUR"
    interval: str = "month"
    trial_days: str = "0"
    streams: str = "2"
    devices: str = "5"
    packages: list[str] = []
    private: str = ""
    client_binding: str = "none"


@router.get("/admin/plans")
def plans_page(request: Request) -> Response:
    """Every plan, and the form that adds one."""
    return _page(request, PlanFields(), {})


def _page(request: Request, form: PlanFields, errors: dict[str, str], status: int = 200) -> Response:
    with deps.get_runtime(request).db.session() as session:
        plans = list_plans(session)
        context = {
            "section": "plans", "plans": plans, "counts": subscriber_counts(session, [p.id for p in plans]),
            "packages": [p for p in list_packages(session) if not p.addon], "form": form.model_dump(),
            "errors": errors, "format_amount": format_amount, "bindings": BINDINGS,
        }  # fmt: skip
        return render(request, "admin/plans.html", context, status=status)


@router.post("/admin/plans", dependencies=[Depends(deps.check_csrf)])
def add_plan(request: Request, fields: Annotated[PlanFields, Form()]) -> Response:
    """Create a plan from the form, or show the form again with the problem."""
    runtime = deps.get_runtime(request)
    try:
        spec = PlanSpec(
            name=fields.name, price=parse_amount(fields.price or "x", fields.currency), currency=fields.currency,
            interval=fields.interval, trial_days=_int(fields.trial_days, "trial days"),
            max_streams=_int(fields.streams, "streams"), max_devices=_int(fields.devices, "devices"),
            packages=tuple(fields.packages), public=not fields.private, client_binding=fields.client_binding,
        )  # fmt: skip
        with runtime.db.session() as session:
            plan = create_plan(session, runtime.clock, fields.slug, spec)
            audit.record(session, runtime.clock, deps.admin_actor(request), "plan.create",
                         f"plan:{plan.slug}", describe_plan(plan))  # fmt: skip
            return redirect(request, "/admin/plans", f"Plan \u201c{plan.name}\u201d created.")
    except ClientError as exc:
        return _page(request, fields, {"form": exc.message}, status=400)


@router.post("/admin/invoices/{invoice_id}/paid", dependencies=[Depends(deps.check_csrf)])
def invoice_paid(request: Request, invoice_id: int) -> Response:
    """Record a payment received outside Airwave."""
    runtime = deps.get_runtime(request)
    admin = deps.require_admin(request)
    with runtime.db.session() as session:
        invoice = mark_paid(session, runtime.clock, invoice_id, admin)
        return redirect(request, "/admin/revenue", f"Invoice {invoice.number} marked paid.")


def _int(text: str, label: str) -> int:
    from airwave.errors import BadRequest

    try:
        return int(text.strip())
    except ValueError:
        raise BadRequest(f"{label} must be a whole number, not {text!r}") from None

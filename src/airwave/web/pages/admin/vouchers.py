"""Vouchers: codes for free days or a percentage off, with their uses; a form to create one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from airwave.accounts import audit
from airwave.billing.plans import get_plan, list_plans
from airwave.billing.vouchers import create_voucher, describe_voucher, list_vouchers
from airwave.errors import BadRequest, ClientError
from airwave.web import deps
from airwave.web.pages.rendering import redirect, render

router = APIRouter()


class VoucherFields(BaseModel):
    code: str = ""
    kind: str = "days"
    value: str = ""
    plan: str = ""
    uses: str = ""
    valid_days: str = ""
    note: str = ""


@router.get("/admin/vouchers")
def vouchers_page(request: Request) -> Response:
    """Every voucher, and the form that creates one."""
    return _page(request, VoucherFields(), {})


def _page(request: Request, form: VoucherFields, errors: dict[str, str], status: int = 200) -> Response:
    with deps.get_runtime(request).db.session() as session:
        context = {
            "section": "vouchers", "vouchers": list_vouchers(session), "plans": list_plans(session),
            "form": form.model_dump(), "errors": errors,
        }  # fmt: skip
        return render(request, "admin/vouchers.html", context, status=status)


@router.post("/admin/vouchers", dependencies=[Depends(deps.check_csrf)])
def add_voucher(request: Request, fields: Annotated[VoucherFields, Form()]) -> Response:
    """Create a voucher from the form, or show the form again with the problem."""
    runtime = deps.get_runtime(request)
    try:
        valid = _number(fields.valid_days, "valid days")
        expires = runtime.clock.now() + dt.timedelta(days=valid) if valid else None
        with runtime.db.session() as session:
            voucher = create_voucher(
                session, runtime.clock, kind=fields.kind, value=_number(fields.value, "value") or 0,
                code=fields.code or None, plan=get_plan(session, fields.plan) if fields.plan else None,
                max_uses=_number(fields.uses, "uses"), expires_at=expires, note=fields.note,
            )  # fmt: skip
            audit.record(session, runtime.clock, deps.admin_actor(request), "voucher.create",
                         f"voucher:{voucher.code}", describe_voucher(voucher))  # fmt: skip
            return redirect(request, "/admin/vouchers", f"Voucher {voucher.code} created.")
    except ClientError as exc:
        return _page(request, fields, {"form": exc.message}, status=400)


def _number(text: str, label: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise BadRequest(f"{label} must be a whole number, not {text!r}") from None

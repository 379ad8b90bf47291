"""The revenue page: MRR, live subscribers and churn per month, as server-rendered SVG charts."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from airwave.billing.invoices import list_invoices
from airwave.billing.money import format_amount
from airwave.billing.revenue import month_labels, revenue
from airwave.store.tables import User
from airwave.web import deps
from airwave.web.pages.admin.revenue_charts import bars
from airwave.web.pages.rendering import render

router = APIRouter()


@router.get("/admin/revenue")
def revenue_page(request: Request, months: int = 12) -> Response:
    """Monthly recurring revenue, subscribers and churn over the last months; open invoices."""
    runtime = deps.get_runtime(request)
    months = max(3, min(months, 36))
    with runtime.db.session() as session:
        report = revenue(session, runtime.clock.now(), months)
        open_invoices = list_invoices(session, status="open", limit=20)
        failed = list_invoices(session, status="failed", limit=20)
        currency = report.currency
        labels = month_labels(report.months)
        charts = [
            bars("Monthly recurring revenue", labels, [m.mrr for m in report.months],
                 lambda v: format_amount(int(v), currency)),
            bars("Subscribers", labels, [m.subscribers for m in report.months], lambda v: f"{int(v)}"),
            bars("Churn", labels, [m.churn_rate * 100 for m in report.months], lambda v: f"{v:.1f}%"),
        ]  # fmt: skip
        current = report.current
        unpaid = [*failed, *open_invoices]
        ids = {invoice.user_id for invoice in unpaid}
        rows = session.execute(select(User.id, User.email).where(User.id.in_(ids)))
        emails = {user_id: email for user_id, email in rows}  # noqa: C416 (rows, not pairs)
        context = {
            "section": "revenue", "charts": charts, "report": report, "months": months,
            "mrr": format_amount(current.mrr if current else 0, currency),
            "subscribers": current.subscribers if current else 0,
            "churned": current.churned if current else 0,
            "unpaid": unpaid, "emails": emails, "format_amount": format_amount,
        }  # fmt: skip
        return render(request, "admin/revenue.html", context)

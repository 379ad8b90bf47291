"""What the account page shows: plan and next bill, invoices, devices, streams, IPTV links. Reads only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.accounts.logins import token_hash
from airwave.billing.invoices import list_invoices
from airwave.billing.money import format_amount, long_date, percent_of
from airwave.billing.subscriptions import current_subscription
from airwave.channels import iptv
from airwave.store.billing import Invoice, Subscription
from airwave.store.tables import AuthToken, PlaybackSession, Title, User

STATE_LABELS = {
    "trialing": "Free trial",
    "active": "Active",
    "past_due": "Payment overdue",
    "cancelled": "Cancelled",
    "expired": "Ended",
}


INVOICE_LABELS = {"open": "Pending payment", "paid": "Paid", "failed": "Payment failed", "void": "Void"}


@dataclass(frozen=True)
class PlanView:
    """The subscription in words, and which buttons make sense for it."""

    name: str
    state: str
    label: str
    price: str
    next_bill: str
    note: str
    can_cancel: bool = False  # live and not cancelling yet
    resume: str = ""  # the button that undoes a pending cancellation or downgrade
    portal: bool = False  # paid by card through Stripe: card and invoices in Stripe's billing portal


@dataclass(frozen=True)
class InvoiceRow:
    number: str
    date: dt.datetime
    status: str
    label: str
    amount: str


@dataclass(frozen=True)
class Device:
    id: int
    label: str
    kind: str
    created_at: dt.datetime
    current: bool


@dataclass(frozen=True)
class Stream:
    id: str
    what: str
    device: str
    client_ip: str
    created_at: dt.datetime


@dataclass
class AccountPage:
    plan: PlanView | None
    invoices: list[InvoiceRow] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    iptv: dict[str, str] | None = None


def account_page(session: Session, user: User, now: dt.datetime, raw_login: str, base_url: str) -> AccountPage:
    """Everything the account page shows for ``user``."""
    return AccountPage(
        plan=plan_view(current_subscription(session, user.id)),
        invoices=[invoice_row(item) for item in list_invoices(session, user_id=user.id, limit=12)],
        devices=devices(session, user.id, now, raw_login),
        streams=streams(session, user.id, now),
        iptv=iptv_links(session, user, base_url),
    )


def plan_view(sub: Subscription | None) -> PlanView | None:
    """The subscription as a sentence or two; None when the account never subscribed."""
    if sub is None:
        return None
    plan = sub.plan
    price = f"{format_amount(plan.price, plan.currency)} / {plan.interval}"
    portal = sub.provider == "stripe" and sub.provider_ref is not None
    if sub.state in ("cancelled", "expired"):
        ended = sub.ended_at or sub.period_end
        return PlanView(plan.name, sub.state, STATE_LABELS[sub.state], price, "", f"Ended on {long_date(ended)}")
    if sub.cancel_at_period_end:
        note, next_bill = f"Cancelled: you can watch until {long_date(sub.period_end)}", ""
    else:
        next_bill = f"{format_amount(next_bill_amount(sub), plan.currency)} on {long_date(sub.period_end)}"
        changes_on = long_date(sub.period_end)
        note = f"Changes to {sub.next_plan.name} on {changes_on}" if sub.next_plan is not None else ""
    label = STATE_LABELS.get(sub.state, sub.state)
    if sub.state == "past_due" and not sub.ever_paid:
        label = "Awaiting first payment"
    resume = "Keep my subscription" if sub.cancel_at_period_end else ""
    resume = resume or (f"Stay on {plan.name}" if sub.next_plan is not None else "")
    return PlanView(
        plan.name, sub.state, label, price, next_bill, note,
        can_cancel=not sub.cancel_at_period_end, resume=resume, portal=portal,
    )  # fmt: skip


def next_bill_amount(sub: Subscription) -> int:
    """What the next renewal will charge: the plan it renews on (after a pending downgrade), add-ons, and a
    voucher's discount."""
    plan = sub.next_plan or sub.plan
    total = plan.price + sum(addon.price for addon in sub.addons)
    return total - percent_of(total, sub.discount_percent)


def invoice_row(invoice: Invoice) -> InvoiceRow:
    """An invoice as a table row: "Pending payment" until an admin (or the provider) marks it paid."""
    label = INVOICE_LABELS.get(invoice.status, invoice.status.capitalize())
    amount = format_amount(invoice.total, invoice.currency)
    return InvoiceRow(invoice.number, invoice.created_at, invoice.status, label, amount)


def devices(session: Session, user_id: int, now: dt.datetime, raw_login: str) -> list[Device]:
    """The account's live logins, newest first; ``current`` marks this browser's."""
    current = token_hash(raw_login) if raw_login else ""
    statement = (
        select(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.expires_at > now)
        .order_by(AuthToken.created_at.desc(), AuthToken.id.desc())
    )
    return [
        Device(
            login.id,
            device_label(login.user_agent),
            "Browser" if login.kind == "cookie" else "App / API",
            login.created_at,
            login.token_hash == current,
        )
        for login in session.scalars(statement)
    ]


def streams(session: Session, user_id: int, now: dt.datetime) -> list[Stream]:
    """Playback sessions still running, newest first, with what they play."""
    statement = (
        select(PlaybackSession, Title.name)
        .outerjoin(Title, Title.id == PlaybackSession.title_id)
        .where(PlaybackSession.user_id == user_id, PlaybackSession.ended_at.is_(None))
        .where(PlaybackSession.expires_at > now)
        .order_by(PlaybackSession.created_at.desc())
    )
    return [
        Stream(row.id, name or (f"Channel {row.channel}" if row.channel else "—"), device_label(row.user_agent),
               row.client_ip, row.created_at)
        for row, name in session.execute(statement)
    ]  # fmt: skip


def device_label(agent: str) -> str:
    """ "Chrome on Linux", "VLC", "Firefox on Windows": enough to recognise one's own devices."""
    if not agent:
        return "Unknown device"
    lowered = agent.lower()
    app = next((name for key, name in _APPS if key in lowered), "")
    system = next((name for key, name in _SYSTEMS if key in lowered), "")
    if app and system:
        return f"{app} on {system}"
    return app or system or agent[:60]


def iptv_links(session: Session, user: User, base_url: str) -> dict[str, str]:
    """The personal M3U and XMLTV links for IPTV apps."""
    return dict(iptv.iptv_links(session, user, base_url))


_APPS = (
    ("edg/", "Edge"), ("chrome/", "Chrome"), ("firefox/", "Firefox"), ("safari/", "Safari"),
    ("vlc", "VLC"), ("kodi", "Kodi"), ("tivimate", "TiviMate"), ("lavf", "ffmpeg"), ("python-httpx", "Script"),
    ("curl/", "curl"),
)  # fmt: skip
_SYSTEMS = (
    ("android", "Android"), ("iphone", "iPhone"), ("ipad", "iPad"), ("windows", "Windows"),
    ("mac os", "macOS"), ("cros", "ChromeOS"), ("linux", "Linux"),
)  # fmt: skip

"""Voucher codes: free days on a plan (hotels, campuses, promotions) or a percentage off the next invoice."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from airwave.billing.history import LIVE_STATES, log, set_state
from airwave.billing.money import long_date
from airwave.billing.subscriptions import current_subscription
from airwave.clock import Clock
from airwave.errors import BadRequest, Conflict, NotFound
from airwave.store.billing import Plan, Subscription, Voucher, VoucherRedemption
from airwave.store.tables import User

KINDS = ("days", "percent")
_CODE = re.compile(r"^[A-Z0-9-]{4,40}$")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def new_code() -> str:
    """A random code that is easy to read out: ``XXXX-XXXX-XXXX``."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


def create_voucher(
    session: Session,
    clock: Clock,
    *,
    kind: str,
    value: int,
    code: str | None = None,
    plan: Plan | None = None,
    max_uses: int | None = None,
    expires_at: dt.datetime | None = None,
    note: str = "",
) -> Voucher:
    """Create a voucher: ``days`` free days (on ``plan`` for accounts without a subscription) or ``percent`` off.

    Raises:
        BadRequest: bad kind, value, code or limits; a days voucher without a plan.
        Conflict: the code exists.
    """
    code = (code or new_code()).strip().upper()
    if not _CODE.match(code):
        raise BadRequest(f"{code!r} is not a voucher code: 4-40 letters, digits and dashes")
    if kind not in KINDS:
        raise BadRequest(f"unknown voucher kind {kind!r}: use days or percent")
    if kind == "percent" and not 1 <= value <= 100:
        raise BadRequest("a percentage voucher takes 1 to 100 percent")
    if kind == "days" and not 1 <= value <= 3660:
        raise BadRequest("a free-days voucher gives 1 to 3660 days")
    if kind == "days" and plan is None:
        raise BadRequest("a free-days voucher needs the plan it gives access to")
    if max_uses is not None and max_uses < 1:
        raise BadRequest("a usage limit must be at least 1")
    if session.scalar(select(Voucher.id).where(Voucher.code == code)) is not None:
        raise Conflict(f"voucher {code} exists already")
    voucher = Voucher(
        code=code, kind=kind, value=value, plan=plan, plan_id=plan.id if plan else None, max_uses=max_uses,
        uses=0, expires_at=expires_at, note=note.strip()[:200], created_at=clock.now(),
    )  # fmt: skip
    session.add(voucher)
    session.flush()
    return voucher


def redeem(session: Session, clock: Clock, user: User, code: str) -> str:
    """Apply a voucher to ``user``'s account; returns what it did, in words.

    Raises:
        NotFound: no such code.
        Conflict: expired, used up, used by this account already, or nothing to apply it to.
    """
    now = clock.now()
    voucher = session.scalar(select(Voucher).where(Voucher.code == code.strip().upper()).with_for_update(of=Voucher))
    if voucher is None:
        raise NotFound(f"no voucher {code.strip().upper()!r}: check the code")
    _check_usable(session, voucher, user, now)
    sub = current_subscription(session, user.id)
    live = sub if sub is not None and sub.state in LIVE_STATES else None
    result = _apply_days(session, voucher, user, live, now) if voucher.kind == "days" else _apply_percent(voucher, live)
    voucher.uses += 1
    session.add(VoucherRedemption(voucher_id=voucher.id, user_id=user.id, redeemed_at=now))
    session.flush()
    return result


def _check_usable(session: Session, voucher: Voucher, user: User, now: dt.datetime) -> None:
    if voucher.expires_at is not None and now >= voucher.expires_at:
        raise Conflict(f"voucher {voucher.code} expired on {long_date(voucher.expires_at)}")
    if voucher.max_uses is not None and voucher.uses >= voucher.max_uses:
        raise Conflict(f"voucher {voucher.code} has been used up")
    used = select(VoucherRedemption.id).where(
        VoucherRedemption.voucher_id == voucher.id, VoucherRedemption.user_id == user.id
    )
    if session.scalar(used) is not None:
        raise Conflict(f"you have used voucher {voucher.code} already")


def _apply_days(session: Session, voucher: Voucher, user: User, sub: Subscription | None, now: dt.datetime) -> str:
    days = dt.timedelta(days=voucher.value)
    if sub is not None:
        sub.period_end += days
        if sub.trial_end is not None and sub.state == "trialing":
            sub.trial_end = sub.period_end
        log(session, sub, now, f"voucher {voucher.code}: {voucher.value} free days")
        return f"{voucher.value} free days added: your plan now runs to {long_date(sub.period_end)}"
    assert voucher.plan is not None  # create_voucher requires one for days
    sub = Subscription(
        user_id=user.id, plan=voucher.plan, plan_id=voucher.plan.id, state="active", provider="manual",
        started_at=now, period_start=now, period_end=now + days, cancel_at_period_end=True, ever_paid=True,
        created_at=now, addons=[],
    )  # fmt: skip
    session.add(sub)
    session.flush()
    set_state(session, sub, "active", now, f"voucher {voucher.code}: {voucher.value} free days")
    return f"{voucher.plan.name} for {voucher.value} days, until {long_date(sub.period_end)}"


def _apply_percent(voucher: Voucher, sub: Subscription | None) -> str:
    if sub is None:
        raise Conflict(f"voucher {voucher.code} takes {voucher.value}% off a plan: choose a plan first")
    sub.discount_percent, sub.discount_code = voucher.value, voucher.code
    return f"{voucher.value}% off your next invoice"


def describe_voucher(voucher: Voucher) -> str:
    """ "30 free days on basic, 10 uses, until 1 March 2027 (Hotel Bellevue)": the audit log's detail of a voucher."""
    offer = f"{voucher.value} free days" if voucher.kind == "days" else f"{voucher.value} % off the next invoice"
    if voucher.plan is not None:
        offer += f" on {voucher.plan.slug}"
    uses = f"{voucher.max_uses} uses" if voucher.max_uses else "unlimited uses"
    until = f", until {long_date(voucher.expires_at)}" if voucher.expires_at else ""
    return f"{offer}, {uses}{until}" + (f" ({voucher.note})" if voucher.note else "")


def list_vouchers(session: Session) -> list[Voucher]:
    """Every voucher, newest first."""
    return list(session.scalars(select(Voucher).order_by(Voucher.id.desc())))


def delete_voucher(session: Session, code: str) -> None:
    """Withdraw a voucher (what it gave stays given).

    Raises:
        NotFound: no such code.
    """
    voucher = session.scalar(select(Voucher).where(Voucher.code == code.strip().upper()))
    if voucher is None:
        raise NotFound(f"no voucher {code!r}")
    session.delete(voucher)
    session.flush()

"""Money as integer minor units: parsing "9.99" exactly, formatting, proration. Never floats.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from airwave.errors import BadRequest

# ISO 4217 minor-unit exponents that are not 2.
EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "INR": "₹"}
INTERVALS = ("month", "year")
MAX_AMOUNT = 10**12


def currency_code(currency: str) -> str:
    """The upper-case ISO 4217 code.

    Raises:
        BadRequest: not three letters.
    """
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise BadRequest(f"{currency!r} is not a currency code: use three letters such as EUR, USD or GBP")
    return code


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (2 for EUR, 0 for JPY, 3 for KWD)."""
    return EXPONENTS.get(currency_code(currency), 2)


def parse_amount(text: str, currency: str) -> int:
    """Parse a price such as "9.99" into minor units (999), exactly.

    Raises:
        BadRequest: not a number, negative, or with more decimals than the currency has.
    """
    places = exponent(currency)
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise BadRequest(f"{text!r} is not a price: write it like 9.99") from None
    if not value.is_finite() or value < 0:
        raise BadRequest(f"{text!r} is not a price: it must be zero or more")
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise BadRequest(f"{text!r} has too many decimals for {currency_code(currency)} (at most {places})")
    if minor > MAX_AMOUNT:
        raise BadRequest(f"{text!r} is too large a price")
    return int(minor)


def format_amount(minor: int, currency: str) -> str:
    """ "€9.99", "-€1.50", "¥1200" or "12.500 KWD"."""
    code = currency_code(currency)
    places = exponent(code)
    sign = "-" if minor < 0 else ""
    number = f"{Decimal(abs(minor)).scaleb(-places):.{places}f}"
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"


def decimal_text(minor: int, currency: str) -> str:
    """ "9.99" for 999 EUR: the amount as an operator types it."""
    places = exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def add_interval(moment: dt.datetime, interval: str, count: int = 1) -> dt.datetime:
    """``moment`` plus whole months or years, clamping the day (31 Jan + 1 month = 28/29 Feb)."""
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, _days_in_month(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def monthly(price: int, interval: str) -> int:
    """A price per interval as monthly recurring revenue (yearly / 12, rounded half up)."""
    if interval == "year":
        return int((Decimal(price) / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return price


def prorate(amount: int, remaining: dt.timedelta, period: dt.timedelta) -> int:
    """The share of ``amount`` for ``remaining`` out of ``period`` (rounded half up, clamped to the period)."""
    tick = dt.timedelta(microseconds=1)
    whole = period // tick
    if whole <= 0:
        return 0
    share = max(0, min(remaining // tick, whole))
    return int((Decimal(amount) * share / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount: int, percent: int) -> int:
    """``percent`` % of ``amount`` in minor units, rounded half up."""
    return int((Decimal(amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def long_date(moment: dt.datetime | dt.date) -> str:
    """ "3 March 2027"."""
    return f"{moment.day} {moment:%B %Y}"

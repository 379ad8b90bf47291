"""A fake Stripe API on 127.0.0.1 for the ``stripe`` library (``base_addresses={"api": fake.url}``).

It keeps prices, subscriptions and a clock of its own, answers the calls Airwave makes (prices, Checkout
Sessions, subscription update and cancel, Billing Portal sessions), and records the webhook events real Stripe
would send for each, so tests can deliver them (signed with a test secret) in any order, more than once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

MONTH = 30 * 86400
Obj = dict[str, Any]


class FakeStripe:
    """Stripe's state and the events it emitted; ``now`` is Stripe's clock (Unix seconds)."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.prices: dict[str, Obj] = {}
        self.subscriptions: dict[str, Obj] = {}
        self.events: list[Obj] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.decline_next_charge = False
        self._ids = 0
        self._lock = threading.Lock()
        self.url = ""

    # -- what the tests do as Stripe's customer or Stripe's billing engine --

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_fake", base_addresses={"api": self.url}, max_network_retries=0)

    def complete_checkout(self, user_id: int, plan: str) -> str:
        """The customer paid on the Checkout page: a subscription, its first invoice, their events."""
        price = next(p for p in self.prices.values() if p["metadata"]["plan"] == plan)
        sub_id = self._id("sub")
        item = {"id": self._id("si"), "price": price, "current_period_start": self.now,
                "current_period_end": self.now + MONTH}  # fmt: skip
        sub = {"id": sub_id, "object": "subscription", "customer": self._id("cus"), "status": "active",
               "cancel_at_period_end": False, "metadata": {"user_id": str(user_id), "plan": plan},
               "items": {"object": "list", "data": [item]}}  # fmt: skip
        self.subscriptions[sub_id] = sub
        self._emit("checkout.session.completed", {"id": self._id("cs"), "object": "checkout.session",
                   "subscription": sub_id, "metadata": sub["metadata"]})  # fmt: skip
        self._invoice(sub, "subscription_create", [(price["unit_amount"], self.now, self.now + MONTH)])
        return sub_id

    def renew(self, sub_id: str, paid: bool = True) -> None:
        """The period ended: Stripe starts the next one and charges it (or fails to)."""
        sub = self.subscriptions[sub_id]
        item = sub["items"]["data"][0]
        start = item["current_period_end"]
        if sub["cancel_at_period_end"]:
            sub["status"] = "canceled"
            self._emit("customer.subscription.deleted", {**sub, "ended_at": start})
            return
        item["current_period_start"], item["current_period_end"] = start, start + MONTH
        sub["status"] = "active" if paid else "past_due"
        self._emit("customer.subscription.updated", sub)
        self._invoice(sub, "subscription_cycle", [(item["price"]["unit_amount"], start, start + MONTH)], paid)

    # -- the API --

    def handle(self, method: str, path: str, form: dict[str, str]) -> tuple[int, Obj]:
        with self._lock:
            self.requests.append((method, path, form))
            parts = path.strip("/").split("/")[1:]  # without "v1"
            route = (method, parts[0] if parts else "", len(parts))
            if route == ("GET", "prices", 1):
                keys = {v for k, v in form.items() if k.startswith("lookup_keys")}
                found = [p for p in self.prices.values() if p["lookup_key"] in keys]
                return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/prices"}
            if route == ("POST", "prices", 1):
                return 200, self._new_price(form)
            if route == ("POST", "checkout", 2):
                session_id = self._id("cs")
                return 200, {"id": session_id, "object": "checkout.session", "url": f"https://pay.test/{session_id}"}
            if route == ("POST", "billing_portal", 2):
                customer = form["customer"]
                return 200, {"id": self._id("bps"), "customer": customer, "url": f"https://portal.test/{customer}"}
            if parts[:1] == ["subscriptions"] and len(parts) == 2 and parts[1] in self.subscriptions:
                return self._subscription(method, self.subscriptions[parts[1]], form)
            return 404, {"error": {"type": "invalid_request_error", "message": f"no route {method} {path}"}}

    def _subscription(self, method: str, sub: Obj, form: dict[str, str]) -> tuple[int, Obj]:
        if method == "GET":
            return 200, sub
        if method == "DELETE":
            sub["status"] = "canceled"
            self._emit("customer.subscription.deleted", {**sub, "ended_at": self.now})
            return 200, sub
        item = sub["items"]["data"][0]
        if "items[0][price]" in form:
            new = self.prices[form["items[0][price]"]]
            if form.get("proration_behavior") == "always_invoice":
                if self.decline_next_charge:
                    self.decline_next_charge = False
                    return 402, {"error": {"type": "card_error", "code": "card_declined",
                                           "message": "Your card was declined."}}  # fmt: skip
                self._prorate(sub, item["price"], new)
            item["price"] = new
        if "metadata[plan]" in form:
            sub["metadata"] = {**sub["metadata"], "plan": form["metadata[plan]"]}
        if "cancel_at_period_end" in form:
            sub["cancel_at_period_end"] = form["cancel_at_period_end"] == "true"
        self._emit("customer.subscription.updated", sub)
        return 200, sub

    def _prorate(self, sub: Obj, old: Obj, new: Obj) -> None:
        item = sub["items"]["data"][0]
        end = item["current_period_end"]
        share = (end - self.now) / (end - item["current_period_start"])
        lines = [
            (-round(old["unit_amount"] * share), self.now, end),
            (round(new["unit_amount"] * share), self.now, end),
        ]
        self._invoice(sub, "subscription_update", lines)

    def _new_price(self, form: dict[str, str]) -> Obj:
        price = {"id": self._id("price"), "object": "price", "unit_amount": int(form["unit_amount"]),
                 "currency": form["currency"], "lookup_key": form.get("lookup_key"),
                 "recurring": {"interval": form["recurring[interval]"]},
                 "metadata": {"plan": form.get("metadata[plan]", "")}}  # fmt: skip
        self.prices[price["id"]] = price
        return price

    def _invoice(self, sub: Obj, reason: str, lines: list[tuple[int, int, int]], paid: bool = True) -> None:
        invoice = {"id": self._id("in"), "object": "invoice", "currency": "eur", "billing_reason": reason,
                   "amount_due": sum(amount for amount, _, _ in lines),
                   "parent": {"subscription_details": {"subscription": sub["id"], "metadata": sub["metadata"]}},
                   "lines": {"data": [{"description": f"{reason} line", "amount": amount,
                             "period": {"start": start, "end": end}} for amount, start, end in lines]}}  # fmt: skip
        self._emit("invoice.paid" if paid else "invoice.payment_failed", invoice)

    def _emit(self, kind: str, obj: Obj) -> None:
        snapshot = json.loads(json.dumps(obj))
        self.events.append({"id": self._id("evt"), "object": "event", "type": kind, "created": self.now,
                            "data": {"object": snapshot}})  # fmt: skip

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}_{self._ids}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        form = dict(parse_qsl(url.query)) | dict(parse_qsl(body))
        status, obj = self.fake.handle(method, url.path, form)
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_stripe(now: int) -> Iterator[FakeStripe]:
    """A running fake on a free port of 127.0.0.1, shut down afterwards."""
    fake = FakeStripe(now)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

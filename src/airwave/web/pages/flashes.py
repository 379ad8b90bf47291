"""One-shot messages shown on the next page ("Title saved"), carried in a signed cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from starlette.requests import Request
from starlette.responses import Response

from airwave.runtime import Runtime

COOKIE = "airwave_flash"
KINDS = ("success", "info", "error")


def add_flash(response: Response, runtime: Runtime, request: Request, kind: str, text: str) -> None:
    """Queue ``text`` for the next page this browser renders (kind: success, info or error)."""
    messages = [*pending(runtime, request), [kind if kind in KINDS else "info", text[:300]]]
    response.set_cookie(COOKIE, _encode(runtime.secret, messages[-5:]), httponly=True, samesite="lax", path="/")


def pending(runtime: Runtime, request: Request) -> list[list[str]]:
    """The queued messages, ``[kind, text]`` each; nothing when the cookie is absent or tampered with."""
    raw = request.cookies.get(COOKIE, "")
    body, _, signature = raw.rpartition(".")
    if not body or not hmac.compare_digest(signature, _sign(runtime.secret, body)):
        return []
    try:
        messages = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return []
    return [m for m in messages if isinstance(m, list) and len(m) == 2 and all(isinstance(p, str) for p in m)]


def clear(response: Response) -> None:
    """Forget the queued messages once shown."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def _encode(secret: str, messages: list[list[str]]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(messages).encode()).decode()
    return f"{body}.{_sign(secret, body)}"


def _sign(secret: str, body: str) -> str:
    key = hashlib.sha256(b"airwave-flash\0" + secret.encode()).digest()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]

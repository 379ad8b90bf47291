"""Signed path-prefix tokens for playback URLs; pure, no I/O.

A playback URL looks like ``/p/<token>/t/42/720p/seg_00001.m4s``. The token grants one playback session
everything under one path prefix (``/t/42/``) until it expires::

    <key id>.<session id>.<expiry, base-36 Unix seconds>.<signature>

The signature is HMAC-SHA256 over the key id, session id, prefix and expiry, truncated to 128 bits and
base64url-encoded. The prefix is not written in the token: the verifier takes it from the URL being
requested, so a token for one title signs nothing else. The key id names the signing key, so a new key can
be introduced while URLs signed with the old one keep working until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

SIGNATURE_BYTES = 16


class TokenRejected(Exception):
    """A token that grants nothing; ``reason`` says why (for logs, not for clients)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid token allows: one session, one path prefix, until ``expires`` (Unix seconds)."""

    session_id: str
    prefix: str
    expires: int


def derive_key(secret: str, key_id: str) -> bytes:
    """The signing key ``key_id`` derived from the runtime secret (so rotating the id changes the key)."""
    return hmac.new(secret.encode(), b"airwave-playback\0" + key_id.encode(), hashlib.sha256).digest()


class Signer:
    """Signs with the current key and verifies with any known key."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"current key id {current!r} is not among the keys")
        for key_id in keys:
            if not key_id or "." in key_id:
                raise ValueError(f"key id {key_id!r} must be non-empty and contain no '.'")
        self._keys = dict(keys)
        self._current = current

    @classmethod
    def from_secret(cls, secret: str, key_ids: tuple[str, ...] = ("1",)) -> Signer:
        """A signer whose keys derive from ``secret``; the last key id signs, all verify."""
        return cls({key_id: derive_key(secret, key_id) for key_id in key_ids}, key_ids[-1])

    def sign(self, session_id: str, prefix: str, expires: int) -> str:
        """Return the token granting ``session_id`` the paths under ``prefix`` until ``expires``."""
        if not session_id or "." in session_id:
            raise ValueError("session id must be non-empty and contain no '.'")
        expiry = _base36(expires)
        signature = _signature(self._keys[self._current], self._current, session_id, prefix, expiry)
        return f"{self._current}.{session_id}.{expiry}.{signature}"

    def verify(self, token: str, prefix: str, now: float) -> Grant:
        """Check ``token`` for a request under ``prefix`` at time ``now``.

        Raises:
            TokenRejected: malformed, unknown key, wrong signature (tampered or another prefix), or expired.
        """
        parts = token.split(".")
        if len(parts) != 4:
            raise TokenRejected("malformed token")
        key_id, session_id, expiry, signature = parts
        key = self._keys.get(key_id)
        if key is None:
            raise TokenRejected("unknown signing key")
        if not hmac.compare_digest(_signature(key, key_id, session_id, prefix, expiry), signature):
            raise TokenRejected("bad signature")
        expires = int(expiry, 36)
        if expires <= now:
            raise TokenRejected("expired")
        return Grant(session_id, prefix, expires)


def _signature(key: bytes, key_id: str, session_id: str, prefix: str, expiry: str) -> str:
    message = f"{key_id}\n{session_id}\n{prefix}\n{expiry}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _base36(value: int) -> str:
    if value < 0:
        raise ValueError("expiry must not be negative")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        value, rest = divmod(value, 36)
        text = digits[rest] + text
        if value == 0:
            return text

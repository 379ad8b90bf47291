"""CSRF tokens for cookie logins: an HMAC of the login, so each browser session has its own token."""

from __future__ import annotations

import hashlib
import hmac

from airwave.accounts.logins import token_hash


def csrf_for(secret: str, raw_login: str) -> str:
    """The CSRF token of the cookie login ``raw_login`` (stable for the life of the login)."""
    key = hashlib.sha256(b"airwave-csrf\0" + secret.encode()).digest()
    return hmac.new(key, token_hash(raw_login).encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, raw_login: str, given: str) -> bool:
    """Tell, in constant time, whether ``given`` is the CSRF token of the login ``raw_login``."""
    return bool(given) and hmac.compare_digest(csrf_for(secret, raw_login), given)

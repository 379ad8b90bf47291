"""Signed path-prefix tokens for playback URLs; pure, no I/O.

A playback URL looks like ``/p/<token>/t/42/720p/seg_00001.m4s``. The token grants one playback session
everything under one path prefix (``/t/42/``) until it expires::

    <key id>.<session id>.<expiry, base-36 Unix seconds>.<signature>

The signature is HMAC-SHA256 over the key id, session id, prefix and expiry, truncated to 128 bits and
base64url-encoded. Optional signed fields go between the expiry and the signature, each tagged by its first
letter, in this order: ``<key id>.<session id>.<expiry>[.w<code bits>][.i<client>|.a<network>].<signature>``.

* ``w<code bits, base 36>``: the session plays a watermarked title. An edge derives the session's code
  from the session id and the token root (:func:`airwave.delivery.variants.derived_code`) and picks each
  segment's variant without asking the origin.
* ``i<client>``: the session is bound to the address that started it; ``<client>`` is
  :func:`client_tag` of that address (a keyed hash: the token does not disclose the address). An edge
  refuses, and logs, a request from any other address before serving anything.
* ``a<network>``: the session is bound to the autonomous system that started it; ``<network>`` is
  :func:`client_tag` of ``AS<number>``. Edges hold no ASN database, so they accept such a token from any
  address (it carries no ``i``); the origin checks the client's network on every playlist and key, which
  always go to the origin, and a copied URL without playlists and keys plays nothing (segments are encrypted).

All are signed, so a client can neither drop them nor change them.

The prefix is not written in the token: the verifier takes it from the URL being requested, so a token for
one title signs nothing else. The key id names the signing key, so a new key can be introduced while URLs
signed with the old one keep working until they expire.

:class:`Keyring` rotates keys on a schedule: the key id is the number of the rotation period (base 36) and
each key is derived from one *token root*, so every origin and every edge (``edge_config``) that holds the
root derives the same keys without being told about a rotation. New sessions are signed with the current
period's key; keys of the periods a live token can still come from verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
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
    mark_bits: int = 0  # the session's watermark code length; 0: unmarked
    client: str = ""  # client_tag() of the address the session is bound to; "": not bound
    network: str = ""  # client_tag() of "AS<number>" the session is bound to; "": not bound


@dataclass(frozen=True, slots=True)
class ClientBinding:
    """How a session is tied to its client: ``none``, ``ip`` (its address) or ``asn`` (its network ``asn``)."""

    kind: str = "none"
    asn: int | None = None


def token_root(secret: str) -> bytes:
    """The root every playback signing key derives from; edges hold it, never the runtime secret itself."""
    return hmac.new(secret.encode(), b"airwave-token-root", hashlib.sha256).digest()


def client_tag(root: bytes, address: str) -> str:
    """A short keyed hash of a client address, what an IP-bound token carries (edges compute the same)."""
    key = hmac.new(root, b"airwave-client-address", hashlib.sha256).digest()
    digest = hmac.new(key, address.encode(), hashlib.sha256).digest()[:8]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def network_tag(root: bytes, asn: int) -> str:
    """What an ASN-bound token carries: :func:`client_tag` of ``AS<number>`` (not the number itself)."""
    return client_tag(root, f"AS{asn}")


def derive_key(root: str | bytes, key_id: str) -> bytes:
    """The signing key ``key_id`` derived from ``root`` (so rotating the id changes the key)."""
    root_bytes = root.encode() if isinstance(root, str) else root
    return hmac.new(root_bytes, b"airwave-playback\0" + key_id.encode(), hashlib.sha256).digest()


class Signer:
    """Signs with the current key and verifies with any known key."""

    def __init__(
        self,
        keys: Mapping[str, bytes],
        current: str,
        mark_bits: int = 0,
        root: bytes | None = None,
        bind_clients: bool = False,
    ) -> None:
        if current not in keys:
            raise ValueError(f"current key id {current!r} is not among the keys")
        for key_id in keys:
            if not key_id or "." in key_id:
                raise ValueError(f"key id {key_id!r} must be non-empty and contain no '.'")
        self._keys = dict(keys)
        self._current = current
        self._mark_bits = mark_bits
        self._root = root  # for client tags
        self._bind_clients = bind_clients and root is not None

    @classmethod
    def from_secret(cls, secret: str, key_ids: tuple[str, ...] = ("1",)) -> Signer:
        """A signer whose keys derive from ``secret``; the last key id signs, all verify."""
        return cls({key_id: derive_key(secret, key_id) for key_id in key_ids}, key_ids[-1])

    def sign(self, session_id: str, prefix: str, expires: int, *, marked: bool = False, client: str = "",
             binding: ClientBinding | None = None) -> str:  # fmt: skip
        """Return the token granting ``session_id`` the paths under ``prefix`` until ``expires``.

        ``marked``: the session plays a watermarked title; the token then carries the code length.
        ``client``: the address that started the session. ``binding``: the session's binding; ``ip`` makes the
        token valid from ``client`` alone (edges enforce it), ``asn`` tags its network (the origin enforces
        it). Without ``binding``, this signer's operator-wide default applies (``ip`` when it binds clients).
        """
        if not session_id or "." in session_id:
            raise ValueError("session id must be non-empty and contain no '.'")
        expiry = _base36(expires)
        extras = []
        if marked and self._mark_bits:
            extras.append("w" + _base36(self._mark_bits))
        extras.extend(self._binding_fields(client, binding))
        signature = _signature(self._keys[self._current], self._current, session_id, prefix, expiry, extras)
        return ".".join([self._current, session_id, expiry, *extras, signature])

    def verify(self, token: str, prefix: str, now: float) -> Grant:
        """Check ``token`` for a request under ``prefix`` at time ``now``.

        Raises:
            TokenRejected: malformed, unknown key, wrong signature (tampered or another prefix), or expired.
        """
        parts = token.split(".")
        if not 4 <= len(parts) <= 6 or not _EXTRAS.match("." + ".".join(parts[3:-1]) if len(parts) > 4 else ""):
            raise TokenRejected("malformed token")
        key_id, session_id, expiry, extras, signature = parts[0], parts[1], parts[2], parts[3:-1], parts[-1]
        key = self._keys.get(key_id)
        if key is None:
            raise TokenRejected("unknown signing key")
        if not hmac.compare_digest(_signature(key, key_id, session_id, prefix, expiry, extras), signature):
            raise TokenRejected("bad signature")
        expires = int(expiry, 36)
        if expires <= now:
            raise TokenRejected("expired")
        fields = {extra[0]: extra[1:] for extra in extras}
        mark = fields.get("w", "")
        return Grant(session_id, prefix, expires, int(mark, 36) if mark else 0, fields.get("i", ""),
                     fields.get("a", ""))  # fmt: skip

    def _binding_fields(self, client: str, binding: ClientBinding | None) -> list[str]:
        if binding is None:
            binding = ClientBinding("ip" if self._bind_clients else "none")
        if self._root is None:
            return []
        if binding.kind == "ip" and client:
            return ["i" + client_tag(self._root, client)]
        if binding.kind == "asn" and binding.asn is not None:
            return ["a" + network_tag(self._root, binding.asn)]
        return []


_EXTRAS = re.compile(r"^(\.w[0-9a-z]{1,4})?(\.[ia][A-Za-z0-9_-]{11})?$")


def _signature(key: bytes, key_id: str, session_id: str, prefix: str, expiry: str, extras: Sequence[str] = ()) -> str:
    message = "\n".join([key_id, session_id, prefix, expiry, *extras]).encode()
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


class Keyring:
    """Signing keys that change every ``rotation_seconds``; tokens live at most ``lifetime_seconds``.

    ``signer(now)`` signs with the current period's key and verifies tokens signed in any period that can
    still hold an unexpired token, plus one period ahead (a peer whose clock runs slightly fast).
    """

    def __init__(
        self,
        root: bytes,
        rotation_seconds: float,
        lifetime_seconds: float,
        mark_bits: int = 0,
        bind_clients: bool = False,
    ) -> None:
        if rotation_seconds <= 0:
            raise ValueError("rotation_seconds must be positive")
        self.root = root
        self.mark_bits = mark_bits
        self.bind_clients = bind_clients
        self.rotation_seconds = rotation_seconds
        self._back = int(lifetime_seconds // rotation_seconds) + 1
        self._cached: tuple[int, Signer] | None = None

    def period(self, now: float) -> int:
        """The rotation period ``now`` falls in."""
        return int(now // self.rotation_seconds)

    def signer(self, now: float) -> Signer:
        """The signer for ``now`` (cached until the period changes)."""
        period = self.period(now)
        cached = self._cached
        if cached is not None and cached[0] == period:
            return cached[1]
        ids = [_base36(p) for p in range(max(0, period - self._back), period + 2)]
        keys = {key_id: derive_key(self.root, key_id) for key_id in ids}
        signer = Signer(keys, _base36(period), self.mark_bits, self.root, self.bind_clients)
        self._cached = (period, signer)
        return signer
